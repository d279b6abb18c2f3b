"""The exception in a worker's report of a failed try, which the scheduler may be unable
to load (its class may exist only where the workers and the kernel run)."""
from __future__ import annotations

from typing import Any

from distributed.protocol import deserialize, pickle
from distributed.protocol.serialize import Serialize, Serialized


def exception_bytes(payload: Any) -> Any:
    """The pickled exception of a worker's report, as it came (the scheduler may not be
    able to load its class; the kernel can)."""
    if isinstance(payload, Serialized):
        return deserialize(payload.header, payload.frames)
    if isinstance(payload, Serialize):
        return payload.data
    return payload


class NotLoadable(RuntimeError):
    """Stands for a worker's exception that the scheduler cannot unpickle."""


def load_exception(payload: Any) -> BaseException:
    """The exception a worker reported, as an object."""
    try:
        payload = exception_bytes(payload)
        if isinstance(payload, (bytes, bytearray, memoryview)):
            payload = pickle.loads(payload)
    except Exception as error:  # the exception's class is not importable here
        return NotLoadable(f"{type(error).__name__}: {error}")
    return payload if isinstance(payload, BaseException) else RuntimeError(repr(payload))

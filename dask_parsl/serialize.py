"""Pickling app arguments, results and checkpoint entries: pickle first, cloudpickle for the rest."""
from __future__ import annotations

import pickle
from typing import Any, Callable

import cloudpickle


def dumps(value: Any, buffer_callback: Callable | None = None) -> bytes:
    """``value`` pickled (protocol 5); cloudpickle takes what pickle refuses (lambdas, closures,
    classes defined in ``__main__``). Raises what cloudpickle raises when neither can."""
    try:
        return pickle.dumps(value, protocol=5, buffer_callback=buffer_callback)
    except Exception:
        return cloudpickle.dumps(value, protocol=5, buffer_callback=buffer_callback)

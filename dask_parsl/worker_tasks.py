"""What runs on a Dask worker for one app call."""
from __future__ import annotations

import pickle
from typing import Any, Callable

import cloudpickle

from .errors import SerializationError

_ALWAYS_PICKLABLE = (type(None), bool, int, float, complex, str, bytes)


class AppCall:
    """The function of an app and the name errors should give it."""

    __slots__ = ("func", "name")

    def __init__(self, func: Callable, name: str) -> None:
        self.func = func
        self.name = name

    def __reduce__(self):
        return AppCall, (self.func, self.name)


def run_python_app(call: AppCall, /, *args: Any, **kwargs: Any) -> Any:
    """Run a python app's function and check its result can leave the worker."""
    result = call.func(*args, **kwargs)
    if type(result) not in _ALWAYS_PICKLABLE:
        ensure_picklable(result, call.name)
    return result


def _out_of_band(buffer) -> None:
    """Keep large buffers out of the test pickle: nothing is copied."""


def ensure_picklable(value: Any, app_name: str) -> None:
    """Raise ``SerializationError`` naming the app if ``value`` cannot be pickled."""
    try:
        pickle.dumps(value, protocol=5, buffer_callback=_out_of_band)
    except Exception:
        try:
            cloudpickle.dumps(value, protocol=5, buffer_callback=_out_of_band)
        except Exception as error:
            raise SerializationError(
                app_name, f"the result ({type(value).__name__})", str(error)
            ) from None


def file_after(file_obj: Any, _producer_result: Any) -> Any:
    """A ``File`` that becomes available once the task writing it has run."""
    return file_obj


def apply(func: Callable, args: tuple, kwargs: dict) -> Any:
    """Call ``func``; used by ``App.delayed`` so user keywords never meet dask's."""
    return func(*args, **kwargs)

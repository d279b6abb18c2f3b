"""``AppCall``: what a Dask task runs for one app call, on a worker."""
from __future__ import annotations

import threading
import types
import warnings
from typing import Any, Callable, ContextManager

from ..dataflow.dependencies import is_dependency
from ..dataflow.errors import SerializationError
from ..internals import DaskInternalsMissing, release_worker_slot_while_clients_wait
from ..serialize import dumps
from .walltime import call_with_walltime

_ALWAYS_PICKLABLE = (type(None), bool, int, float, complex, str, bytes)
#: whether this process's workers already free an app's slot while its client waits
_slot_released_while_waiting = False
#: ``running``: this thread runs an app's function now
_app_thread = threading.local()
#: ``take(pickled)``: offered the pickle of each result checked here (``take_result_pickles``)
_result_pickle_taker: Callable[[bytes], None] | None = None
#: ``context(kwargs)``: what each app call in this process runs within (``run_each_call_in``)
_call_context: Callable[[dict], ContextManager] | None = None


class AppCall:
    """What a Dask task of an app runs: the app's function, the name errors give
    it, and its retry policy (read by ``WorkflowPlugin`` on the scheduler)."""

    __slots__ = ("func", "name", "retry", "enforce_walltime")
    #: how many arguments of its Task come before the app's own
    leading_args = 0

    def __init__(self, func: Callable, name: str, retry: Any = None, enforce_walltime: bool = True) -> None:
        self.func = func
        self.name = name
        self.retry = retry
        self.enforce_walltime = enforce_walltime  # bash commands enforce their own

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not _slot_released_while_waiting:
            _release_slot_while_waiting()
        result = self.run(args, kwargs)
        if type(result) not in _ALWAYS_PICKLABLE:
            pickled = ensure_picklable(result, self.name)
            if pickled is not None and _result_pickle_taker is not None:
                _result_pickle_taker(pickled)
        return result

    def run(self, args: tuple, kwargs: dict) -> Any:
        """The app's function on ``args``, within its ``walltime``."""
        walltime = kwargs.get("walltime") if self.enforce_walltime else None
        _app_thread.running = True
        try:
            if _call_context is None:  # (no context manager per call on the usual path)
                return self._call(args, kwargs, walltime)
            with _call_context(kwargs):
                return self._call(args, kwargs, walltime)
        finally:
            _app_thread.running = False

    def _call(self, args: tuple, kwargs: dict, walltime: float | None) -> Any:
        if walltime is None:
            return self.func(*args, **kwargs)
        return call_with_walltime(self.func, walltime, self.name, args, kwargs)

    def __reduce__(self) -> tuple:
        return type(self), (self.func, self.name, self.retry, self.enforce_walltime)


class InProcessCall(AppCall):
    """An app call that an executor the kernel drives runs as it likes (in threads of this
    process, say): nothing is pickled on its way back."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.run(args, kwargs)


def run_each_call_in(context: Callable[[dict], ContextManager] | None) -> None:
    """Run each app call in this process within ``context(kwargs)`` (None: as it is); the
    MPI executor's workers give calls their nodes this way."""
    global _call_context
    _call_context = context


def _app_is_running() -> bool:
    return getattr(_app_thread, "running", False)


def _release_slot_while_waiting() -> None:
    """Once per process: an app waiting for tasks of its own cluster through
    ``get_client()`` frees its worker slot meanwhile, so they can run (other Dask
    tasks on the same workers wait as Dask makes them)."""
    global _slot_released_while_waiting
    _slot_released_while_waiting = True
    try:
        release_worker_slot_while_clients_wait(_app_is_running)
    except DaskInternalsMissing as error:
        warnings.warn(f"{error} Until then, an app that waits for futures of its own cluster "
                      "(get_client()) keeps its worker slot while it waits.", RuntimeWarning, stacklevel=2)


def without_future_defaults(func: Callable) -> Callable:
    """``func``, minus default values that are futures.

    Apps pass their captured defaults explicitly on every call, so the
    function's own defaults are never used on the worker; a future among them
    (``inputs=[other_app()]``) would only make the function unpicklable.
    """
    defaults = getattr(func, "__defaults__", None) or ()
    kwdefaults = getattr(func, "__kwdefaults__", None) or {}
    holds_future = any(
        is_dependency(item)
        for value in (*defaults, *kwdefaults.values())
        for item in (value if isinstance(value, (list, tuple)) else (value,))
    )
    if not holds_future:
        return func
    copy = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                              tuple(None for _ in defaults), func.__closure__)
    copy.__kwdefaults__ = {name: None for name in kwdefaults} or None
    copy.__qualname__ = func.__qualname__
    copy.__module__ = func.__module__
    return copy


def ensure_picklable(value: Any, app_name: str) -> bytes | None:
    """Raise ``SerializationError`` naming the app if ``value`` cannot be pickled; else
    its pickle, or None if large buffers were kept out of it (not copied to check)."""
    out_of_band: list = []
    try:
        pickled = dumps(value, buffer_callback=out_of_band.append)
    except Exception as error:
        raise SerializationError(app_name, f"the result ({type(value).__name__})", str(error)) from None
    return None if out_of_band else pickled


def take_result_pickles(taker: Callable[[bytes], None] | None) -> None:
    """Have ``taker`` offered, in the task's thread, the pickle of each app result that
    ``AppCall`` pickled to check it, so whoever sends it on need not pickle it again."""
    global _result_pickle_taker
    _result_pickle_taker = taker


def file_after(file_obj: Any, _producer_result: Any) -> Any:
    """A ``File`` that becomes available once the task writing it has run."""
    return file_obj


def apply(func: Callable, args: tuple, kwargs: dict) -> Any:
    """Call ``func``; used by ``App.delayed`` so user keywords never meet dask's."""
    return func(*args, **kwargs)

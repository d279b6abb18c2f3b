"""CPython internals: a lighter ``concurrent.futures.Future``, spawn without ``__main__``,
async exceptions."""
from __future__ import annotations

import collections
import concurrent.futures
import ctypes
import threading
from typing import Any


# -- CPython 3.10-3.13 ----------------------------------------------------------------
class _LightCondition(threading.Condition):
    """``threading.Condition`` minus its five per-instance bound methods, and with no
    queue of waiters until a thread waits.

    Every AppFuture has a condition; those bound methods were a third of the
    objects a live future adds for the cyclic garbage collector to traverse, and the
    empty deque of waiters a third of its memory (``Condition._waiters``, which
    ``notify`` reads as a sequence; tested on CPython 3.10 to 3.13).
    """

    _waiters: Any = ()  # a deque of its own once a thread waits

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def wait(self, timeout: float | None = None) -> bool:
        if self._waiters == ():  # (the caller holds the lock)
            self._waiters = collections.deque()
        return super().wait(timeout)

    def acquire(self, *args: Any) -> bool:
        return self._lock.acquire(*args)

    def release(self) -> None:
        self._lock.release()

    def _release_save(self) -> Any:
        return self._lock._release_save()

    def _acquire_restore(self, state: Any) -> None:
        self._lock._acquire_restore(state)

    def _is_owned(self) -> bool:
        return self._lock._is_owned()


class LightFuture(concurrent.futures.Future):
    """A ``concurrent.futures.Future`` with a lighter condition (what ``Future.__init__``
    sets, written out; tested on CPython 3.10 to 3.13)."""

    def __init__(self) -> None:
        self._condition = _LightCondition()
        self._state = "PENDING"
        self._result = None
        self._exception = None
        self._waiters: list = []
        self._done_callbacks: list = []


def replace_result(future: LightFuture, value: Any) -> None:
    """Replace a finished future's result without running its callbacks again
    (``Future._result``; tested on CPython 3.10 to 3.13)."""
    future._result = value


#: the name distributed's Nanny gives the worker processes it starts (tested on 2026.8.0)
_DASK_WORKER_PROCESS = "Dask Worker process (from Nanny)"


def start_dask_workers_without_main() -> None:
    """Start the worker processes of Dask nannies in this process without running the
    ``__main__`` script again, as multiprocessing's spawn otherwise does (a script with
    no ``if __name__ == "__main__":`` guard would start its workflow in every worker).

    Workers never need it: distributed pickles what ``__main__`` defines by value.
    Wraps ``multiprocessing.spawn.get_preparation_data`` for processes of that name only
    (tested on CPython 3.10 to 3.13 and distributed 2026.8.0). Idempotent.
    """
    import multiprocessing.spawn as spawn

    original = spawn.get_preparation_data
    if getattr(original, "skips_main_for_dask_workers", False):
        return

    def get_preparation_data(name: str) -> dict:
        data = original(name)
        if name == _DASK_WORKER_PROCESS:
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
        return data

    get_preparation_data.skips_main_for_dask_workers = True
    spawn.get_preparation_data = get_preparation_data


def raise_in_thread(thread_id: int, exception_class: type) -> None:
    """Raise ``exception_class`` in thread ``thread_id`` between two bytecodes
    (``PyThreadState_SetAsyncExc``; tested on CPython 3.10 to 3.13)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exception_class))

"""CPython internals: a lighter ``concurrent.futures.Future``, spawn without ``__main__``,
async exceptions."""
from __future__ import annotations

import concurrent.futures
import ctypes
import os
import threading
from typing import Any

# -- CPython 3.10-3.13 ----------------------------------------------------------------
_DONE_STATES = ("CANCELLED", "CANCELLED_AND_NOTIFIED", "FINISHED")
#: the one lock of every LightFuture (each ``concurrent.futures.Future`` has a lock of its own)
_LIGHT_FUTURES_LOCK = threading.RLock()


def _new_lock_in_child() -> None:  # a forked child has no thread left to release it
    global _LIGHT_FUTURES_LOCK
    _LIGHT_FUTURES_LOCK = threading.RLock()


os.register_at_fork(after_in_child=_new_lock_in_child)


class _SharedLockCondition:
    """What ``future._condition`` gives a LightFuture: the lock all of them share, and
    the future's list of sleeping threads (made when a thread sleeps).

    Made on each use and dropped after, so it costs a finished future nothing."""

    __slots__ = ("_future",)

    def __init__(self, future: LightFuture) -> None:
        self._future = future

    def __enter__(self) -> bool:
        return _LIGHT_FUTURES_LOCK.acquire()

    def __exit__(self, *exc_info: Any) -> None:
        _LIGHT_FUTURES_LOCK.release()

    def acquire(self, *args: Any) -> bool:
        return _LIGHT_FUTURES_LOCK.acquire(*args)

    def release(self) -> None:
        _LIGHT_FUTURES_LOCK.release()

    def wait(self, timeout: float | None = None) -> bool:
        """As ``threading.Condition.wait``: the caller holds the lock."""
        sleeper = threading.Lock()
        sleeper.acquire()
        future = self._future
        if future._sleepers is None:
            future._sleepers = [sleeper]
        else:
            future._sleepers.append(sleeper)
        saved = _LIGHT_FUTURES_LOCK._release_save()
        woken = False
        try:
            if timeout is None:
                woken = sleeper.acquire()
            else:
                woken = sleeper.acquire(True, timeout) if timeout > 0 else sleeper.acquire(False)
            return woken
        finally:
            _LIGHT_FUTURES_LOCK._acquire_restore(saved)
            if not woken and future._sleepers is not None and sleeper in future._sleepers:
                future._sleepers.remove(sleeper)
                future._sleepers = future._sleepers or None

    def notify_all(self) -> None:
        future = self._future
        sleepers, future._sleepers = future._sleepers, None
        for sleeper in sleepers or ():
            sleeper.release()


class _NoWaitersYet:
    """``future._waiters`` until ``concurrent.futures.wait`` or ``as_completed`` installs
    one: empty, and appending makes the future's list."""

    __slots__ = ("_future",)

    def __init__(self, future: LightFuture) -> None:
        self._future = future

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0

    def append(self, waiter: Any) -> None:
        self._future._waiter_list = [waiter]

    def remove(self, waiter: Any) -> None:
        raise ValueError("no such waiter")


class LightFuture(concurrent.futures.Future):
    """A ``concurrent.futures.Future`` that keeps no object of its own besides its
    result until a thread waits on it or a callback is added: every LightFuture shares
    one lock, and its lists of waiters, sleeping threads and callbacks are made when
    first used.

    The garbage collector's full collections traverse every object a held future
    keeps, and come more often the more there are: a future's condition, lock and
    two empty lists were four of the seven it kept. What ``concurrent.futures`` reads
    (``_condition``, ``_waiters``, ``_done_callbacks``, ``_state``, ``_result``,
    ``_exception``) is the same; tested on CPython 3.10 to 3.13.
    """

    def __init__(self) -> None:
        self._state = "PENDING"
        self._result = None
        self._exception = None
        self._waiter_list: list | None = None
        self._sleepers: list | None = None
        self._done_callbacks: Any = ()

    @property
    def _condition(self) -> _SharedLockCondition:
        return _SharedLockCondition(self)

    @property
    def _waiters(self) -> Any:
        waiters = self._waiter_list
        return _NoWaitersYet(self) if waiters is None else waiters

    def add_done_callback(self, fn: Any) -> None:
        with _LIGHT_FUTURES_LOCK:
            if self._state not in _DONE_STATES:
                if self._done_callbacks:
                    self._done_callbacks.append(fn)
                else:
                    self._done_callbacks = [fn]
                return
        try:
            fn(self)
        except Exception:
            concurrent.futures._base.LOGGER.exception("exception calling callback for %r", self)


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

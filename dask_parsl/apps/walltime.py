"""Walltime for python apps: ``AppTimeout`` raised inside the running task."""
from __future__ import annotations

import threading
from typing import Any, Callable

from ..internals import raise_in_thread
from .errors import AppTimeout


class _WalltimeExpired(AppTimeout):
    """Raised asynchronously in the task's thread (only a class can be)."""


def call_with_walltime(func: Callable, walltime: float, name: str, args: tuple, kwargs: dict) -> Any:
    """``func(*args, **kwargs)``, interrupted with ``AppTimeout`` after ``walltime`` seconds.

    The exception is raised in the running thread between two Python bytecodes,
    so code blocked inside one C call (``time.sleep``, a socket read) is
    interrupted when that call returns, as in Parsl.
    """
    thread_id = threading.get_ident()
    lock = threading.Lock()
    finished = False

    def expire() -> None:
        with lock:
            if not finished:
                raise_in_thread(thread_id, _WalltimeExpired)

    timer = threading.Timer(walltime, expire)
    timer.daemon = True
    try:
        timer.start()
        try:
            return func(*args, **kwargs)
        finally:
            with lock:
                finished = True
            timer.cancel()
    except _WalltimeExpired:
        raise AppTimeout(f"App {name} exceeded walltime: {walltime} seconds") from None

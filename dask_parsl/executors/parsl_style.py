"""``ParslExecutor``: Parsl's executor interface, for executors the kernel drives itself.

Such an executor is given one call at a time, its arguments already resolved:
``submit(func, resource_specification, *args, **kwargs)`` returns a
``concurrent.futures.Future`` of ``func(*args, **kwargs)``. Dependencies, retries,
memoization and checkpoints stay with the kernel (``dataflow.direct``), as in Parsl.
Any object with ``label``, ``start()``, ``submit(...)`` and ``shutdown()`` works;
subclassing ``ParslExecutor`` is optional.
"""
from __future__ import annotations

import abc
import concurrent.futures
import os
from typing import Any, Callable

#: what the kernel calls on an executor it drives
PARSL_EXECUTOR_METHODS = ("start", "submit", "shutdown")


def is_parsl_style(executor: Any) -> bool:
    """Whether ``executor`` offers Parsl's executor interface."""
    return isinstance(getattr(executor, "label", None), str) and all(
        callable(getattr(executor, name, None)) for name in PARSL_EXECUTOR_METHODS)


class ParslExecutor(abc.ABC):
    """Base class of executors written to Parsl's interface.

    The kernel sets ``run_dir`` and ``run_id`` before it calls ``start()``. An
    executor may also have ``storage_access`` (its staging providers) and
    ``working_dir``, and a ``validate_resource_spec(specification)`` that the kernel
    calls when an app is called, to refuse a specification at once.
    """

    label: str = "undefined"
    storage_access: list | None = None
    working_dir: str | None = None

    def __init__(self, *, run_dir: str = ".", run_id: str | None = None) -> None:
        self.run_dir = os.path.abspath(run_dir)
        self.run_id = run_id

    def start(self) -> None:  # noqa: B027 - optional to override, as in Parsl
        """Get ready to take calls (nothing by default)."""

    @abc.abstractmethod
    def submit(self, func: Callable, resource_specification: dict, *args: Any,
               **kwargs: Any) -> concurrent.futures.Future:
        """Start ``func(*args, **kwargs)``; its future."""

    @abc.abstractmethod
    def shutdown(self) -> None:
        """Stop taking calls and release what ``start`` acquired."""

    def monitor_resources(self) -> bool:
        """Whether per-task resource monitoring makes sense here (Parsl's hook)."""
        return True

    def __enter__(self) -> ParslExecutor:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.shutdown()

"""Parsl's retry budget: each failed try costs ``retry_handler(error, task_record)``
(1 by default), and a task is tried again while its total cost is within ``retries``."""
from __future__ import annotations

from typing import Any, Callable

from .errors import PropagatedException


class RetryPolicy:
    """How many failures a task may absorb, and what each one costs."""

    __slots__ = ("retries", "handler")

    def __init__(self, retries: int, handler: Callable[[BaseException, dict], float] | None = None) -> None:
        self.retries = retries
        self.handler = handler

    def charge(self, error: BaseException, task_record: dict) -> bool:
        """Add the cost of ``error`` to ``task_record`` and say whether to try again.

        A handler that raises makes its exception propagate: the task then
        fails with it. Dependency and join failures are never retried.
        """
        if isinstance(error, PropagatedException):
            return False
        cost = 1.0 if self.handler is None else float(self.handler(error, task_record))
        task_record["fail_cost"] += cost
        return task_record["fail_cost"] <= self.retries

    def __reduce__(self) -> tuple:
        return RetryPolicy, (self.retries, self.handler)

    def __repr__(self) -> str:
        return f"RetryPolicy(retries={self.retries}, handler={self.handler!r})"


def new_try_record(task_id: Any, name: str) -> dict:
    """The record a retry handler sees for a task that has not failed yet."""
    return {"id": task_id, "func_name": name, "fail_count": 0, "fail_cost": 0.0,
            "fail_history": [], "try_id": 0, "status": "running"}

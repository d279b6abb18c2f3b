"""Parsl's retry budget, as plain functions that the scheduler plugin and the kernel both call.

Each failed try costs ``retry_handler(error, task_record)`` (1 by default); a task
is tried again while its total cost is within ``retries``. ``WorkflowPlugin``
charges the tries of tasks on Dask clusters, where they fail, unless a
``retry_handler`` must see the task's full record: then the kernel charges them
(``remote_retries``), as it charges the tries it runs itself (join bodies,
executors it drives).
"""
from __future__ import annotations

import logging
import numbers
from typing import Any, Callable

from .. import settings
from ..errors import ConfigurationError
from .errors import PropagatedException

logger = logging.getLogger(__name__)


class RetryPolicy:
    """How many failures a task may absorb, and what each one costs.

    ``handler_on_client``: the policy of a Dask task whose kernel has a
    ``retry_handler``; the scheduler asks the kernel, which runs the handler on the
    full task record (``dataflow.remote_retries``), rather than charging it itself.
    ``charge_lost_workers``: a try whose worker died costs the task, as in Parsl
    (``parsl.worker-loss: charge``); by default it does not.
    """

    __slots__ = ("retries", "handler", "handler_on_client", "charge_lost_workers")

    def __init__(self, retries: int, handler: Callable[[BaseException, dict], float] | None = None,
                 handler_on_client: bool = False, charge_lost_workers: bool = False) -> None:
        self.retries = retries
        self.handler = handler
        self.handler_on_client = handler_on_client
        self.charge_lost_workers = charge_lost_workers

    def for_scheduler(self) -> RetryPolicy:
        """This policy as a Dask task carries it: the handler stays with the kernel."""
        if self.handler is None:
            return self
        return RetryPolicy(self.retries, None, True, self.charge_lost_workers)

    def __reduce__(self) -> tuple:
        return RetryPolicy, (self.retries, self.handler, self.handler_on_client, self.charge_lost_workers)

    def __repr__(self) -> str:
        return f"RetryPolicy(retries={self.retries}, handler={self.handler!r})"


WORKER_LOSS_MODES = ("reschedule", "charge")


def lost_workers_charged() -> bool:
    """Whether a lost worker costs its task a try (the ``parsl.worker-loss`` setting)."""
    mode = settings.get("worker-loss")
    if mode not in WORKER_LOSS_MODES:
        raise ConfigurationError(f"parsl.worker-loss is {mode!r}: set it to 'reschedule' (a lost worker "
                                 "costs its task nothing, the default) or 'charge' (a try, as in Parsl)")
    return mode == "charge"


def check_retries(retries: Any) -> None:
    """``ConfigurationError`` unless ``retries`` is a whole number >= 0."""
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise ConfigurationError(f"retries must be a whole number >= 0, not {retries!r}")


def new_try_record(task_id: Any, name: str) -> dict:
    """The record of a task's retry budget that ``WorkflowPlugin`` keeps on the scheduler."""
    return {"id": task_id, "func_name": name, "fail_count": 0, "fail_cost": 0.0,
            "fail_history": [], "try_id": 0, "status": "running"}


def charge_failed_try(policy: RetryPolicy | None, record: dict, error: BaseException) -> bool:
    """Count a failed try in ``record`` and say whether to try again.

    The failure is added to ``fail_count`` and ``fail_history`` first (the handler
    sees it, as in Parsl), then its cost to ``fail_cost``; a retry advances
    ``try_id``. Dependency and join failures are never retried. A handler that
    raises makes its exception propagate: the task then fails with it.
    """
    record["fail_count"] += 1
    record["fail_history"] = [*record["fail_history"], repr(error)]
    if policy is None or isinstance(error, PropagatedException):
        return False
    cost = 1.0 if policy.handler is None else _checked_cost(policy.handler(error, record), record)
    record["fail_cost"] += cost
    retry = record["fail_cost"] <= policy.retries
    if retry:
        record["try_id"] += 1
    return retry


def _checked_cost(cost: Any, record: dict) -> float:
    """A retry_handler's answer, if it is a cost: a number >= 0."""
    if isinstance(cost, bool) or not isinstance(cost, numbers.Real) or not cost >= 0:
        raise ConfigurationError(
            f"retry_handler returned {cost!r} for task {record['id']} ({record['func_name']}): it must "
            "return the failed try's cost, a number >= 0 (1 for an ordinary try, 0 for a free one)")
    return float(cost)


def charge_try_here(policy: RetryPolicy | None, record: dict, error: BaseException) -> BaseException | None:
    """Charge a try that failed where the kernel sees it (a join body, an executor it
    drives, a decision the scheduler asked for): None to try again, else the error the
    task fails with. A handler that raises spends the budget, as in Parsl: the task
    fails with the handler's exception (``fail_history`` keeps the app's)."""
    try:
        return None if charge_failed_try(policy, record, error) else error
    except Exception as handler_error:
        logger.info("retry_handler raised %r for task %s: not retrying", handler_error, record["id"])
        record["fail_cost"] = policy.retries + 1
        return handler_error


def note_retried_try(record: dict, error_text: str, cost: float, retry: bool) -> None:
    """Copy onto the kernel's record a try that ``WorkflowPlugin`` charged (the final
    failure is counted when the task fails)."""
    record["fail_cost"] += cost
    if retry:
        record["fail_count"] += 1
        record["fail_history"] = [*record["fail_history"], error_text]
        record["try_id"] += 1
        logger.info("Task %s (%s) try %d failed: %s; retrying", record["id"], record["func_name"],
                    record["try_id"], error_text)


def note_lost_try(record: dict, lost: dict, charged: bool) -> None:
    """Add to ``record["lost_tries"]`` a try that ended because its worker died (the
    app's own failures stay in ``fail_count``/``fail_history``); a free one advances
    ``try_id`` here, a charged one as its retry is noted."""
    entry = {"try_id": record["try_id"], "worker": lost.get("worker"), "job": lost.get("job"),
             "cause": lost.get("cause"), "time": lost.get("time"), "charged": charged}
    record["lost_tries"] = [*record.get("lost_tries", ()), entry]
    if not charged:
        record["try_id"] += 1
        logger.info("Task %s (%s) try %d ended with its worker %s; running it again", record["id"],
                    record["func_name"], entry["try_id"], entry["worker"])


def charge_lost_try(record: dict, error_text: str, cost: float, retry: bool) -> None:
    """Charge the latest lost try of ``record``, once its worker turns out to have died of
    it (the final failure is counted when the task fails)."""
    for entry in reversed(record.get("lost_tries", ())):
        if not entry["charged"]:
            entry["charged"] = True
            break
    record["fail_cost"] += cost
    if retry:
        record["fail_count"] += 1
        record["fail_history"] = [*record["fail_history"], error_text]

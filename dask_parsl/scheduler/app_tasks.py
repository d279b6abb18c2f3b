"""App tasks as the scheduler sees them: the ``AppCall`` in a task, its task id, and
failing those that wait for workers or resources that will not come."""
from __future__ import annotations

import time
from typing import Any

from ..apps.call import AppCall
from ..internals import fail_task, tasks_waiting_for_a_worker, unrunnable_since
from .errors import JobSubmissionFailed, ResourcesUnavailable
from .task_logs import is_app_task


def app_call_of(ts: Any) -> AppCall | None:
    """The app call a scheduler task runs; None for any other task."""
    return ts.run_spec.func if is_app_task(ts) else None


def task_id(key: Any) -> Any:
    """The kernel's task id in an app task's key (``name-token-id``)."""
    try:
        return int(str(key).rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return key


def fail_tasks_waiting_for_workers(scheduler: Any, batch_message: str) -> int:
    """Fail the app tasks waiting for a worker while none is connected, because the
    jobs that would bring workers were rejected; returns how many failed."""
    if scheduler.workers:  # the waiting tasks will run on these
        return 0
    waiting = [ts for ts in tasks_waiting_for_a_worker(scheduler) if app_call_of(ts) is not None]
    for ts in waiting:
        fail_task(scheduler, ts, JobSubmissionFailed(ts.key, batch_message))
    return len(waiting)


def fail_unrunnable_tasks(scheduler: Any, timeout: float) -> None:
    """Fail app tasks that have waited more than ``timeout`` seconds for resources no connected
    worker has (while no worker is connected, jobs may still be queued: keep waiting)."""
    workers = scheduler.workers
    if not workers:
        return
    now = time.monotonic()
    for ts, since in unrunnable_since(scheduler):
        if now - since < timeout or app_call_of(ts) is None:
            continue
        offered = sorted({name for ws in workers.values() for name in ws.resources})
        error = ResourcesUnavailable(ts.key, dict(ts.resource_restrictions or {}), offered, now - since)
        fail_task(scheduler, ts, error)

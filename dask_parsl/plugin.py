"""``WorkflowPlugin``: the scheduler side of a workflow.

It decides retries where the failure is seen, so a retried task goes back
to ``waiting`` on the scheduler (and may run on another worker) without a
round trip to the client, whose future finishes once. ``distributed`` has no
public hook for an exception-dependent retry decision, so two scheduler
handlers are wrapped here, and only here (tested on distributed 2026.8.0):

* ``task-erred`` (an app raised): charge the try to the task's budget, then
  set the scheduler's own ``TaskState.retries`` to 1 or 0 so that
  ``stimulus_task_erred`` re-queues or fails the task;
* ``remove_worker`` (a worker died with tasks running): charge each running
  app task, then steer the scheduler's ``suspicious`` count so the task is
  rescheduled, or fails with ``KilledWorker`` once the budget is spent. A
  worker that was closing (its ``--lifetime`` reached, its job cancelled)
  costs nothing: its tasks simply run elsewhere.

It also fails app tasks that wait longer than ``unrunnable_timeout`` for
resources that no connected worker offers.

Every charged try is published on the ``dask-parsl-try`` event topic, which
the client turns into ``fail_count``/``fail_cost``/``fail_history`` on the
task record. Nothing here does I/O.
"""
from __future__ import annotations

import logging
import time
import weakref
from collections import Counter
from typing import Any

from distributed.core import Status
from distributed.diagnostics.plugin import SchedulerPlugin
from distributed.protocol import deserialize, pickle, to_serialize
from distributed.protocol.serialize import Serialize, Serialized
from tornado.ioloop import PeriodicCallback

from .errors import JobSubmissionFailed, ResourcesUnavailable, WorkerLost
from .retries import new_try_record
from .worker_tasks import AppCall

logger = logging.getLogger(__name__)

PLUGIN_NAME = "dask-parsl-workflow"
_SHUTTING_DOWN = (Status.closing, Status.closed, Status.closing_gracefully)
TRY_TOPIC = "dask-parsl-try"


class WorkflowPlugin(SchedulerPlugin):
    """Enforces app retry budgets on the scheduler and counts failed tries per app."""

    name = PLUGIN_NAME
    idempotent = True  # one per scheduler, shared by every workflow using it

    def __init__(self, unrunnable_timeout: float = 300.0) -> None:
        #: how long an app task may wait for resources that no connected worker has
        self.unrunnable_timeout = unrunnable_timeout

    async def start(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        self._unrunnable_check = PeriodicCallback(self._fail_unrunnable, 1000)
        self._unrunnable_check.start()
        #: failed tries per app name, by outcome: "retried", "worker_lost", "failed"
        self.counts: dict[str, Counter] = {}
        self._tries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        original_erred = scheduler.stream_handlers["task-erred"]
        original_remove = scheduler.remove_worker

        def task_erred(key: Any, stimulus_id: str, **msg: Any) -> None:
            self._task_erred(key, msg)
            original_erred(key=key, stimulus_id=stimulus_id, **msg)

        async def remove_worker(address: str, *args: Any, **kwargs: Any) -> Any:
            if not kwargs.get("expected", False) and scheduler.status not in _SHUTTING_DOWN:
                self._worker_lost(address)
            return await original_remove(address, *args, **kwargs)

        scheduler.stream_handlers["task-erred"] = task_erred
        scheduler.remove_worker = remove_worker

    async def close(self) -> None:
        self._unrunnable_check.stop()

    # -- decisions ---------------------------------------------------------
    def _task_erred(self, key: Any, msg: dict) -> None:
        ts = self.scheduler.tasks.get(key)
        call = _app_call_of(ts)
        if call is None or ts.state != "processing" or ts.run_id != msg.get("run_id"):
            return
        error = _load_exception(msg.get("exception"))
        try:
            retry = self._charge(ts, call, error, "retried")
        except Exception as handler_error:
            logger.info("retry_handler of %s raised %r", key, handler_error)
            msg["exception"] = to_serialize(pickle.dumps(handler_error))
            msg["exception_text"] = repr(handler_error)
            retry = False
        ts.retries = 1 if retry else 0

    def _worker_lost(self, address: str) -> None:
        ws = self.scheduler.workers.get(address)
        if ws is None:
            return
        # a worker that was closing (its --lifetime reached, its job cancelled) did not crash
        retiring = ws.status in (Status.closing, Status.closing_gracefully)
        for ts in list(ws.processing):
            call = _app_call_of(ts)
            if call is None:
                continue
            if retiring:  # not the task's fault: run it elsewhere, free of charge
                ts.suspicious = -1
                continue
            error = WorkerLost(address, ts.key)
            try:
                retry = self._charge(ts, call, error, "worker_lost")
            except Exception:
                logger.exception("retry_handler of %s raised", ts.key)
                retry = False
            # remove_worker adds one and fails the task above allowed_failures
            ts.suspicious = -1 if retry else self.scheduler.allowed_failures

    def _fail_unrunnable(self) -> None:
        """Fail app tasks that have waited too long for resources no connected worker has
        (while no worker is connected, jobs may still be queued: keep waiting)."""
        workers = self.scheduler.workers
        if not workers:
            return
        now = time.monotonic()
        for ts, since in list(self.scheduler.unrunnable.items()):
            if now - since < self.unrunnable_timeout or _app_call_of(ts) is None:
                continue
            offered = sorted({name for ws in workers.values() for name in ws.resources})
            error = ResourcesUnavailable(ts.key, dict(ts.resource_restrictions or {}), offered, now - since)
            fail_task(self.scheduler, ts, error)

    def _charge(self, ts: Any, call: AppCall, error: BaseException, reason: str) -> bool:
        record = self._tries.get(ts)
        if record is None:
            record = self._tries[ts] = new_try_record(_task_id(ts.key), call.name)
        record["fail_count"] += 1
        record["fail_history"].append(repr(error))
        cost_before = record["fail_cost"]
        retry = False
        try:
            retry = call.retry is not None and call.retry.charge(error, record)
        finally:
            self.counts.setdefault(call.name, Counter())[reason if retry else "failed"] += 1
            self.scheduler.log_event(TRY_TOPIC, {
                "kind": "try", "key": ts.key, "error": repr(error)[:2000], "retry": retry,
                "cost": record["fail_cost"] - cost_before,
            })
        if retry:
            record["try_id"] += 1
        return retry


def fail_tasks_waiting_for_workers(scheduler: Any, batch_message: str) -> int:
    """Fail the app tasks waiting for a worker while none is connected, because the
    jobs that would bring workers were rejected; returns how many failed."""
    if scheduler.workers:  # the waiting tasks will run on these
        return 0
    waiting = [ts for ts in [*scheduler.unrunnable, *scheduler.queued] if _app_call_of(ts) is not None]
    for ts in waiting:
        fail_task(scheduler, ts, JobSubmissionFailed(ts.key, batch_message))
    return len(waiting)


def fail_task(scheduler: Any, ts: Any, error: BaseException) -> None:
    """Fail task ``ts`` (and its dependents) with ``error``, wherever it waits or runs."""
    stimulus_id = f"dask-parsl-fail-{time.time()}"
    where = {"worker": ts.processing_on.address} if ts.state == "processing" else {}
    recommendations = scheduler.transition(ts.key, "erred", stimulus_id, cause=ts.key,
                                           exception=pickle.dumps(error), exception_text=str(error), **where)
    scheduler.transitions(recommendations, stimulus_id)


def _app_call_of(ts: Any) -> AppCall | None:
    func = getattr(getattr(ts, "run_spec", None), "func", None)
    return func if isinstance(func, AppCall) else None


def _task_id(key: Any) -> Any:
    try:
        return int(str(key).rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return key


def _load_exception(payload: Any) -> BaseException:
    """The exception a worker reported, as an object."""
    try:
        if isinstance(payload, Serialized):
            payload = deserialize(payload.header, payload.frames)
        elif isinstance(payload, Serialize):
            payload = payload.data
        if isinstance(payload, (bytes, bytearray, memoryview)):
            payload = pickle.loads(payload)
    except Exception as error:  # the exception's class is not importable here
        return RuntimeError(f"the task failed with an exception the scheduler cannot load: {error}")
    return payload if isinstance(payload, BaseException) else RuntimeError(repr(payload))

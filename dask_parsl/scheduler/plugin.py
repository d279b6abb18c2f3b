"""``WorkflowPlugin``: the scheduler side of a workflow.

It decides retries where the failure is seen, so a retried task goes back
to ``waiting`` on the scheduler (and may run on another worker) without a
round trip to the client, whose future finishes once. ``distributed`` has no
public hook for an exception-dependent retry decision, so two scheduler
handlers are wrapped (``internals.before_task_erred``, ``before_worker_removed``):

* ``task-erred`` (an app raised): charge the try to the task's budget, then
  set the scheduler's own ``TaskState.retries`` to 1 or 0 so that
  ``stimulus_task_erred`` re-queues or fails the task. If the kernel has a
  ``retry_handler``, which needs the task's full record (its arguments never reach
  the scheduler), the report is held and the kernel asked; its answer re-queues or
  fails the task. The event loop never waits for a handler;
* ``remove_worker`` (a worker left, however the scheduler learned it): a try that
  had started on it runs again elsewhere free of charge, and its kernel records it
  as a lost try; Dask's own count of lost workers (``allowed-failures``) bounds a
  task that keeps killing its workers. A worker its nanny stopped for memory
  (``lost_workers``) costs the task running on it a try, as does every loss with
  ``parsl.worker-loss: charge``. Tasks still queued on the worker cost nothing.

It also fails app tasks that wait longer than ``unrunnable_timeout`` for
resources that no connected worker offers: calls made while their cluster had
no worker (the kernel refuses the others at once, ``executors.resources``).

Every charged try is sent to the kernel that owns the task (a message on its
client's stream, ``scheduler.events``), which turns it into ``fail_count``/``fail_cost``/
``fail_history`` on the task record, and every lost one, which goes to ``lost_tries``;
kernels that ask also learn when and where each try ran. Each kernel's reports of its
tasks by app and state are kept for the dashboard's Workflow page (``scheduler.board``),
with how many of them run on a worker now, counted as transitions happen.

A kernel whose connection drops keeps its tasks and reports while it reconnects
(``reconnects``; ``remove_client`` is wrapped too). What workers send with completions
(small results, memo reports) goes on, unread, to the kernels holding the tasks
(``pushed_results``).
"""
from __future__ import annotations

import itertools
import logging
import time
import weakref
from collections import Counter
from typing import TYPE_CHECKING, Any

from distributed.comm import CommClosedError
from distributed.core import Status
from distributed.diagnostics.plugin import SchedulerPlugin
from distributed.protocol import pickle, to_serialize
from tornado.ioloop import PeriodicCallback

from ..apps.call import AppCall
from ..dataflow.retries import charge_failed_try, new_try_record
from ..internals import (
    MEMORY_KILL_TOPIC,
    before_task_erred,
    before_worker_removed,
    fail_task,
    handle_task_erred,
    instead_of_dropping_a_client,
    retry_erred_task,
    retry_task_of_lost_worker,
    tasks_probably_running_on,
    uncount_lost_worker,
)
from .app_tasks import app_call_of, fail_unrunnable_tasks, task_id
from .board import PLUGIN_NAME, WorkflowBoard
from .errors import WorkerLost
from .events import (
    EVENTS_OP,
    RETRY_DECIDED_OP,
    SUBSCRIBE_OP,
    WORKFLOW_STATUS_OP,
    run_times,
)
from .lost_workers import BATCH_JOB_OP, TASK_STARTED_OP, LossLedger, job_of, memory_cause, note_batch_job
from .pushed_results import RESULT_OP, pass_on
from .reconnects import RECLAIM_OP, UNKNOWN_KEYS_OP, ClientHolds
from .task_logs import quiet_app_tasks
from .worker_exceptions import NotLoadable, exception_bytes, load_exception

if TYPE_CHECKING:
    from distributed import Scheduler

logger = logging.getLogger(__name__)

_SHUTTING_DOWN = (Status.closing, Status.closed, Status.closing_gracefully)
_WAITING_OR_RUNNING = ("waiting", "queued", "no-worker", "processing")


class WorkflowPlugin(SchedulerPlugin):
    """Enforces app retry budgets on the scheduler, reports each try to the kernel that
    owns the task, and keeps what the dashboard shows of each workflow."""

    name = PLUGIN_NAME
    idempotent = True  # one per scheduler, shared by every workflow using it

    def __init__(self, unrunnable_timeout: float = 300.0) -> None:
        #: how long an app task may wait for resources that no connected worker has
        self.unrunnable_timeout = unrunnable_timeout

    async def start(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self._unrunnable_check = PeriodicCallback(
            lambda: fail_unrunnable_tasks(scheduler, self.unrunnable_timeout), 1000)
        self._unrunnable_check.start()
        #: failed tries per app name, by outcome: "retried", "worker_lost", "memory", "failed"
        self.counts: dict[str, Counter] = {}
        #: the workflows using this scheduler, for the dashboard's Workflow page
        self.board = WorkflowBoard()
        self._tries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        #: app task -> the worker that last reported starting it
        self._started_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        # the clients of each app task on a worker (its who_wants may be gone when it leaves)
        self._running_for: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        #: failed-try reports held until the task's kernel decides: key -> (stimulus_id, msg, the ask)
        self._held: dict[Any, tuple[str, dict, dict]] = {}
        self.losses = LossLedger()
        self._kernels: set[str] = set()  # clients of dask_parsl kernels
        self._subscribers: set[str] = set()  # those that also want run times
        self._result_takers: set[str] = set()  # those that take small results with completions
        self._hold_for: dict[str, float] = {}  # how long to keep a kernel's keys while it reconnects
        self.holds = ClientHolds(scheduler)
        self._asks = itertools.count()  # numbers the retry decisions asked of kernels
        instead_of_dropping_a_client(scheduler, self._hold_kernel)
        before_task_erred(scheduler, self._task_erred)
        before_worker_removed(scheduler, self._worker_removed)
        scheduler.stream_handlers[SUBSCRIBE_OP] = self._subscribe
        scheduler.stream_handlers[WORKFLOW_STATUS_OP] = self.board.report
        scheduler.stream_handlers[RETRY_DECIDED_OP] = self._retry_decided
        scheduler.stream_handlers[TASK_STARTED_OP] = self._task_started
        scheduler.stream_handlers[BATCH_JOB_OP] = lambda **message: note_batch_job(scheduler, **message)
        scheduler.stream_handlers[RECLAIM_OP] = self._reclaim
        scheduler.stream_handlers[RESULT_OP] = lambda key=None, worker="", **message: pass_on(
            scheduler, key, message, self._kernels, self._result_takers)
        self._stop_quieting = quiet_app_tasks("distributed.scheduler", scheduler.tasks.get)
        try:  # the dashboard gets the Workflow page (if no preload gave it already)
            from ..dashboard import add_workflow_pages_to

            add_workflow_pages_to(scheduler)
        except Exception:
            logger.warning("Could not add the Workflow page to the scheduler's dashboard", exc_info=True)

    async def close(self) -> None:
        self._unrunnable_check.stop()
        self._stop_quieting()

    # -- what the scheduler does ----------------------------------------------------------
    def transition(self, key: Any, start: str, finish: str, *args: Any, stimulus_id: str,
                   **kwargs: Any) -> None:
        if start != "processing" and finish != "processing":
            return
        ts = self.scheduler.tasks.get(key)
        call = app_call_of(ts)
        if call is None:
            return
        if finish == "processing":
            clients = self._running_for[ts] = [client.client_key for client in ts.who_wants or ()]
            self.board.task_moved(clients, call.name, 1)
        elif start == "processing":
            self.board.task_moved(self._running_for.pop(ts, ()), call.name, -1)
        if finish == "memory" and self._subscribers:
            times = run_times(kwargs.get("startstops"))
            if times is not None:
                self._send(ts, {"kind": "run", "key": key, "worker": kwargs.get("worker"),
                                "start": times[0], "stop": times[1]}, self._subscribers)

    def _subscribe(self, client: str = "", runtime: bool = False, hold: float = 0.0, results: bool = False,
                   **_: Any) -> None:
        self._kernels.add(client)
        self._hold_for[client] = hold
        if runtime:
            self._subscribers.add(client)
        if results:
            self._result_takers.add(client)

    def remove_client(self, scheduler: Scheduler, client: str) -> None:
        if not self.holds.holding(client):
            self._forget_kernel(client)

    def _forget_kernel(self, client: str) -> None:
        self._kernels.discard(client)
        self._subscribers.discard(client)
        self._result_takers.discard(client)
        self._hold_for.pop(client, None)
        self.board.disconnected(client)
        for key in [key for key in self._held if not self._kernel_of(self.scheduler.tasks.get(key))]:
            self._retry_decided(key, retry=False, run_id=self._held[key][1].get("run_id"))  # no kernel to ask

    # -- a kernel whose connection dropped (``reconnects``) -------------------------------
    def _hold_kernel(self, client: str) -> None:
        seconds = self._hold_for.get(client) if client in self._kernels else None
        if seconds and self.scheduler.status == Status.running:
            self.holds.hold(client, seconds, expired=self._forget_kernel)

    def _reclaim(self, client: str = "", keys: list | tuple = (), **_: Any) -> None:
        comm = self.scheduler.client_comms.get(client)
        if comm is None:
            return
        # the reports that waited go first, while their tasks are still pending in the kernel;
        # every retry decision still held is asked again: one asked just before the drop may be lost
        events = [event for event in self.holds.missed_by(client) if event["kind"] != "decide"]
        events += [held[2] for key, held in self._held.items()
                   if self._kernel_of(self.scheduler.tasks.get(key)) == client]
        if events:
            comm.send({"op": EVENTS_OP, "events": events})
        comm.send({"op": UNKNOWN_KEYS_OP, "keys": self.holds.reclaim(client, list(keys))})

    # -- decisions ------------------------------------------------------------------------
    def _task_erred(self, key: Any, stimulus_id: str, msg: dict) -> bool:
        ts = self.scheduler.tasks.get(key)
        call = app_call_of(ts)
        if call is None or ts.state != "processing" or ts.run_id != msg.get("run_id"):
            return True
        if call.retry is not None and call.retry.handler_on_client:
            kernel = self._kernel_of(ts)
            if kernel is not None:
                self._ask_kernel(ts, kernel, stimulus_id, msg)
                return False
        error = load_exception(msg.get("exception"))
        retry = self._charge(ts, call, error, "retried", msg.get("worker"), run_times(msg.get("startstops")),
                             texts=(msg.get("exception_text"), msg.get("traceback_text")))
        retry_erred_task(ts, retry)
        return True

    def _ask_kernel(self, ts: Any, kernel: str, stimulus_id: str, msg: dict,
                    lost: tuple | None = None) -> None:
        """Hold the failed try of ``ts`` and send it to its kernel, whose retry_handler decides
        (``lost``: the try ended with its worker, which the task was charged for)."""
        try:
            exception = exception_bytes(msg.get("exception"))
        except Exception:  # the kernel makes do with exception_text
            exception = None
        event = {"kind": "decide", "key": ts.key, "run_id": msg.get("run_id"), "exception": exception,
                 "error": str(msg.get("exception_text", ""))[:2000], "worker": msg.get("worker"),
                 "ask": next(self._asks)}
        times = run_times(msg.get("startstops"))
        if times is not None:
            event["start"], event["stop"] = times
        if lost is not None:
            event["lost"] = {"worker": lost[0], "job": lost[1], "cause": None, "time": time.time()}
        self._held[ts.key] = (stimulus_id, msg, event)
        self._deliver(kernel, event)

    def _retry_decided(self, key: Any, retry: bool, run_id: int | None = None, exception: bytes | None = None,
                       fail_cost: float | None = None, fail_count: int | None = None, **_: Any) -> None:
        """The kernel's answer about a held try: re-queue the task or fail it (with the
        handler's exception, if it raised); the task's budget so far comes along. If the
        task was rescheduled meanwhile (its worker left), a "no" fails it where it is."""
        held = self._held.get(key)
        ts = self.scheduler.tasks.get(key)
        if ts is None:  # forgotten meanwhile
            self._held.pop(key, None)
            return
        if held is None or held[1].get("run_id") != run_id:
            return
        del self._held[key]
        stimulus_id, msg, _ = held
        call = app_call_of(ts)
        if call is not None:
            self.counts.setdefault(call.name, Counter())["retried" if retry else "failed"] += 1
            if fail_cost is not None:  # the budget lost workers are charged to, here
                record = self._tries.get(ts)
                if record is None:
                    record = self._tries[ts] = new_try_record(task_id(key), call.name)
                record["fail_cost"], record["fail_count"] = fail_cost, fail_count
        if exception is not None:
            msg["exception"] = to_serialize(exception)
            msg["exception_text"] = repr(load_exception(exception))
        if ts.state == "processing" and ts.run_id == msg.get("run_id"):
            retry_erred_task(ts, retry)
            handle_task_erred(self.scheduler, key, stimulus_id, msg)
        elif not retry and ts.state in _WAITING_OR_RUNNING:
            fail_task(self.scheduler, ts, load_exception(msg.get("exception")))

    def _kernel_of(self, ts: Any) -> str | None:
        """The kernel client that holds ``ts``, connected or reconnecting, if any."""
        comms = self.scheduler.client_comms
        for client in (ts.who_wants or ()) if ts is not None else ():
            name = self.holds.kernel_named(client.client_key)
            if name in self._kernels and (name in comms or self.holds.holding(name)):
                return name
        return None

    def _worker_removed(self, address: str, expected: bool) -> None:
        if self.scheduler.status in _SHUTTING_DOWN:
            return
        ws = self.scheduler.workers.get(address)
        if ws is None:  # removed already (its stream closed, and then its nanny called)
            return
        job = job_of(ws)
        # a worker that was closing (its --lifetime reached, its job retired) did not crash
        retiring = expected or ws.status in (Status.closing, Status.closing_gracefully)
        memory = None if retiring else self.losses.cause_of_removal(address)
        unexplained = []
        # what it had started, as its worker told
        started = {ts for ts in ws.processing if self._started_on.get(ts) == address}
        started = started or tasks_probably_running_on(ws)
        for ts in list(ws.processing):
            call = app_call_of(ts)
            if call is None:
                continue
            # free of charge and not counted by Dask: a task only queued there, a worker that
            # was leaving anyway, a held try (with its kernel, whose "no" fails the task)
            if ts not in started or retiring or ts.key in self._held:
                if not expected:  # (Dask counts only the unexpected)
                    retry_task_of_lost_worker(self.scheduler, ts, retry=True)
                if ts in started:
                    self._report_loss(ts, address, job)
            elif memory is not None or call.retry is not None and call.retry.charge_lost_workers:
                self._charge_loss(ts, call, address, job, memory)
            else:  # free; Dask counts it, and gives up after distributed.scheduler.allowed-failures
                self._report_loss(ts, address, job)
                unexplained.append(ts)
        if unexplained:
            self.losses.lost(address, job, unexplained)

    def _task_started(self, key: Any = None, worker: str = "", **_: Any) -> None:
        ts = self.scheduler.tasks.get(key)
        if ts is not None:
            self._started_on[ts] = worker

    def log_event(self, topic: str, msg: Any) -> None:
        if topic != MEMORY_KILL_TOPIC or not isinstance(msg, dict):
            return
        address = msg.get("worker")
        ws = self.scheduler.workers.get(address)
        cause = memory_cause(msg, ws.memory_limit if ws is not None else None)
        job, tasks = self.losses.memory_killed(address, cause)
        for ts in tasks:  # removed before the nanny's word came: charge the tries now
            call = app_call_of(ts)
            if call is None or ts.state not in _WAITING_OR_RUNNING:
                continue
            uncount_lost_worker(ts)
            error = WorkerLost(ts.key, [(address, job)], cause)
            if not self._charge(ts, call, error, "memory", address, lost=(address, job), afterwards=True):
                fail_task(self.scheduler, ts, error)

    def _report_loss(self, ts: Any, address: str, job: str | None) -> None:
        """Tell the task's kernel that a try of ``ts`` ended with its worker, free of charge."""
        self._send(ts, {"kind": "lost", "key": ts.key, "worker": address, "job": job, "time": time.time()},
                   self._kernels)

    def _charge_loss(self, ts: Any, call: AppCall, address: str, job: str | None, cause: str | None) -> None:
        """Charge the loss of its worker to ``ts``, as a failed try with ``WorkerLost``."""
        error = WorkerLost(ts.key, [(address, job)], cause)
        kernel = self._kernel_of(ts) if call.retry is not None and call.retry.handler_on_client else None
        if kernel is not None:  # rescheduled now; the kernel's retry_handler may fail it later
            retry_task_of_lost_worker(self.scheduler, ts, retry=True)
            msg = {"exception": pickle.dumps(error), "exception_text": str(error), "worker": address}
            self._ask_kernel(ts, kernel, "", msg, lost=(address, job))
            return
        retry = self._charge(ts, call, error, "worker_lost", address, lost=(address, job))
        retry_task_of_lost_worker(self.scheduler, ts, retry)

    def _charge(self, ts: Any, call: AppCall, error: BaseException, reason: str, worker: str | None,
                times: tuple[float, float] | None = None, lost: tuple | None = None,
                afterwards: bool = False, texts: tuple | None = None) -> bool:
        """Charge a failed try of ``ts`` and tell its kernel; whether to try again. ``lost``:
        the try ended with its worker (and job); ``afterwards``: that loss was reported free
        of charge already; ``texts``: the worker's text of the exception and its traceback,
        sent along when the exception cannot be loaded here (nor, then, in the kernel)."""
        record = self._tries.get(ts)
        if record is None:
            record = self._tries[ts] = new_try_record(task_id(ts.key), call.name)
        cost_before = record["fail_cost"]
        retry = charge_failed_try(call.retry, record, error)  # no handler here: it cannot raise
        self.counts.setdefault(call.name, Counter())[reason if retry else "failed"] += 1
        event = {"kind": "try", "key": ts.key, "error": repr(error)[:2000], "retry": retry,
                 "cost": record["fail_cost"] - cost_before, "worker": worker}
        if times is not None:
            event["start"], event["stop"] = times
        if lost is not None:
            event["lost"] = {"worker": lost[0], "job": lost[1], "cause": getattr(error, "cause", None),
                             "afterwards": afterwards, "time": time.time()}
        if texts is not None and isinstance(error, NotLoadable):
            event["error"] = f"{texts[0]} (not loadable here: {error})"[:2000]
            event["texts"] = [str(text)[:20_000] if text else None for text in texts]
        self._send(ts, event, self._kernels)
        return retry

    def _send(self, ts: Any, event: dict, clients: set) -> None:
        """Send ``event`` to those of ``clients`` that hold ``ts``."""
        for client in ts.who_wants or ():
            name = self.holds.kernel_named(client.client_key)
            if name in clients:
                self._deliver(name, event)

    def _deliver(self, client: str, event: dict) -> None:
        """Send ``event`` to ``client``, or keep it until it reconnects."""
        comm = self.scheduler.client_comms.get(client)
        if comm is None or self.holds.holding(client):
            self.holds.missed(client, event)
            return
        try:
            comm.send({"op": EVENTS_OP, "events": [event]})
        except CommClosedError:  # its stream is closing; the hold that follows keeps the next ones
            logger.info("Client %s left before a report about %s reached it", client, event.get("key"))


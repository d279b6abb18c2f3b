"""How tasks end: results, failures, ``DependencyError``, and what executors report."""
from __future__ import annotations

import concurrent.futures
import logging
import time
from typing import TYPE_CHECKING, Any, Callable

import distributed
from distributed import KilledWorker
from distributed.protocol import pickle

from ..scheduler.errors import WorkerLost
from .errors import DependencyError, ExecutorLost, RemoteExceptionNotLoadable
from .events import EventStream
from .futures import ON_WORKER, AppFuture, DataFuture
from .records import TaskRecord, TaskTable
from .result_budget import ResultBudget
from .retries import charge_lost_try, note_lost_try, note_retried_try
from .states import States
from .waiting import when_all_done

if TYPE_CHECKING:
    from ..memo.launch import MemoLauncher
    from ..scheduler.pushed_results import PushedResult
    from .remote_retries import RemoteRetries

logger = logging.getLogger(__name__)


def failed_dependencies(depends: list) -> list[tuple[BaseException, str]]:
    """``(exception, description)`` of each finished dependency that failed."""
    failed = []
    for dep in depends:
        if isinstance(dep, distributed.Future):
            if dep.status in ("error", "cancelled"):
                try:
                    failed.append((dep.exception(), repr(dep)))
                except BaseException as error:
                    failed.append((error, repr(dep)))
        elif dep.done() and dep.exception() is not None:
            label = f"task {dep.tid}" if isinstance(dep, (AppFuture, DataFuture)) else repr(dep)
            failed.append((dep.exception(), label))
    return failed


class Outcomes:
    """Finishes tasks: sets their futures, updates their records, publishes their
    final state; and handles what executors report about running tasks."""

    def __init__(self, table: TaskTable, events: EventStream, pushed_memory: int = 0,
                 release_max_size: int = 0) -> None:
        self.table = table
        self.events = events
        #: the client memory the results that came with completions may take
        self.pushed_results = ResultBudget(pushed_memory, table.finished)
        #: results that came with completions up to this size are held here only
        self.release_max_size = release_max_size
        self.memo: MemoLauncher | None = None  # set by the kernel
        self.remote_retries: RemoteRetries | None = None  # set by the kernel

    def complete(self, record: TaskRecord, value: Any, state: States = States.exec_done) -> None:
        if not self._finish(record, state):
            return
        future = self.table.forget(record)
        if future is not None:
            future.set_result(value)

    def fail(self, record: TaskRecord, error: BaseException, state: States = States.failed,
             counted: bool = False) -> bool:
        """Fail the task with ``error`` (``counted``: its try was already charged); False if
        it had finished already."""
        if not self._finish(record, state, error=repr(error), counted=counted):
            return False
        if state is States.failed:
            self.events.task_failed(record, repr(error))
        future = self.table.forget(record)
        logger.info("Task %s (%s) failed: %r", record.id, record.func_name, error)
        if future is not None:
            future.set_exception(error)
        return True

    def _finish(self, record: TaskRecord, state: States, error: str | None = None,
                counted: bool = True) -> bool:
        """Put the task in its final ``state``; False if it is in one already (cancelled,
        or failed at cleanup, while it ran)."""
        now = time.time()
        if not record.move_to(state):
            return False
        if not counted:
            record.fail_count += 1
            record.fail_history = [*record.fail_history, error]
        record._time_returned = now
        if record._try_time_launched is not None:
            record._try_time_returned = now
        if error is None:
            self.events.state_changed(record)
        else:
            self.events.state_changed(record, error=error)
        return True

    def fail_unless_dependencies_failed(self, record: TaskRecord, error: Callable[[], BaseException],
                                        counted: bool = False) -> None:
        """Fail with ``DependencyError`` if a dependency failed, else with ``error()``."""
        if failed_dependencies(record["depends"]):
            self.fail_with_dependencies(record)
        else:
            self.fail(record, error(), counted=counted)

    def fail_with_dependencies(self, record: TaskRecord) -> None:
        """Fail with ``DependencyError`` once every dependency has finished, as Parsl
        does, so the error names all the dependencies that failed."""
        def fail() -> None:
            failed = failed_dependencies(record["depends"])
            record.fail_cost += 1  # as Parsl charges it
            self.fail(record, DependencyError(failed, record["id"]), States.dep_fail)

        when_all_done([dep for dep in record["depends"] if not dep.done()], fail)

    # -- what executors report (the executor's TaskListener) ------------------------------
    def task_finished(self, future: AppFuture, succeeded: bool, pushed: PushedResult | None = None) -> None:
        """The Dask task of ``future`` has finished (``pushed``: its result, sent along)."""
        record = future.task_record
        if record.unfinished_future() is None:  # cancelled, or failed at cleanup
            return
        if succeeded:
            value = ON_WORKER
            if pushed is not None and self.pushed_results.admit(pushed.nbytes):
                try:
                    value = pushed.load()
                    future._pushed_nbytes = pushed.nbytes
                    if pushed.nbytes <= self.release_max_size:
                        future._release_from_workers()
                except Exception:  # read from its worker instead, where the error shows as usual
                    logger.debug("Could not load the result of task %s sent along", record.id, exc_info=True)
            self.complete(record, value, States.memo_done if record.from_memo else States.exec_done)
        else:
            self.fail_unless_dependencies_failed(record, lambda: _remote_error(future),
                                                 counted=future._final_try_counted)

    def connection_lost(self, future: AppFuture) -> None:
        record = future.task_record
        self.fail(record, ExecutorLost(record["id"], record["executor"]))

    def results_held_by(self, executor: Any) -> list[AppFuture]:
        """The finished futures whose results are on ``executor``'s workers (read here
        already or not: later calls may take them from there)."""
        return [future for future in self.table.finished.alive()
                if future._executor is executor and isinstance(future._remote, distributed.Future)
                and future._replacement is None and future._entry is None and future._key is not None
                and future.exception() is None]

    def submission_failed(self, future: AppFuture, error: Callable[[], BaseException]) -> None:
        self.fail_unless_dependencies_failed(future.task_record, error)

    def task_event(self, future: AppFuture, event: dict) -> None:
        """A report about a running task: a failed try (charged, or to decide with the
        kernel's retry_handler), what its worker memoized, or when and where it ran."""
        record = future.task_record
        kind = event["kind"]
        if kind != "decide" and record.unfinished_future() is None:  # cancelled, or failed at cleanup
            return  # (a held try is still answered: the scheduler waits for it)
        if kind == "try":
            lost = event.get("lost")
            if lost is not None and lost["afterwards"]:  # a loss reported free turned out to be its own
                charge_lost_try(record, event["error"], event["cost"], event["retry"])
                return
            if lost is not None:
                note_lost_try(record, lost, charged=True)
            note_retried_try(record, event["error"], event["cost"], event["retry"])
            if "texts" in event:  # what the worker said of an exception this process cannot load
                record["remote_error_texts"] = event["texts"]
            if event["retry"]:  # the scheduler runs it again at once: the states Parsl goes through
                record.begin_next_try()
            self.events.try_failed(record, event)
        elif kind == "lost":  # its worker died: it runs again elsewhere, free of charge
            note_lost_try(record, event, charged=False)
            record.begin_next_try()
            self.events.try_lost(record, event)
        elif kind == "decide" and self.remote_retries is not None:
            self.remote_retries.decide(future, event)
        elif kind == "run":
            self.events.ran(record, event)
        elif kind == "resource":
            self.events.resources_sampled(record, event)
        elif kind == "memo" and self.memo is not None:
            self.memo.worker_reported(future, event)


def _remote_error(future: AppFuture) -> BaseException:
    try:
        error = future._remote.exception()
        if error is None:  # cancelled: result() says why
            future._remote.result()
    except BaseException as cancelled:
        error = cancelled
    if error is None:
        return concurrent.futures.CancelledError(f"task {future.tid}")
    if type(error) is Exception and len(error.args) == 1 and isinstance(error.args[0], (bytes, bytearray)):
        return _not_loadable(future, error.args[0])  # distributed's stand-in for a pickle it could not load
    lost = future.task_record.get("lost_tries")
    if lost and isinstance(error, KilledWorker):  # Dask gave up after allowed-failures lost workers
        return _workers_lost(future, lost, error)
    return error


def _not_loadable(future: AppFuture, pickled: bytes) -> RemoteExceptionNotLoadable:
    try:
        pickle.loads(pickled)
        reason = "it loads now, but did not when it arrived"
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
    record = future.task_record
    texts = record.get("remote_error_texts") or (None, None)
    return RemoteExceptionNotLoadable(record.id, record.func_name, reason, *texts)


def _workers_lost(future: AppFuture, lost: list, killed: KilledWorker) -> WorkerLost:
    last = lost[-1]
    if last["charged"]:  # its last try was charged for its worker (memory, or parsl.worker-loss: charge)
        error = WorkerLost(future._remote.key, [(last["worker"], last["job"])], last["cause"])
    else:
        error = WorkerLost(future._remote.key, [(entry["worker"], entry["job"]) for entry in lost])
    error.__cause__ = killed
    return error

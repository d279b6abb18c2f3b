"""The DataFlowKernel: where an app call becomes a task.

``submit`` makes the task's record and future (``records``), finds its
dependencies (``dependencies``), chooses its executor (``routing``), stages its
files (``staging``), and launches it once its dependencies allow: a join body
(``joins``), a call on an executor the kernel drives (``direct``), a cached
call (``memo.launch``) or a Dask task (``graph``). How a
task ends is ``outcomes``; every state change is a ``TaskEvent`` (``events``).
"""
from __future__ import annotations

import atexit
import concurrent.futures
import logging
import os
import time
import uuid
from typing import Any

from dask.utils import parse_bytes

from .. import settings
from ..apps.autolog import default_std_autopath, name_auto_logs
from ..apps.keywords import check_app_keywords
from ..apps.lifted import LiftedCalls
from ..config import Config
from ..errors import NoDataFlowKernelError
from ..executors.base import Executor
from ..executors.resources import dask_options
from ..memo.launch import MemoLauncher
from ..memo.memoizer import BasicMemoizer
from ..staging.data_manager import DataManager
from ..staging.files import File
from . import current
from .dependencies import SHALLOW_DEPENDENCY_RESOLVER, gather_dependencies
from .direct import DirectRunner
from .errors import TaskCancelled, TaskCancelledAtCleanup
from .events import EventStream
from .futures import AppFuture, DataFuture
from .graph import GraphBuilder
from .held_results import fetch_results_still_held
from .joins import JoinRunner
from .outcomes import Outcomes, failed_dependencies
from .records import TaskRecord, TaskTable
from .remote_retries import RemoteRetries
from .retries import lost_workers_charged
from .routing import JOIN_EXECUTOR, Router
from .rundir import make_rundir, start_file_logging
from .state_log import StateLog
from .states import States
from .status import StatusReporter, status_interval
from .waiting import when_all_done

logger = logging.getLogger(__name__)


class DataFlowKernel:
    """Runs a workflow: tracks tasks, resolves dependencies, talks to executors.

    Usually made by ``dask_parsl.load(config)``; use it as a context manager
    to clean up as ``config.exit_mode`` says.
    """

    def __init__(self, config: Config | None = None) -> None:
        self.config = config = config or Config()
        lost_workers_charged()  # a bad parsl.worker-loss setting fails here, before anything starts
        began = time.time()
        self.run_dir = make_rundir(config.run_dir)
        self.run_id = str(uuid.uuid4())
        self._stop_logging = None
        if config.initialize_logging:
            level = logging.getLevelName(str(settings.get("logging.level")).upper())
            self._stop_logging = start_file_logging(os.path.join(self.run_dir, "parsl.log"), level)
        logger.info("Starting DataFlowKernel %s in %s", self.run_id, self.run_dir)
        self.cleanup_called = False
        self.resolver = config.dependency_resolver or SHALLOW_DEPENDENCY_RESOLVER
        self.state_log = StateLog(self.run_id, logger)
        self.table = TaskTable(config.garbage_collect, self.resolver, self.state_log)
        self.events = EventStream()
        self.outcomes = Outcomes(self.table, self.events, parse_bytes(settings.get("results.client-memory")),
                                 parse_bytes(settings.get("results.release-max-size")))
        self._pool = concurrent.futures.ThreadPoolExecutor(
            config.internal_tasks_max_threads, thread_name_prefix="dask-parsl-internal")
        self.executors: dict[str, Any] = {}
        self.graph = GraphBuilder(config, self.executors, self.resolver, self.events)
        self.joins = JoinRunner(self._pool, self.graph, self.outcomes)
        self.direct = DirectRunner(self._pool, self.graph, self.outcomes)
        self.data_manager = DataManager(self)
        self.lifted = LiftedCalls(self)
        self.memoizer = config.memoizer or BasicMemoizer(
            checkpoint_files=config.checkpoint_files, checkpoint_period=config.checkpoint_period,
            checkpoint_mode=config.checkpoint_mode, memoize=config.app_cache)
        self.memo_launcher = MemoLauncher(self.memoizer, self.graph, self.outcomes, self._resubmit)
        self.graph.memo = self.outcomes.memo = self.memo_launcher
        self.monitoring = None
        if config.retry_handler is not None:
            self.outcomes.remote_retries = RemoteRetries(self._pool, self.graph, self.outcomes)
        try:
            self.memoizer.start(run_dir=self.run_dir, config_run_dir=config.run_dir)
            for executor in config.executors:
                self.executors[executor.label] = executor
                if not isinstance(executor, Executor):  # Parsl's interface: the kernel drives it
                    self.direct.start(executor, self.run_dir, self.run_id)
                    continue
                executor.start(self.run_dir, self.outcomes, config=config)
                executor.follow(self.events)
            self.graph.collections_executor = next(
                (executor for executor in self.executors.values() if isinstance(executor, Executor)), None)
            self.monitoring = config.monitoring.start(self) if config.monitoring is not None else None
            dashboards = [e.send_workflow_status for e in self.executors.values()
                          if isinstance(e, Executor) and e.shows_workflow]
            self.status_reporter = StatusReporter(self.run_id, self.state_log, self.events, dashboards,
                                                  status_interval(), began) if dashboards else None
        except BaseException:
            self._shutdown_executors()
            self.events.close()
            self._pool.shutdown(wait=False)
            self.state_log.close()
            if self._stop_logging:
                self._stop_logging()
            raise
        self.router = Router(self.executors)
        atexit.register(self._atexit_cleanup)

    @property
    def tasks(self) -> dict[int, TaskRecord]:
        """Records of the tasks not finished yet (all tasks, with ``garbage_collect=False``)."""
        return self.table.tasks

    @property
    def task_count(self) -> int:
        """How many tasks have been submitted."""
        return self.table.last_tid + 1

    @property
    def task_state_counts(self) -> dict[States, int]:
        """How many tasks are in each state (every state a key, as in Parsl)."""
        return self.state_log.counts

    def log_task_states(self) -> None:
        """Log how many tasks are in each state."""
        counts = self.state_log.counts
        logger.info("Tasks by state, DataFlowKernel %s:", self.run_id)
        for state in States:
            logger.info("Tasks in state %s: %d", state, counts[state])

    # -- submit ---------------------------------------------------------------------------
    def submit(self, app: Any, args: tuple, kwargs: dict, memoize: bool | None = None) -> AppFuture:
        """Make a task of one app call; returns its future without blocking."""
        if self.cleanup_called:
            raise NoDataFlowKernelError("Cannot submit to a DataFlowKernel that has been cleaned up")
        cached = (app.cache if memoize is None else memoize) and self.memoizer.memoize
        record = self.table.new_task(self, app, args, kwargs, cached)
        future = record.app_fu
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("Task %s submitted for app %s", record.id, app.__name__)
        if self.events.subscribers:
            self.events.state_changed(record)
        try:
            if kwargs:  # (most calls have none: nothing to check)
                check_app_keywords(app.__name__, kwargs)
            outputs = kwargs.get("outputs")
            if outputs:
                future._outputs = [DataFuture(future, f, record.id)
                                   for f in outputs if isinstance(f, File)]
            if "stdout" in kwargs or "stderr" in kwargs:
                name_auto_logs(record, self.config.std_autopath or self.default_std_autopath)
            self._route(record)
        except Exception as error:
            self.outcomes.fail(record, error)
        return future

    def _route(self, record: TaskRecord) -> None:
        """Choose the call's executor, stage its files, and launch it once its dependencies allow."""
        args, kwargs = record.args, record.kwargs
        depends = gather_dependencies(self.resolver, args, kwargs)
        executor = None if record.join else self.router.choose(record.app, record.id, depends)
        record.executor = executor.label if executor else JOIN_EXECUTOR
        if record.resource_specification or getattr(executor, "requires_resource_specification", False):
            record._dask_options = dask_options(executor, record.resource_specification)
        if (executor is not None and not kwargs.get("_parsl_staging_inhibit")
                and self.data_manager.needs_staging(executor.label, args, kwargs)):
            depends = self.data_manager.stage(record, executor.label)
        if depends:
            computed = self.graph.compute_collections(depends, executor)
            if computed:
                depends = [computed.get(id(dep), dep) for dep in depends]
            record.depends = depends
            record._computed = computed
            self.state_log.depends(record.id, depends)
            waiting = [dep for dep in depends if not self.graph.ready(dep, executor)]
            if waiting:
                when_all_done(waiting, lambda: self._launch_later(record))
                return
        self._launch(record)

    def _launch_later(self, record: TaskRecord) -> None:
        if not self.cleanup_called:
            self._pool.submit(self._launch_or_fail, record)

    def _launch_or_fail(self, record: TaskRecord) -> None:
        try:
            self._launch(record)
        except Exception as error:
            self.outcomes.fail(record, error)

    def _launch(self, record: TaskRecord) -> None:
        if self.cleanup_called or record.unfinished_future() is None:  # cancelled while it waited
            return
        if failed_dependencies(record.depends):
            self.outcomes.fail_with_dependencies(record)
        elif record.join:
            self.joins.launch(record)
        elif record.executor in self.direct.labels:
            self.direct.launch(record)
        elif record.memoize:
            self.memo_launcher.launch(record)
        else:
            self.graph.enqueue(record)

    def _resubmit(self, future: AppFuture) -> AppFuture:
        """The call of ``future`` again, not memoized (its checkpoint entry was damaged)."""
        args, kwargs = future._memo_call
        return self.submit(future.task_record["app"], args, kwargs, memoize=False)

    def cancel(self, future: AppFuture) -> bool:
        """End the task of ``future`` with ``TaskCancelled`` and cancel what runs it; False
        if it had finished."""
        record = future.task_record
        if not self.outcomes.fail(record, TaskCancelled(record.id), counted=True):
            return False
        if record.memoize and hasattr(self.memoizer, "forget"):
            self.memoizer.forget(future)  # identical calls run again rather than share the cancel
        try:
            if isinstance(future._executor, Executor):  # a Dask task, sent or about to be
                future._executor.cancel(future)
            elif future._remote is not None:  # the concurrent future of an executor the kernel drives
                future._remote.cancel()
        except Exception:
            logger.debug("Cancelling the running task %s failed", record.id, exc_info=True)
        return True

    def submit_lifted(self, parent: AppFuture, operation: str, argument: Any) -> AppFuture:
        """``parent[key]`` or ``parent.attr`` as a new task, run where ``parent``'s result is."""
        return self.lifted.call(parent, operation, argument)

    def default_std_autopath(self, task_record: dict, stream: str) -> str:
        """``run_dir/task_logs/NNNN/task_NNNN_<app>[_<label>].stdout|stderr`` (as Parsl names them)."""
        return default_std_autopath(self.run_dir, task_record, stream)

    def checkpoint(self) -> str | None:
        """Commit the checkpoint entries written so far; returns the checkpoint directory."""
        return self.memoizer.checkpoint()

    # -- lifecycle ------------------------------------------------------------------------
    def wait_for_current_tasks(self) -> None:
        """Block until every task submitted so far (and any they start) has finished."""
        logger.info("Waiting for all remaining tasks to complete")
        self.table.wait_for_current_tasks()
        logger.info("All remaining tasks completed")

    def cleanup(self) -> None:
        """Shut down executors and release the kernel; unfinished tasks fail."""
        if self.cleanup_called:
            raise NoDataFlowKernelError("This DataFlowKernel has already been cleaned up")
        self.cleanup_called = True
        logger.info("Cleaning up DataFlowKernel %s", self.run_id)
        fetch_results_still_held(self.table.finished.alive())
        try:
            self.memoizer.close()
        except Exception:
            logger.exception("Committing checkpoints at cleanup failed")
        for record in self.table.running():
            self.outcomes.fail(record, TaskCancelledAtCleanup(record["id"]))
        if self.status_reporter is not None:
            self.status_reporter.close()  # the final counts, while the schedulers can show them
        self._shutdown_executors()
        self.events.close()
        if self.monitoring is not None:
            self.monitoring.close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        atexit.unregister(self._atexit_cleanup)
        current.forget(self)
        self.state_log.close()
        logger.info("DataFlowKernel %s cleaned up", self.run_id)
        if self._stop_logging:
            self._stop_logging()

    def _shutdown_executors(self) -> None:
        for executor in self.executors.values():
            try:
                executor.shutdown()
            except Exception:
                logger.exception("Shutting down executor %s failed", executor.label)

    def _atexit_cleanup(self) -> None:
        if not self.cleanup_called:
            logger.info("Python is exiting: cleaning up DataFlowKernel %s", self.run_id)
            self.cleanup()

    def __enter__(self) -> DataFlowKernel:
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        mode = self.config.exit_mode
        if mode == "skip":
            return
        if mode == "wait" and exc_type is None:
            self.wait_for_current_tasks()
        self.cleanup()

    @property
    def _key_token(self) -> str:
        return self.graph.key_token

    def __repr__(self) -> str:
        return f"<DataFlowKernel {self.run_dir} executors={self.router.labels}>"

    def _repr_html_(self) -> str:
        from ..reprs import kernel_html

        return kernel_html(self)

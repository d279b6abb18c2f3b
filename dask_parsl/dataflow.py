"""The DataFlowKernel: turns app calls into Dask tasks and futures."""
from __future__ import annotations

import atexit
import concurrent.futures
import datetime
import itertools
import logging
import operator
import os
import random
import threading
import uuid
import warnings
from types import MappingProxyType
from typing import Any, Callable

import distributed
from dask import is_dask_collection
from dask._task_spec import List, Task, TaskRef, parse_input

from . import settings
from .bash import AUTO_LOGNAME
from .batching import describe_unpicklable
from .checkpoint import Entry, read_entry, read_payload
from .config import Config
from .dependencies import (
    SHALLOW_DEPENDENCY_RESOLVER,
    gather_dependencies,
    replace_dependencies,
)
from .errors import (
    BadCheckpoint,
    DependencyError,
    ExecutorLost,
    JoinError,
    NoDataFlowKernelError,
    TaskCancelledAtCleanup,
)
from .files import File
from .futures import (
    ON_WORKER,
    AppFuture,
    DataFuture,
    FinishedDependency,
    FinishedFutures,
    TaskRecord,
)
from .memoization import BasicMemoizer, CachedAppCall
from .retries import RetryPolicy
from .rundir import make_rundir, start_file_logging
from .staging import DataManager
from .states import States
from .worker_tasks import AppCall, file_after

logger = logging.getLogger(__name__)

FUTURE_TYPES = (concurrent.futures.Future, distributed.Future)
NO_RESOURCES = MappingProxyType({})
JOIN_EXECUTOR = "_join"


class DataFlowKernel:
    """Runs a workflow: tracks tasks, resolves dependencies, talks to executors.

    Usually made by ``dask_parsl.load(config)``; use it as a context manager
    to clean up as ``config.exit_mode`` says.
    """

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.run_dir = make_rundir(self.config.run_dir)
        self.run_id = str(uuid.uuid4())
        self._stop_logging = None
        if self.config.initialize_logging:
            level = logging.getLevelName(str(settings.get("logging.level")).upper())
            self._stop_logging = start_file_logging(os.path.join(self.run_dir, "parsl.log"), level)
        logger.info("Starting DataFlowKernel %s in %s", self.run_id, self.run_dir)
        self.tasks: dict[int, dict] = {}
        self._task_ids = itertools.count()
        self._last_tid = -1
        self._key_token = uuid.uuid4().hex[:8]
        self.cleanup_called = False
        self.resolver = self.config.dependency_resolver or SHALLOW_DEPENDENCY_RESOLVER
        # weak references to the futures of finished tasks, for cleanup to fetch
        # the results still held (a future's reference leaves when it dies)
        self._finished_futures = FinishedFutures()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            self.config.internal_tasks_max_threads, thread_name_prefix="dask-parsl-internal"
        )
        self._calls: dict[tuple, AppCall] = {}
        self._lifted_apps: dict[tuple, Any] = {}
        self.data_manager = DataManager(self)
        self.memoizer = self.config.memoizer or BasicMemoizer(
            checkpoint_files=self.config.checkpoint_files,
            checkpoint_period=self.config.checkpoint_period,
            checkpoint_mode=self.config.checkpoint_mode,
            memoize=self.config.app_cache,
        )
        self.executors: dict[str, Any] = {}
        try:
            self.memoizer.start(run_dir=self.run_dir, config_run_dir=self.config.run_dir)
            for executor in self.config.executors:
                executor.start(self.run_dir, self._task_finished, self._connection_lost,
                               self._submission_failed, self._task_event, config=self.config)
                self.executors[executor.label] = executor
        except BaseException:
            self._shutdown_executors()
            self._pool.shutdown(wait=False)
            if self._stop_logging:
                self._stop_logging()
            raise
        self._labels = list(self.executors)
        atexit.register(self._atexit_cleanup)

    @property
    def task_count(self) -> int:
        """How many tasks have been submitted."""
        return self._last_tid + 1

    # ------------------------------------------------------------------ submit
    def submit(self, app: Any, args: tuple, kwargs: dict, memoize: bool | None = None) -> AppFuture:
        """Make a task of one app call; returns its future without blocking."""
        if self.cleanup_called:
            raise NoDataFlowKernelError("Cannot submit to a DataFlowKernel that has been cleaned up")
        tid = self._last_tid = next(self._task_ids)
        record = TaskRecord({
            "dfk": self, "id": tid, "app": app, "func": app.func, "func_name": app.__name__,
            "args": args, "kwargs": kwargs, "status": States.pending, "depends": (),
            "executor": None, "fail_count": 0, "fail_cost": 0.0, "fail_history": (),
            "try_id": 0, "hashsum": None, "from_memo": None, "join": app.kind == "join",
            "memoize": (app.cache if memoize is None else memoize) and self.memoizer.memoize,
            "ignore_for_cache": app.ignore_for_cache,
            "resource_specification": kwargs.get("parsl_resource_specification") or NO_RESOURCES,
            "time_invoked": datetime.datetime.now(), "time_returned": None,
        })
        future = AppFuture(record)
        record["app_fu"] = future
        outputs = kwargs.get("outputs")
        if outputs:
            future._outputs = [DataFuture(future, f, tid) for f in outputs if isinstance(f, File)]
        if "stdout" in kwargs or "stderr" in kwargs:
            self._name_auto_logs(record)
        self.tasks[tid] = record
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("Task %s submitted for app %s", tid, app.__name__)
        try:
            depends = gather_dependencies(self.resolver, args, kwargs)
            executor = None if record["join"] else self._choose_executor(app, tid, depends)
            record["executor"] = executor.label if executor else JOIN_EXECUTOR
            if (executor is not None and not kwargs.get("_parsl_staging_inhibit")
                    and self.data_manager.needs_staging(executor.label, args, kwargs)):
                depends = self._stage(record, executor.label)
            if depends:
                computed = self._compute_collections(depends, executor)
                if computed:
                    depends = [computed.get(id(dep), dep) for dep in depends]
                record["depends"] = depends
                record["_computed"] = computed
                waiting = [dep for dep in depends if not self._ready(dep, executor)]
                if waiting:
                    self._launch_when_done(record, waiting)
                    return future
            self._launch(record)
        except Exception as error:
            self._fail(record, error)
        return future

    def _name_auto_logs(self, record: dict) -> None:
        """Replace ``AUTO_LOGNAME`` stdout/stderr with a log file per task; the
        generated names are left out of the memoization hash."""
        kwargs = record["kwargs"]
        for stream in ("stdout", "stderr"):
            value = kwargs.get(stream)
            if type(value) is int and value == AUTO_LOGNAME:
                name_log = self.config.std_autopath or self.default_std_autopath
                kwargs[stream] = name_log(record, stream)
                record["ignore_for_cache"] = [*record["ignore_for_cache"], stream]

    def default_std_autopath(self, task_record: dict, stream: str) -> str:
        """``run_dir/task_logs/NNNN/task_NNNN_<app>[_<label>].stdout|stderr`` (as Parsl names them)."""
        tid, label = task_record["id"], task_record["kwargs"].get("label")
        suffix = "" if label is None else f"_{label}"
        return os.path.join(self.run_dir, "task_logs", f"{tid // 10000:04d}",
                            f"task_{tid:04d}_{task_record['func_name']}{suffix}.{stream}")

    def _stage(self, record: dict, executor: str) -> list:
        """Stage the call's files in and out; returns its dependencies, stage-in tasks included."""
        future = record["app_fu"]
        worker_function = record["app"].worker_function()
        args, kwargs, function = self.data_manager.stage_inputs(
            executor, record["args"], record["kwargs"], worker_function)
        if "outputs" in kwargs:
            future._outputs, function = self.data_manager.stage_outputs(executor, kwargs, future, function)
        if function is not worker_function:
            record["_worker_function"] = function
        record["args"], record["kwargs"] = args, kwargs
        return gather_dependencies(self.resolver, args, kwargs)

    def submit_lifted(self, parent: AppFuture, operation: str, argument: Any) -> AppFuture:
        """``parent[key]`` or ``parent.attr`` as a new task, run where ``parent``'s result is."""
        from .apps import PythonApp

        executors = (parent._executor.label,) if parent._executor is not None else "all"
        app = self._lifted_apps.get((operation, executors))
        if app is None:
            func = operator.getitem if operation == "getitem" else getattr
            app = self._lifted_apps[operation, executors] = PythonApp(
                func, data_flow_kernel=self, executors=executors)
        return app(parent, argument)

    def _choose_executor(self, app: Any, tid: int, depends: list) -> Any:
        if app.executors == "all":
            labels = self._labels
        else:
            labels = list(app.executors)
            unknown = [label for label in labels if label not in self.executors]
            if unknown:
                raise ValueError(
                    f"Task {tid} (app {app.__name__}) asks for executor {unknown[0]!r}, "
                    f"but the loaded executors are {self._labels}"
                )
        if len(labels) == 1:
            return self.executors[labels[0]]
        for dep in depends:  # run next to the data when we can
            where = getattr(dep, "_executor", None)
            if where is not None and where.label in labels:
                return where
        return self.executors[random.choice(labels)]

    def _compute_collections(self, depends: list, executor: Any) -> dict:
        """Start computing the Dask collections among ``depends``; their futures by id."""
        collections = [dep for dep in depends if not isinstance(dep, FUTURE_TYPES)]
        if not collections:
            return {}
        where = executor or next(iter(self.executors.values()))
        return {id(c): where.compute(c) for c in collections if is_dask_collection(c)}

    def _ready(self, dep: Any, executor: Any) -> bool:
        """Can a task on ``executor`` be launched now with respect to ``dep``?"""
        if isinstance(dep, AppFuture):
            if dep._replacement is not None:
                return self._ready(dep._replacement, executor)
            if dep._entry is not None:
                return True
            if executor is not None and dep._key is not None and dep._executor is executor:
                return True
            return dep.done() and (dep._exception is not None or dep._result is not ON_WORKER)
        if isinstance(dep, DataFuture):
            return dep.done() or self._ready(dep.parent, executor)
        if isinstance(dep, distributed.Future):
            # another client's future may not have reached the scheduler yet: wait for it
            return (
                executor is not None
                and executor.same_scheduler(dep)
                and (dep.client is executor.client or dep.done())
            )
        return dep.done()

    def _launch_when_done(self, record: dict, waiting: list) -> None:
        def launch() -> None:
            if not self.cleanup_called:
                self._pool.submit(self._launch_or_fail, record)

        when_all_done(waiting, launch)

    def _launch_or_fail(self, record: dict) -> None:
        try:
            self._launch(record)
        except Exception as error:
            self._fail(record, error)

    def _launch(self, record: dict) -> None:
        if self.cleanup_called:
            return
        if self._failed_dependencies(record["depends"]):
            self._fail_with_dependencies(record)
        elif record["join"]:
            self._pool.submit(self._run_join, record)
        elif record["memoize"]:
            self._launch_memoized(record)
        else:
            self._enqueue(record)

    def _launch_memoized(self, record: dict) -> None:
        key = self._task_key(record)
        lookup_key, plan, deps = self.memoizer.plan(record, self.resolver, key)
        found = self.memoizer.find(lookup_key)
        name = record["func_name"]
        if found is None:
            record["hashsum"] = plan.hashsum  # None until the worker has computed it
            self.memoizer.remember(lookup_key, record["app_fu"])
            self.memoizer.misses[name] += 1
            self._enqueue(record, plan, deps)
            return
        self.memoizer.hits[name] += 1
        record["from_memo"] = True
        if isinstance(found, Entry):
            record["hashsum"] = lookup_key
            self._complete_from_entry(record, found)
        else:
            when_all_done([found], lambda: self._complete_like(record, found))

    def _complete_from_entry(self, record: dict, entry: Entry) -> None:
        future = record["app_fu"]
        future._entry, future._memo_token = entry.path, entry.token
        future._memo_call = (record["args"], record["kwargs"])  # to recompute a damaged entry
        self._complete(record, ON_WORKER, States.memo_done)

    def _complete_like(self, record: dict, earlier: AppFuture) -> None:
        """Finish a call as the identical ``earlier`` call of this run finished."""
        if earlier._exception is not None:
            self._fail(record, earlier._exception, States.memo_done)
            return
        future = record["app_fu"]
        for name in ("_remote", "_executor", "_key", "_entry", "_memo_token", "_memo_call", "_replacement"):
            setattr(future, name, getattr(earlier, name))
        record["hashsum"] = earlier.task_record.get("hashsum")
        self._complete(record, earlier._result, States.memo_done)

    def _task_key(self, record: dict) -> str:
        return f"{record['func_name']}-{self._key_token}-{record['id']}"

    def _app_call(self, app: Any, cached: bool, worker_function: Callable | None = None) -> AppCall:
        """What a task of ``app`` runs (one per app, unless staging wrapped this call's function)."""
        call = None if worker_function else self._calls.get((app, cached))
        if call is None:
            call_class = CachedAppCall if cached else AppCall
            call = call_class(worker_function or app.worker_function(), app.__name__,
                              self._retry_policy(app), enforce_walltime=app.kind != "bash")
            if worker_function is None:
                self._calls[app, cached] = call
        return call

    def _retry_policy(self, app: Any) -> RetryPolicy:
        retries = self.config.retries if app.retries is None else app.retries
        return RetryPolicy(retries, self.config.retry_handler)

    def _enqueue(self, record: dict, plan: Any = None, memo_deps: list = ()) -> None:
        app = record["app"]
        executor = self.executors[record["executor"]]
        args, kwargs = record["args"], record["kwargs"]
        if record["depends"]:
            computed = record["_computed"]
            args, kwargs = replace_dependencies(
                self.resolver, args, kwargs, lambda dep: self._graph_value(dep, executor, computed)
            )
        key = self._task_key(record) if plan is None else plan.key
        call = self._app_call(app, plan is not None, record.get("_worker_function"))
        if plan is None:
            task = Task(key, call, *args, **kwargs)
        else:
            computed = record.get("_computed", {})
            dep_values = [] if plan.hashsum else [
                None if token is not None else self._graph_value(dep, executor, computed)
                for token, dep in zip(plan.dep_tokens, memo_deps, strict=True)
            ]
            task = Task(key, call, plan, parse_input(dep_values),
                        *args, **kwargs)
        future = record["app_fu"]
        future._executor = executor
        record["status"] = States.launched
        executor.submit(key, task, future,
                        task_resources(record["resource_specification"], executor.declared_resources))
        future._key = key  # only now may later calls reference it in their graphs

    def _graph_value(self, dep: Any, executor: Any, computed: dict) -> Any:
        """What stands for ``dep`` in a task graph on ``executor``."""
        if isinstance(dep, AppFuture):
            if dep._replacement is not None:
                return self._graph_value(dep._replacement, executor, computed)
            if dep._entry is not None:
                return self._entry_node(dep, executor, computed)
            if dep._key is not None and dep._executor is executor:
                return _graph_ref(dep._key)
            return dep.result()
        if isinstance(dep, DataFuture):
            parent = dep.parent
            if not dep.done() and parent._key is not None and parent._executor is executor:
                return Task(f"file-{uuid.uuid4().hex}", file_after, dep.file_obj, _graph_ref(parent._key))
            return dep.file_obj
        if isinstance(dep, distributed.Future) and executor.same_scheduler(dep):
            return TaskRef(dep.key)
        if id(dep) in computed:
            return TaskRef(computed[id(dep)].key)
        return dep.result()

    def _entry_node(self, future: AppFuture, executor: Any, computed: dict) -> Any:
        """A graph node loading ``future``'s checkpoint entry on the worker, once the
        client has checked the entry is intact (else the call is computed again)."""
        if not future._entry_verified:
            try:
                read_payload(future._entry)
            except (OSError, BadCheckpoint) as error:
                return self._graph_value(self._recompute(future, error), executor, computed)
            future._entry_verified = True
        return Task(f"load_checkpoint-{uuid.uuid4().hex}", read_entry, future._entry)

    def _recompute(self, future: AppFuture, error: BaseException) -> AppFuture:
        """Run again the call whose checkpoint entry turned out damaged."""
        if future._replacement is None:
            record = future.task_record
            warnings.warn(f"{error}; computing task {record['id']} ({record['func_name']}) again",
                          RuntimeWarning, stacklevel=3)
            args, kwargs = future._memo_call
            future._replacement = self.submit(record["app"], args, kwargs, memoize=False)
            future._entry = None
        return future._replacement

    def _read_entry(self, future: AppFuture) -> Any:
        """The value of a checkpointed result, computed again if its entry is damaged."""
        try:
            return read_entry(future._entry)
        except (OSError, BadCheckpoint) as error:
            return self._recompute(future, error).result()

    def checkpoint(self) -> str | None:
        """Commit the checkpoint entries written so far; returns the checkpoint directory."""
        return self.memoizer.checkpoint()

    # ------------------------------------------------------------------ joins
    def _run_join(self, record: dict) -> None:
        app = record["app"]
        try:
            args, kwargs = record["args"], record["kwargs"]
            if record["depends"]:
                args, kwargs = replace_dependencies(
                    self.resolver, args, kwargs,
                    lambda dep: self._local_value(dep, record["_computed"]),
                )
            inner = self._call_join_body(record, args, kwargs)
        except Exception as error:
            self._fail(record, error)
            return
        single = isinstance(inner, FUTURE_TYPES)
        if not single and not (isinstance(inner, list) and all(isinstance(f, FUTURE_TYPES) for f in inner)):
            self._fail(record, TypeError(
                f"join_app {app.__name__} must return a Future or a list of Futures, "
                f"not {type(inner).__name__}"))
            return
        record["status"] = States.joining
        record["joins"] = inner
        inner_futures = [inner] if single else inner
        if not inner_futures:
            self._complete(record, [])
            return
        when_all_done(
            inner_futures, lambda: self._pool.submit(self._finish_join, record, inner_futures, single)
        )

    def _call_join_body(self, record: dict, args: tuple, kwargs: dict) -> Any:
        """Run a join app's body, retrying it under the same budget as other apps."""
        policy = self._retry_policy(record["app"])
        while True:
            try:
                return record["app"].func(*args, **kwargs)
            except Exception as error:
                if not policy.charge(error, record):
                    raise
                self._record_retry(record, repr(error))

    def _record_retry(self, record: dict, error: str) -> None:
        record["fail_count"] += 1
        record["fail_history"] = [*record["fail_history"], error]
        record["try_id"] += 1
        logger.info("Task %s (%s) try %d failed: %s; retrying", record["id"], record["func_name"],
                    record["try_id"], error)

    def _finish_join(self, record: dict, inner: list, single: bool) -> None:
        failed = self._failed_dependencies(inner)
        if failed:
            self._fail(record, JoinError(failed, record["id"]))
            return
        future = record["app_fu"]
        remote = [f for f in inner if isinstance(f, AppFuture) and f._result is ON_WORKER]
        executors = {f._executor for f in remote}
        try:
            if len(remote) == len(inner) and len(executors) == 1:
                # the results stay where they are; the join's future points at them
                future._executor = executors.pop()
                if single:
                    future._remote, key = inner[0]._remote, inner[0]._key
                else:
                    future._remote, key = [f._remote for f in inner], [f._key for f in inner]
                self._complete(record, ON_WORKER)
                future._key = key
            else:
                values = [f.result() for f in inner]
                self._complete(record, values[0] if single else values)
        except Exception as error:
            self._fail(record, error)

    def _local_value(self, dep: Any, computed: dict) -> Any:
        if isinstance(dep, DataFuture):
            return dep.file_obj
        if id(dep) in computed:
            return computed[id(dep)].result()
        return dep.result()

    # ------------------------------------------------------------------ completion
    def _task_finished(self, future: AppFuture, succeeded: bool) -> None:
        """Called by an executor when the Dask task of ``future`` has finished."""
        record = future.task_record
        if succeeded:
            self._complete(record, ON_WORKER, States.memo_done if record["from_memo"] else States.exec_done)
            return
        if self._failed_dependencies(record["depends"]):
            self._fail_with_dependencies(record)
            return
        try:
            error = future._remote.exception()
            if error is None:  # cancelled: result() says why
                future._remote.result()
        except BaseException as cancelled:
            error = cancelled
        self._fail(record, error or concurrent.futures.CancelledError(f"task {record['id']}"))

    def _task_event(self, future: AppFuture, event: dict) -> None:
        """A report about a running task: a failed try, or what its worker memoized."""
        record = future.task_record
        if event["kind"] == "try":
            record["fail_cost"] += event["cost"]
            if event["retry"]:
                self._record_retry(record, event["error"])
        elif event["kind"] == "memo":
            future._memo_token = event["token"]
            record["hashsum"] = event["hashsum"]
            self.memoizer.remember(event["hashsum"], future)
            if event["hit"]:
                record["from_memo"] = True
                self.memoizer.hits[record["func_name"]] += 1
                self.memoizer.misses[record["func_name"]] -= 1

    def _submission_failed(self, future: AppFuture, task: Task, error: Exception) -> None:
        record = future.task_record
        if self._failed_dependencies(record["depends"]):
            self._fail_with_dependencies(record)
        else:
            self._fail(record, describe_unpicklable(record["func_name"], task, error))

    def _connection_lost(self, future: AppFuture) -> None:
        record = future.task_record
        self._fail(record, ExecutorLost(record["id"], record["executor"]))

    def _fail_with_dependencies(self, record: dict) -> None:
        """Fail with ``DependencyError`` once every dependency has finished, as Parsl
        does, so the error names all the dependencies that failed."""
        def fail() -> None:
            failed = self._failed_dependencies(record["depends"])
            self._fail(record, DependencyError(failed, record["id"]), States.dep_fail)

        when_all_done([dep for dep in record["depends"] if not dep.done()], fail)

    def _failed_dependencies(self, depends: list) -> list[tuple[BaseException, str]]:
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

    def _complete(self, record: dict, value: Any, state: States = States.exec_done) -> None:
        record["status"] = state
        record["time_returned"] = datetime.datetime.now()
        future = self._forget(record)
        if future is None:
            return
        try:
            future.set_result(value)
        except concurrent.futures.InvalidStateError:  # already failed by cleanup
            return

    def _fail(self, record: dict, error: BaseException, state: States = States.failed) -> None:
        record["status"] = state
        record["time_returned"] = datetime.datetime.now()
        record["fail_count"] += 1
        record["fail_history"] = [*record["fail_history"], repr(error)]
        future = self._forget(record)
        logger.info("Task %s (%s) failed: %r", record["id"], record["func_name"], error)
        if future is None:
            return
        try:
            future.set_exception(error)
        except concurrent.futures.InvalidStateError:
            pass

    def _forget(self, record: TaskRecord) -> AppFuture | None:
        """Drop what a finished task no longer needs, so finished work can be freed.

        Returns the task's future, if it is still alive."""
        if self.config.garbage_collect:
            self.tasks.pop(record["id"], None)
        record.pop("_computed", None)
        if record["depends"]:
            record["args"], record["kwargs"] = replace_dependencies(
                self.resolver, record["args"], record["kwargs"], FinishedDependency.of
            )
            record["depends"] = [getattr(dep, "tid", None) for dep in record["depends"]]
        return record.release_future(self._finished_futures)

    # ------------------------------------------------------------------ lifecycle
    def wait_for_current_tasks(self) -> None:
        """Block until every task submitted so far (and any they start) has finished."""
        while True:
            unfinished = [
                future for r in list(self.tasks.values())
                if (future := r.get("app_fu")) is not None and not future.done()
            ]
            if not unfinished:
                return
            concurrent.futures.wait(unfinished)

    def cleanup(self) -> None:
        """Shut down executors and release the kernel; unfinished tasks fail."""
        if self.cleanup_called:
            raise NoDataFlowKernelError("This DataFlowKernel has already been cleaned up")
        self.cleanup_called = True
        logger.info("Cleaning up DataFlowKernel %s", self.run_id)
        self._fetch_results_still_held()
        try:
            self.memoizer.close()
        except Exception:
            logger.exception("Committing checkpoints at cleanup failed")
        self._shutdown_executors()
        for record in list(self.tasks.values()):
            if record.get("app_fu") is not None:  # still running
                self._fail(record, TaskCancelledAtCleanup(record["id"]))
        self._pool.shutdown(wait=False, cancel_futures=True)
        atexit.unregister(self._atexit_cleanup)
        from .loader import DataFlowKernelLoader

        if DataFlowKernelLoader._dfk is self:
            DataFlowKernelLoader.clear()
        logger.info("DataFlowKernel %s cleaned up", self.run_id)
        if self._stop_logging:
            self._stop_logging()

    def _fetch_results_still_held(self) -> None:
        """Bring results the user still holds to the client before the cluster goes away."""
        by_executor: dict[Any, list] = {}
        for future in self._finished_futures.alive():
            if future._result is ON_WORKER and future._executor is not None:
                by_executor.setdefault(future._executor, []).append(future)
        for executor, futures in by_executor.items():
            try:
                values = executor.gather([f._remote for f in futures])
            except Exception:
                logger.exception("Could not fetch results from executor %s", executor.label)
                continue
            for future, value in zip(futures, values, strict=True):
                future._result = value

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

    def __repr__(self) -> str:
        return f"<DataFlowKernel {self.run_dir} executors={self._labels}>"


#: Parsl's own resource keys: restrictions only where the executor's workers declare them
_PARSL_RESOURCE_KEYS = frozenset({"cores", "memory", "disk"})


def task_resources(specification: Any, declared: frozenset = frozenset()) -> dict | None:
    """The Dask resources a call asks for in ``parsl_resource_specification``: its
    numeric entries (``{"GPU": 1}``), except Parsl's ``cores``/``memory``/``disk``
    unless the executor's workers declare them."""
    if not specification:
        return None
    if not isinstance(specification, dict):
        raise TypeError(f"parsl_resource_specification must be a dict, not {type(specification).__name__}")
    return {name: value for name, value in specification.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)
            and (name in declared or name not in _PARSL_RESOURCE_KEYS)} or None


def when_all_done(futures: list, callback: Callable[[], Any]) -> None:
    """Call ``callback()`` once every future in ``futures`` is done (at once if none)."""
    remaining = len(futures)
    if not remaining:
        callback()
        return
    lock = threading.Lock()

    def one_done(_: Any) -> None:
        nonlocal remaining
        with lock:
            remaining -= 1
            if remaining:
                return
        callback()

    for future in futures:
        future.add_done_callback(one_done)


def _graph_ref(key: Any) -> Any:
    if isinstance(key, list):
        return List(*[TaskRef(k) for k in key])
    return TaskRef(key)

"""Turning app calls into Dask tasks: keys, and arguments as graph nodes."""
from __future__ import annotations

import concurrent.futures
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable

import dask
import distributed
from dask import is_dask_collection

from ..apps.call import AppCall, file_after
from ..executors.base import Executor
from ..internals import graph_value, task_ref, task_type
from ..memo.cached_call import CachedAppCall
from .dependencies import DependencyResolver, replace_dependencies
from .events import EventStream
from .futures import FUTURE_TYPES, ON_WORKER, AppFuture, DataFuture
from .retries import RetryPolicy, lost_workers_charged
from .states import States

if TYPE_CHECKING:
    from ..config import Config
    from ..memo.launch import MemoLauncher
    from ..memo.memoizer import MemoPlan
    from .records import TaskRecord


class GraphBuilder:
    """Builds the Dask task of each app call and hands it to its executor.

    A dependency on a task of the same executor becomes a reference to its key,
    so the value moves worker to worker; anything else is awaited by the kernel
    first and passed by value.
    """

    def __init__(self, config: Config, executors: dict, resolver: DependencyResolver,
                 events: EventStream) -> None:
        self.config = config
        self.executors = executors
        self.resolver = resolver
        self.events = events
        self.key_token = uuid.uuid4().hex[:8]
        self.memo: MemoLauncher | None = None  # set by the kernel
        #: where Dask collections given to joins and direct executors' calls are computed
        self.collections_executor: Any = None
        self._task = task_type()
        self._calls: dict[tuple, AppCall] = {}

    def task_key(self, record: TaskRecord) -> str:
        """``<app name>-<token>-<task id>``: Dask's dashboard groups tasks by app."""
        return f"{record.func_name}-{self.key_token}-{record.id}"

    def retry_policy(self, app: Any) -> RetryPolicy:
        retries = self.config.retries if app.retries is None else app.retries
        return RetryPolicy(retries, self.config.retry_handler, charge_lost_workers=lost_workers_charged())

    def compute_collections(self, depends: list, executor: Any) -> dict:
        """Start computing the Dask collections among ``depends``; their futures by id."""
        collections = [dep for dep in depends if not isinstance(dep, FUTURE_TYPES)]
        if not collections:
            return {}
        where = executor if isinstance(executor, Executor) else self.collections_executor
        if where is None:  # no Dask cluster: Dask's local scheduler, in a thread
            return {id(c): _compute_in_thread(c) for c in collections if is_dask_collection(c)}
        return {id(c): where.compute(c) for c in collections if is_dask_collection(c)}

    def ready(self, dep: Any, executor: Any) -> bool:
        """Can a task on ``executor`` be launched now with respect to ``dep``?"""
        if isinstance(dep, AppFuture):
            if dep._replacement is not None:
                return self.ready(dep._replacement, executor)
            if dep._entry is not None:
                return True
            if executor is not None and dep._key is not None and dep._executor is executor:
                return True
            return dep.done() and dep._stored_result() is not ON_WORKER  # failed, or fetched
        if isinstance(dep, DataFuture):
            return dep.done() or self.ready(dep.parent, executor)
        if isinstance(dep, distributed.Future):
            # another client's future may not have reached the scheduler yet: wait for it
            if not isinstance(executor, Executor):  # a join, or an executor the kernel drives
                return dep.done()
            return executor.same_scheduler(dep) and (dep.client is executor.client or dep.done())
        return dep.done()

    def enqueue(self, record: TaskRecord, plan: MemoPlan | None = None, memo_deps: list = ()) -> None:
        """Build the call's task (a cached one with its memo ``plan``) and submit it with
        the Dask options of its resource specification."""
        app = record.app
        executor = self.executors[record.executor]
        args, kwargs = record.args, record.kwargs
        computed = record._computed or {}
        held: list = []  # the Dask futures of the inputs referenced, until the task is sent
        if record.depends:
            args, kwargs = replace_dependencies(
                self.resolver, args, kwargs, lambda dep: self.graph_value(dep, executor, computed, held))
        call = self._app_call(app, plan is not None, record._worker_function)
        if plan is None:
            key = self.task_key(record)
            task = self._task(key, call, *args, **kwargs)
        else:
            key = plan.key
            dep_values = [] if plan.hashsum else [
                None if token is not None else self.graph_value(dep, executor, computed, held)
                for token, dep in zip(plan.dep_tokens, memo_deps, strict=True)]
            task = self._task(key, call, plan, graph_value(dep_values), *args, **kwargs)
        future = record.app_fu
        future._executor = executor
        if held:
            future._inputs_held = held
        record._try_time_launched = time.time()
        record.status = States.launched
        if self.events.subscribers:
            self.events.state_changed(record)
        executor.submit(key, task, future, record._dask_options)
        future._key = key  # only now may later calls reference it in their graphs

    def graph_value(self, dep: Any, executor: Any, computed: dict, held: list) -> Any:
        """What stands for ``dep`` in a task graph on ``executor``; the Dask future of a
        result it references joins ``held`` (a result released from the workers at that
        moment, ``AppFuture._release_from_workers``, stays there until the task is sent)."""
        if isinstance(dep, AppFuture):
            if dep._replacement is not None:
                return self.graph_value(dep._replacement, executor, computed, held)
            if dep._entry is not None:
                return self.memo.entry_node(
                    dep, lambda again: self.graph_value(again, executor, computed, held))
            remote, key = dep._remote, dep._key  # in this order: a release clears the key first
            if key is not None and dep._executor is executor:
                if remote is not None:
                    held.append(remote)
                return task_ref(key)
            return dep.result()
        if isinstance(dep, DataFuture):
            parent = dep.parent
            remote, key = parent._remote, parent._key
            if not dep.done() and key is not None and parent._executor is executor:
                if remote is not None:
                    held.append(remote)
                return self._task(f"file-{uuid.uuid4().hex}", file_after, dep.file_obj, task_ref(key))
            return dep.file_obj
        if isinstance(dep, distributed.Future) and executor.same_scheduler(dep):
            return task_ref(dep.key)
        if id(dep) in computed:
            return task_ref(computed[id(dep)].key)
        return dep.result()

    def _app_call(self, app: Any, cached: bool, worker_function: Callable | None = None) -> AppCall:
        """What a task of ``app`` runs (one per app, unless staging wrapped this call's function)."""
        call = None if worker_function else self._calls.get((app, cached))
        if call is None:
            call_class = CachedAppCall if cached else AppCall
            call = call_class(worker_function or app.worker_function(), app.__name__,
                              self.retry_policy(app).for_scheduler(), enforce_walltime=app.kind != "bash")
            if worker_function is None:
                self._calls[app, cached] = call
        return call


def _compute_in_thread(collection: Any) -> concurrent.futures.Future:
    future: concurrent.futures.Future = concurrent.futures.Future()

    def compute() -> None:
        try:
            future.set_result(dask.compute(collection)[0])
        except BaseException as error:
            future.set_exception(error)

    threading.Thread(target=compute, name="dask-parsl-collection", daemon=True).start()
    return future

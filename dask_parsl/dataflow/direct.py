"""Calls on executors the kernel drives itself: ``ThreadPoolExecutor`` and any executor
written to Parsl's interface (``executors.parsl_style``).

Once a call's dependencies have finished, the kernel resolves them to values here,
answers a cached call from the memo table or the checkpoints if it can, and hands
the rest to ``executor.submit(func, resource_specification, *args, **kwargs)``. It
charges failed tries to the retry budget itself, the ``retry_handler`` running in
its thread pool on the full task record, and saves results of cached calls to the
checkpoint store: what ``WorkflowPlugin`` and the workers do for Dask clusters.
"""
from __future__ import annotations

import concurrent.futures
import platform
import time
from typing import TYPE_CHECKING, Any

from ..apps.call import InProcessCall
from .dependencies import local_value, swap_dependencies
from .retries import charge_try_here
from .states import States

if TYPE_CHECKING:
    from .graph import GraphBuilder
    from .outcomes import Outcomes
    from .records import TaskRecord


class DirectRunner:
    """Submits calls to the executors the kernel drives, and finishes their tasks."""

    def __init__(self, pool: concurrent.futures.ThreadPoolExecutor, graph: GraphBuilder,
                 outcomes: Outcomes) -> None:
        self.pool = pool
        self.graph = graph
        self.outcomes = outcomes
        #: labels of the executors driven here
        self.labels: set[str] = set()
        self._calls: dict[Any, InProcessCall] = {}

    def start(self, executor: Any, run_dir: str, run_id: str) -> None:
        """Start ``executor`` as Parsl's kernel does: ``run_dir`` and ``run_id`` set first."""
        executor.run_dir = run_dir
        executor.run_id = run_id
        executor.start()
        self.labels.add(executor.label)

    def launch(self, record: TaskRecord) -> None:
        """Resolve the call's arguments and submit it (its dependencies have finished)."""
        computed = record._computed or {}

        def value(dep: Any) -> Any:
            return local_value(dep, computed)

        if record.memoize and self.graph.memo.answer_on_client(record, value):
            return
        args, kwargs = record.args, record.kwargs
        if record.depends:
            args, kwargs = swap_dependencies(self.graph.resolver, args, kwargs, value)
        self._submit(record, args, kwargs)

    def _submit(self, record: TaskRecord, args: tuple, kwargs: dict) -> None:
        executor = self.graph.executors[record.executor]
        call = self._call(record)
        future = record.app_fu
        future._executor = executor
        record._try_time_launched, record._try_time_returned = time.time(), None
        record.status = States.launched
        if self.outcomes.events.subscribers and record.try_id == 0:  # retries: published with the failure
            self.outcomes.events.state_changed(record)
        if self.outcomes.events.subscribers:  # someone wants to know when and where it ran
            call = TimedCall(call)
        tried = executor.submit(call, dict(record.resource_specification), *args, **kwargs)
        future._remote = tried  # the record's exec_fu
        tried.add_done_callback(lambda done: self._tried(record, args, kwargs, done))

    def _call(self, record: TaskRecord) -> InProcessCall:
        app = record.app
        if record._worker_function is not None:  # staging wrapped this call's function
            return InProcessCall(record._worker_function, app.__name__, enforce_walltime=app.kind != "bash")
        call = self._calls.get(app)
        if call is None:
            call = self._calls[app] = InProcessCall(app.worker_function(), app.__name__,
                                                    enforce_walltime=app.kind != "bash")
        return call

    def _tried(self, record: TaskRecord, args: tuple, kwargs: dict, done: concurrent.futures.Future) -> None:
        if record.unfinished_future() is None:  # failed meanwhile, by cleanup
            return
        value, error = self._outcome(record, done)
        if error is None and not record.memoize:
            self.outcomes.complete(record, value)
            return
        try:  # charges, handlers and checkpoint writes run in the kernel's threads
            self.pool.submit(self._finish_try, record, args, kwargs, value, error)
        except RuntimeError:  # the kernel is shutting down: its cleanup fails the task
            pass

    def _outcome(self, record: TaskRecord, done: concurrent.futures.Future) -> tuple[Any, Any]:
        """The try's value and exception; publishes when and where it ran."""
        if done.cancelled():
            return None, concurrent.futures.CancelledError(f"task {record.id} was cancelled by its executor")
        if done.exception() is not None:  # the call raised, or the executor failed it
            return None, done.exception()
        result = done.result()
        if type(result) is not Timed:
            return result, None
        self.outcomes.events.ran(record, {"start": result.start, "stop": result.stop, "worker": result.host})
        return result.value, result.error

    def _finish_try(self, record: TaskRecord, args: tuple, kwargs: dict, value: Any,
                    error: BaseException | None) -> None:
        if record.unfinished_future() is None:
            return
        if error is not None:
            self._failed(record, args, kwargs, error)
            return
        try:
            if record.memoize:
                self.graph.memo.finished_on_client(record, value)
            self.outcomes.complete(record, value)
        except Exception as failure:
            self.outcomes.fail(record, failure)

    def _failed(self, record: TaskRecord, args: tuple, kwargs: dict, error: BaseException) -> None:
        final = charge_try_here(self.graph.retry_policy(record.app), record, error)
        if final is not None:
            self.outcomes.fail(record, final, counted=True)
            return
        self.outcomes.events.try_failed(record, {"retry": True, "error": repr(error)})
        if not record.move_to(States.fail_retryable):  # cancelled meanwhile
            return
        record.status = States.pending
        try:
            self._submit(record, args, kwargs)
        except Exception:  # the executor takes no more calls (shut down): the try's error stands
            self.outcomes.fail(record, error, counted=True)


class Timed:
    """How a timed call ended (``value`` or ``error``), when, and on which host."""

    __slots__ = ("value", "error", "start", "stop", "host")

    def __init__(self, value: Any, error: BaseException | None, start: float, stop: float, host: str) -> None:
        self.value, self.error, self.start, self.stop, self.host = value, error, start, stop, host

    def __reduce__(self) -> tuple:
        return Timed, (self.value, self.error, self.start, self.stop, self.host)


class TimedCall:
    """Runs an app call where its executor puts it, and returns how it ended, when, and
    where (``Timed``): what the task events report as ``running``/``running_ended``."""

    __slots__ = ("call",)

    def __init__(self, call: InProcessCall) -> None:
        self.call = call

    @property
    def __name__(self) -> str:
        return self.call.name

    def __call__(self, *args: Any, **kwargs: Any) -> Timed:
        start = time.time()
        try:
            return Timed(self.call(*args, **kwargs), None, start, time.time(), platform.node())
        except Exception as error:
            return Timed(None, error, start, time.time(), platform.node())

    def __reduce__(self) -> tuple:
        return TimedCall, (self.call,)

"""Task records and the table of a kernel's tasks."""
from __future__ import annotations

import concurrent.futures
import datetime
import itertools
import operator
import threading
import time
import weakref
from collections.abc import MutableMapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Iterator

from .dependencies import DependencyResolver, swap_dependencies
from .futures import AppFuture
from .state_log import StateLog
from .states import FINAL_STATES, States

if TYPE_CHECKING:
    from .kernel import DataFlowKernel

NO_RESOURCES = MappingProxyType({})
_WEAK = weakref.ReferenceType
# state changes of tasks come from several threads (completions, the user's cancel, the
# kernel's pool): each is read, checked and made at once, so it is counted once
_STATE_CHANGE = threading.Lock()


class FinishedFutures(dict):
    """Weak references to the futures of finished tasks; each leaves when its future dies."""

    def __init__(self) -> None:
        super().__init__()
        self.remove = self.pop  # one bound method, not one per reference

    def alive(self) -> list[AppFuture]:
        return [future for reference in list(self) if (future := reference()) is not None]


def _timestamp(slot: str) -> property:
    """A field kept as seconds since the epoch (a float is smaller than a datetime, and
    cheaper to take), read as a ``datetime`` as in Parsl."""
    get_seconds = operator.attrgetter(slot)

    def read(record: TaskRecord) -> datetime.datetime | None:
        seconds = get_seconds(record)
        return None if seconds is None else datetime.datetime.fromtimestamp(seconds)

    def write(record: TaskRecord, value: datetime.datetime | float | None) -> None:
        setattr(record, slot, value.timestamp() if isinstance(value, datetime.datetime) else value)

    return property(read, write)


class TaskRecord(MutableMapping):
    """A task's record: Parsl's fields, read and written as a dict (``record["fail_count"]``).

    The fields live in slots, so a record takes a fraction of a dict's memory; the
    kernel reads them as attributes. Setting ``status`` counts the change in the
    kernel's ``task_state_counts`` and logs it. While the task runs the record
    holds its ``AppFuture`` (``app_fu``); once it has finished, only a weak
    reference, so a future the user drops is freed at once by reference counting.
    ``exec_fu`` is the Dask future of the task (None before it is launched).
    Other keys may be set too; they are kept in a dict of their own.
    """

    __slots__ = (
        "dfk", "id", "app", "func", "func_name", "args", "kwargs", "_status", "depends", "executor",
        "fail_count", "fail_cost", "fail_history", "try_id", "hashsum", "from_memo", "memoize",
        "ignore_for_cache", "join", "joins", "resource_specification", "_time_invoked", "_time_returned",
        "_try_time_launched", "_try_time_returned", "_app_fu", "_states", "_extra",
        # the kernel's own, not listed among the keys
        "_computed", "_worker_function", "_dask_options", "_app_number",
    )

    def __init__(self, dfk: DataFlowKernel, tid: int, app: Any, args: tuple, kwargs: dict, memoize: bool,
                 states: StateLog) -> None:
        self.dfk = dfk
        self.id = tid
        self.app = app
        self.func = app.func
        self.func_name = app.__name__
        self.args = args
        self.kwargs = kwargs
        self._status = States.pending
        self.depends = ()
        self.executor = None
        self.fail_count = 0
        self.fail_cost = 0.0
        self.fail_history = ()
        self.try_id = 0
        self.hashsum = None
        self.from_memo = None
        self.memoize = memoize
        self.ignore_for_cache = app.ignore_for_cache
        self.join = app.kind == "join"
        self.joins = None
        self.resource_specification = kwargs.get("parsl_resource_specification") or NO_RESOURCES
        self._time_invoked = time.time()
        self._time_returned = self._try_time_launched = self._try_time_returned = None
        self._app_fu = AppFuture(self)
        self._states = states
        self._extra = self._dask_options = self._computed = self._worker_function = None
        self._app_number = states.started(tid, self.func_name, States.pending)

    @property
    def status(self) -> States:
        """The task's state; setting it counts and logs the change."""
        return self._status

    @status.setter
    def status(self, state: States) -> None:
        self.move_to(state)

    def move_to(self, state: States) -> bool:
        """Go to ``state`` unless the task has finished (cancelled while a try was under
        way, say): a final state is never left. False if the task had finished."""
        with _STATE_CHANGE:
            previous = self._status
            if previous in FINAL_STATES:
                return False
            self._status = state
        self._states.moved(self.id, self._app_number, previous, state)
        return True

    def begin_next_try(self) -> None:
        """Go through the states of a task tried again at once, as Parsl records a retry:
        ``fail_retryable``, ``pending``, ``launched``."""
        self.status = States.fail_retryable
        self.status = States.pending
        self._try_time_launched, self._try_time_returned = time.time(), None
        self.status = States.launched

    time_invoked = _timestamp("_time_invoked")
    time_returned = _timestamp("_time_returned")
    try_time_launched = _timestamp("_try_time_launched")
    try_time_returned = _timestamp("_try_time_returned")

    @property
    def app_fu(self) -> AppFuture | None:
        """The task's future; None once the task has finished and the future was dropped."""
        future = self._app_fu
        return future() if type(future) is _WEAK else future

    @property
    def exec_fu(self) -> Any:
        """The Dask future of the task's result, once it was launched; for a result held
        here only (``parsl.results.release-max-size``), a finished future of it."""
        future = self.app_fu
        if future is None:
            return None
        if future._released:
            held: concurrent.futures.Future = concurrent.futures.Future()
            held.set_result(future.result())
            return held
        return future._remote

    def unfinished_future(self) -> AppFuture | None:
        """The future, while the task has not finished."""
        future = self._app_fu
        return None if type(future) is _WEAK else future

    def release_future(self, registry: FinishedFutures) -> AppFuture | None:
        """Keep only a weak reference to the future (also in ``registry`` until the
        future dies); returns the future if it is alive."""
        future = self._app_fu
        if type(future) is _WEAK:
            return future()
        reference = weakref.ref(future, registry.remove)
        registry[reference] = None
        self._app_fu = reference
        return future

    # -- the mapping ----------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        get = _GETTERS.get(key)
        if get is not None:
            return get(self)
        if key in _PRIVATE:
            value = getattr(self, key)
            if value is None:  # not set
                raise KeyError(key)
            return value
        extra = self._extra
        if extra is None:
            raise KeyError(key)
        return extra[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key in _GETTERS or key in _PRIVATE:
            if key == "exec_fu":
                raise KeyError("exec_fu is the task's Dask future: it cannot be set")
            setattr(self, key, value)
        else:
            if self._extra is None:
                self._extra = {}
            self._extra[key] = value

    def __delitem__(self, key: str) -> None:
        if key in _PRIVATE:
            if getattr(self, key) is None:
                raise KeyError(key)
            setattr(self, key, None)
        elif key in _GETTERS:
            raise KeyError(f"{key} is a field of every task record: it cannot be removed")
        else:
            del (self._extra or {})[key]

    def __contains__(self, key: object) -> bool:
        if key in _PRIVATE:
            return getattr(self, key) is not None  # type: ignore[call-overload]
        return key in _GETTERS or (self._extra is not None and key in self._extra)

    def __iter__(self) -> Iterator[str]:
        yield from KEYS
        if self._extra:
            yield from list(self._extra)

    def __len__(self) -> int:
        return len(KEYS) + len(self._extra or ())

    def __repr__(self) -> str:
        return (f"<TaskRecord {self.id} {self.func_name} {self._status.name} "
                f"executor={self.executor!r} try={self.try_id}>")


#: the keys of every record: Parsl's, and ``app`` (the app object)
KEYS = ("id", "func_name", "func", "app", "args", "kwargs", "status", "depends", "executor", "fail_count",
        "fail_cost", "fail_history", "try_id", "hashsum", "from_memo", "memoize", "ignore_for_cache", "join",
        "joins", "resource_specification", "time_invoked", "time_returned", "try_time_launched",
        "try_time_returned", "app_fu", "exec_fu", "dfk")
#: the kernel's own keys, present while set (not None)
_PRIVATE = frozenset({"_computed", "_worker_function"})
_GETTERS = {key: operator.attrgetter(key) for key in KEYS}


class FinishedDependency:
    """Stands in a finished task's record for a future it depended on."""

    __slots__ = ("tid",)

    def __init__(self, tid: int | None) -> None:
        self.tid = tid

    @classmethod
    def of(cls, future: Any) -> FinishedDependency:
        return cls(getattr(future, "tid", None))

    def __repr__(self) -> str:
        return f"<result of task {self.tid}>"


class TaskTable:
    """The tasks of one kernel: ids, records, the futures of finished tasks, and the
    counts of tasks by state.

    With ``garbage_collect`` (Parsl's default) a finished task leaves the table,
    and its record keeps the ids of its dependencies rather than their futures, so
    a finished chain does not pin its ancestors' results in worker memory.
    """

    def __init__(self, garbage_collect: bool, resolver: DependencyResolver, states: StateLog) -> None:
        self.tasks: dict[int, TaskRecord] = {}
        self.garbage_collect = garbage_collect
        self.resolver = resolver
        self.states = states
        self.last_tid = -1
        self._ids = itertools.count()
        # weak references to the futures of finished tasks, for cleanup to fetch
        # the results still held (a future's reference leaves when it dies)
        self.finished = FinishedFutures()

    def new_task(self, dfk: DataFlowKernel, app: Any, args: tuple, kwargs: dict,
                 memoize: bool) -> TaskRecord:
        """The record of a new app call, holding its new ``AppFuture`` as ``app_fu``."""
        tid = self.last_tid = next(self._ids)
        record = self.tasks[tid] = TaskRecord(dfk, tid, app, args, kwargs, memoize, self.states)
        return record

    def forget(self, record: TaskRecord) -> AppFuture | None:
        """Drop what a finished task no longer needs, so finished work can be freed.

        Returns the task's future, if it is still alive."""
        if self.garbage_collect:
            self.tasks.pop(record.id, None)
        record._dask_options = None
        if record.depends:
            record.args, record.kwargs = swap_dependencies(
                self.resolver, record.args, record.kwargs, FinishedDependency.of)
            record.depends = [getattr(dep, "tid", None) for dep in record.depends]
            record._computed = None
        return record.release_future(self.finished)

    def running(self) -> list[TaskRecord]:
        """The records of tasks that have not finished."""
        return [record for record in list(self.tasks.values()) if record.unfinished_future() is not None]

    def wait_for_current_tasks(self) -> None:
        """Block until every task submitted so far (and any they start) has finished."""
        while True:
            unfinished = [future for record in list(self.tasks.values())
                          if (future := record.unfinished_future()) is not None and not future.done()]
            if not unfinished:
                return
            concurrent.futures.wait(unfinished)

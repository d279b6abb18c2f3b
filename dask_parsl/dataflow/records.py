"""Task records and the table of a kernel's tasks."""
from __future__ import annotations

import concurrent.futures
import datetime
import itertools
import weakref
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .dependencies import DependencyResolver, swap_dependencies
from .futures import AppFuture
from .states import States

if TYPE_CHECKING:
    from .kernel import DataFlowKernel

NO_RESOURCES = MappingProxyType({})


class FinishedFutures(dict):
    """Weak references to the futures of finished tasks; each leaves when its future dies."""

    def __init__(self) -> None:
        super().__init__()
        self.remove = self.pop  # one bound method, not one per reference

    def alive(self) -> list[AppFuture]:
        return [future for reference in list(self) if (future := reference()) is not None]


class TaskRecord(dict):
    """A task's record (Parsl's field names).

    While the task runs the record holds its ``AppFuture`` (``app_fu``); once it
    has finished, only a weak reference, so a future the user drops is freed at
    once by reference counting rather than by a full cyclic garbage collection.
    """

    def release_future(self, registry: FinishedFutures) -> AppFuture | None:
        """Turn ``app_fu`` into a weak reference, also kept in ``registry`` until the
        future dies; returns the future if it is alive."""
        future = self.pop("app_fu", None)
        if future is None:
            return self["app_fu"]
        reference = weakref.ref(future, registry.remove)
        registry[reference] = None
        self["_app_fu_ref"] = reference
        return future

    def __missing__(self, key: Any) -> Any:
        if key == "app_fu" and "_app_fu_ref" in self:
            return self["_app_fu_ref"]()
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or (key == "app_fu" and dict.__contains__(self, "_app_fu_ref"))


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
    """The tasks of one kernel: ids, records, and the futures of finished tasks.

    With ``garbage_collect`` (Parsl's default) a finished task leaves the table,
    and its record keeps the ids of its dependencies rather than their futures, so
    a finished chain does not pin its ancestors' results in worker memory.
    """

    def __init__(self, garbage_collect: bool, resolver: DependencyResolver) -> None:
        self.tasks: dict[int, TaskRecord] = {}
        self.garbage_collect = garbage_collect
        self.resolver = resolver
        self.last_tid = -1
        self._ids = itertools.count()
        # weak references to the futures of finished tasks, for cleanup to fetch
        # the results still held (a future's reference leaves when it dies)
        self.finished = FinishedFutures()

    def new_task(self, dfk: DataFlowKernel, app: Any, args: tuple, kwargs: dict,
                 memoize: bool) -> TaskRecord:
        """The record of a new app call, holding its new ``AppFuture`` as ``app_fu``."""
        tid = self.last_tid = next(self._ids)
        record = TaskRecord({
            "dfk": dfk, "id": tid, "app": app, "func": app.func, "func_name": app.__name__,
            "args": args, "kwargs": kwargs, "status": States.pending, "depends": (),
            "executor": None, "fail_count": 0, "fail_cost": 0.0, "fail_history": (),
            "try_id": 0, "hashsum": None, "from_memo": None, "join": app.kind == "join",
            "memoize": memoize, "ignore_for_cache": app.ignore_for_cache,
            "resource_specification": kwargs.get("parsl_resource_specification") or NO_RESOURCES,
            "time_invoked": datetime.datetime.now(), "time_returned": None,
        })
        record["app_fu"] = AppFuture(record)
        self.tasks[tid] = record
        return record

    def forget(self, record: TaskRecord) -> AppFuture | None:
        """Drop what a finished task no longer needs, so finished work can be freed.

        Returns the task's future, if it is still alive."""
        if self.garbage_collect:
            self.tasks.pop(record["id"], None)
        record.pop("_computed", None)
        if record["depends"]:
            record["args"], record["kwargs"] = swap_dependencies(
                self.resolver, record["args"], record["kwargs"], FinishedDependency.of)
            record["depends"] = [getattr(dep, "tid", None) for dep in record["depends"]]
        return record.release_future(self.finished)

    def running(self) -> list[TaskRecord]:
        """The records of tasks that have not finished."""
        return [record for record in list(self.tasks.values()) if record.get("app_fu") is not None]

    def wait_for_current_tasks(self) -> None:
        """Block until every task submitted so far (and any they start) has finished."""
        while True:
            unfinished = [future for record in list(self.tasks.values())
                          if (future := record.get("app_fu")) is not None and not future.done()]
            if not unfinished:
                return
            concurrent.futures.wait(unfinished)

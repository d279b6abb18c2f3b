"""``AppFuture`` and ``DataFuture``: what app calls return."""
from __future__ import annotations

import collections
import concurrent.futures
import threading
import weakref
from concurrent.futures._base import PENDING
from typing import TYPE_CHECKING, Any, Sequence

from .files import File

if TYPE_CHECKING:
    from .executors import Executor


class _OnWorker:
    """Marks a finished result that is still held by a Dask worker."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<result on a worker>"


ON_WORKER = _OnWorker()


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


class _Condition(threading.Condition):
    """``threading.Condition`` minus its five per-instance bound methods.

    Every AppFuture has a condition; these bound methods were a third of the
    objects a live future adds for the cyclic garbage collector to traverse.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._waiters = collections.deque()

    def acquire(self, *args: Any) -> bool:
        return self._lock.acquire(*args)

    def release(self) -> None:
        self._lock.release()

    def _release_save(self) -> Any:
        return self._lock._release_save()

    def _acquire_restore(self, state: Any) -> None:
        self._lock._acquire_restore(state)

    def _is_owned(self) -> bool:
        return self._lock._is_owned()


_NO_OUTPUTS: tuple = ()


class AppFuture(concurrent.futures.Future):
    """The future of one app call.

    A ``concurrent.futures.Future``: ``result()``, ``exception()``, ``done()``,
    ``add_done_callback()``, ``concurrent.futures.wait`` and ``as_completed`` work
    as usual. A result stays on the Dask worker that computed it until
    ``result()`` is called; passing the future to another app moves it worker
    to worker, never through the client.
    """

    # set only for cached calls: the Dask token of the result, the checkpoint
    # entry holding it, the call (to recompute a damaged entry), and the future
    # of that recomputation
    _memo_token: str | None = None
    _entry: str | None = None
    _entry_verified = False
    _memo_call: tuple | None = None
    _replacement: AppFuture | None = None

    def __init__(self, task_record: dict) -> None:
        # what concurrent.futures.Future.__init__ sets, with a lighter condition
        self._condition = _Condition()
        self._state = PENDING
        self._result = None
        self._exception = None
        self._waiters: list = []
        self._done_callbacks: list = []
        self.task_record = task_record
        self._outputs: Sequence[DataFuture] = _NO_OUTPUTS
        # where the result lives: a dask Future (or list of them) on `_executor`
        self._remote: Any = None
        self._executor: Executor | None = None
        # the dask key (or list of keys) later tasks may reference in their graphs
        self._key: Any = None

    @property
    def tid(self) -> int:
        """This task's id, counted from 0 in its kernel."""
        return self.task_record["id"]

    @property
    def outputs(self) -> list[DataFuture]:
        """One ``DataFuture`` per ``File`` in the call's ``outputs``."""
        return self._outputs or []

    @property
    def stdout(self) -> Any:
        return self.task_record["kwargs"].get("stdout")

    @property
    def stderr(self) -> Any:
        return self.task_record["kwargs"].get("stderr")

    def task_status(self) -> str:
        """The task's state name, e.g. ``'launched'``, ``'exec_done'``, ``'dep_fail'``."""
        return self.task_record["status"].name

    def result(self, timeout: float | None = None) -> Any:
        value = super().result(timeout)
        if value is ON_WORKER:
            value = self._fetch()
        return value

    def _fetch(self) -> Any:
        if self._replacement is not None:
            return self._replacement.result()
        if self._entry is not None:
            value = self.task_record["dfk"]._read_entry(self)
        else:
            value = self._executor.gather(self._remote)
        self._result = value  # keep it, as a concurrent future does
        return value

    def __reduce__(self):
        raise TypeError(
            f"an AppFuture (task {self.tid}) cannot be sent to a worker: futures are "
            "dependencies only as top-level arguments or items of inputs=, or anywhere "
            "with Config(dependency_resolver=DEEP_DEPENDENCY_RESOLVER)"
        )

    def cancel(self) -> bool:
        raise NotImplementedError("Cancelling an app future is not supported")

    def cancelled(self) -> bool:
        return False

    def __getitem__(self, key: Any) -> AppFuture:
        return self.task_record["dfk"].submit_lifted(self, "getitem", key)

    def __getattr__(self, name: str) -> AppFuture:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.task_record["dfk"].submit_lifted(self, "getattr", name)

    def __repr__(self) -> str:
        state = self._state.lower()
        if self._state == "FINISHED":
            if self._exception is not None:
                state += f" raised {type(self._exception).__name__}"
            elif self._result is ON_WORKER:
                state += " (result on a worker)"
            else:
                state += f" returned {type(self._result).__name__}"
        name = self.task_record.get("func_name", "?")
        return f"<AppFuture task {self.tid} {name} at 0x{id(self):x} state={state}>"


class DataFuture(concurrent.futures.Future):
    """The future of a ``File`` that an app writes.

    It completes with the ``File`` when the app that writes it finishes, and
    fails with that app's exception.
    """

    def __init__(self, fut: AppFuture, file_obj: File, tid: int | None = None) -> None:
        super().__init__()
        if not isinstance(file_obj, File):
            raise TypeError(f"DataFuture needs a File, not {type(file_obj).__name__}")
        self.parent = fut
        self.file_obj = file_obj
        self._tid = tid
        fut.add_done_callback(self._parent_done)

    def _parent_done(self, parent: concurrent.futures.Future) -> None:
        error = parent.exception()
        if error is not None:
            self.set_exception(error)
        else:
            self.set_result(self.file_obj)

    @property
    def tid(self) -> int | None:
        return self._tid

    @property
    def filepath(self) -> str:
        return self.file_obj.filepath

    @property
    def filename(self) -> str:
        return self.file_obj.filename

    def cancel(self) -> bool:
        raise NotImplementedError("Cancelling a data future is not supported")

    def cancelled(self) -> bool:
        return False

    def __repr__(self) -> str:
        return (f"<DataFuture of task {self._tid} at 0x{id(self):x} "
                f"file={self.file_obj.url} state={self._state.lower()}>")

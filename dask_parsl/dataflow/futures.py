"""``AppFuture`` and ``DataFuture``: what app calls return."""
from __future__ import annotations

import concurrent.futures
from typing import TYPE_CHECKING, Any, Sequence

import distributed

from ..internals import LightFuture, replace_result
from ..staging.files import File

if TYPE_CHECKING:
    from ..executors.base import Executor
    from ..memo.store import Entry


class _OnWorker:
    """Marks a finished result that is still held by a Dask worker."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<result on a worker>"


ON_WORKER = _OnWorker()
#: what app calls accept as dependencies besides Dask collections
FUTURE_TYPES = (concurrent.futures.Future, distributed.Future)


_NO_OUTPUTS: tuple = ()


class AppFuture(LightFuture):
    """The future of one app call.

    A ``concurrent.futures.Future``: ``result()``, ``exception()``, ``done()``,
    ``add_done_callback()``, ``concurrent.futures.wait`` and ``as_completed`` work
    as usual. A result stays on the Dask worker that computed it; a small one
    (``parsl.results.push-max-size``) also comes back with the task's completion,
    a larger one when ``result()`` is called. Passing the future to another app
    moves the result worker to worker, never through the client.
    """

    # set only for cached calls: the Dask token of the result, the checkpoint
    # entry holding it, the call (to recompute a damaged entry), and the future
    # of that recomputation
    _memo_token: str | None = None
    _entry: Entry | None = None
    _entry_verified = False
    _memo_call: tuple | None = None
    _replacement: AppFuture | None = None
    # set by staging when stdout/stderr is a File: that stream's DataFuture
    _stdout_future: DataFuture | None = None
    _stderr_future: DataFuture | None = None
    # set when the kernel charged the last try (its retry_handler said no): not counted again
    _final_try_counted = False
    # the Dask futures of the inputs this call's task references, kept until it is sent
    _inputs_held: list | None = None

    def __init__(self, task_record: dict) -> None:
        super().__init__()
        self.task_record = task_record
        self._outputs: Sequence[DataFuture] = _NO_OUTPUTS
        # where the result lives: a dask Future (or list of them) on `_executor`
        self._remote: Any = None
        self._executor: Executor | None = None
        # the dask key (or list of keys) later tasks may reference in their graphs
        self._key: Any = None
        # set here, so that every future's attributes share one key table: the size of a
        # result that came with the task's completion (``scheduler.pushed_results``), and
        # whether it is held here only (``_release_from_workers``)
        self._pushed_nbytes = 0
        self._released = False

    def _release_from_workers(self) -> None:
        """The result, held here now, is no longer held on the workers: later calls take
        the value itself. The key goes first: a call that read the Dask future before it
        saw no key keeps that future until its task is sent (``_inputs_held``)."""
        self._key = None
        self._remote = None
        self._released = True

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
        """The call's ``stdout``: a ``DataFuture`` if it was a ``File`` (done once the
        stream is written and staged out), else what was given (a path, ``(path, mode)``,
        ``None``)."""
        if self._stdout_future is not None:
            return self._stdout_future
        return self.task_record["kwargs"].get("stdout")

    @property
    def stderr(self) -> Any:
        """The call's ``stderr``, as ``stdout`` gives its ``stdout``."""
        if self._stderr_future is not None:
            return self._stderr_future
        return self.task_record["kwargs"].get("stderr")

    def task_status(self) -> str:
        """The task's state name, e.g. ``'launched'``, ``'exec_done'``, ``'dep_fail'``."""
        return self.task_record["status"].name

    def result(self, timeout: float | None = None) -> Any:
        """The call's return value (fetched from the worker that holds it, unless it
        came back with the task's completion).

        Parameters
        ----------
        timeout
            Seconds to wait for the task to finish; None waits as long as it takes.

        Raises
        ------
        Exception
            What the app raised (``DependencyError`` if a dependency failed,
            ``TaskCancelled`` if it was cancelled).
        concurrent.futures.TimeoutError
            The task did not finish within ``timeout``.
        """
        value = super().result(timeout)
        if value is ON_WORKER:
            value = self._fetch()
        return value

    def _stored_result(self) -> Any:
        """The result this future holds: ``ON_WORKER`` if not fetched yet, None if it
        failed or has not finished."""
        if not self.done() or self.exception() is not None:
            return None
        return concurrent.futures.Future.result(self)

    def _fetch(self) -> Any:
        if self._replacement is not None:
            return self._replacement.result()
        if self._entry is not None:
            value = self.task_record["dfk"].memo_launcher.read_entry(self)
        else:
            value = self._executor.fetch(self)
        replace_result(self, value)  # keep it, as a concurrent future does
        return value

    def __reduce__(self):
        raise TypeError(
            f"an AppFuture (task {self.tid}) cannot be sent to a worker: futures are "
            "dependencies only as top-level arguments or items of inputs=, or anywhere "
            "with Config(dependency_resolver=DEEP_DEPENDENCY_RESOLVER)"
        )

    def cancel(self) -> bool:
        """Cancel the task unless it has finished: it fails with ``TaskCancelled`` (a
        ``concurrent.futures.CancelledError``), its Dask task is cancelled, and tasks that
        depend on it fail with ``DependencyError``. False if it had finished already."""
        if self.done():
            return False
        return self.task_record["dfk"].cancel(self)

    def cancelled(self) -> bool:
        """Whether ``cancel()`` ended the task."""
        from .errors import TaskCancelled

        return self.done() and isinstance(self.exception(), TaskCancelled)

    def __getitem__(self, key: Any) -> AppFuture:
        return self.task_record["dfk"].submit_lifted(self, "getitem", key)

    def __getattr__(self, name: str) -> AppFuture:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.task_record["dfk"].submit_lifted(self, "getattr", name)

    def __repr__(self) -> str:
        state = "pending"
        if self.done():
            error = self.exception()
            if error is not None:
                state = f"finished raised {type(error).__name__}"
            elif self._stored_result() is ON_WORKER:
                state = "finished (result on a worker)"
            else:
                state = f"finished returned {type(self._stored_result()).__name__}"
        name = self.task_record.get("func_name", "?")
        return f"<AppFuture task {self.tid} {name} at 0x{id(self):x} state={state}>"

    def _repr_html_(self) -> str:
        from ..reprs import future_html

        return future_html(self)


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
                f"file={self.file_obj.url} state={'finished' if self.done() else 'pending'}>")

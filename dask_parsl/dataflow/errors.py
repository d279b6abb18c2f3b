"""Errors about tasks raised by the DataFlowKernel (Parsl's ``parsl.dataflow.errors``)."""
from __future__ import annotations

import concurrent.futures
from typing import Sequence

from ..errors import ParslError


class DataFlowException(ParslError):
    """Base class of errors raised by the DataFlowKernel about a task."""


class BadCheckpoint(DataFlowException):
    """A checkpoint could not be read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class PropagatedException(DataFlowException):
    """A task failed because tasks it relied on failed.

    ``dependent_exceptions_tids`` is a list of ``(exception, description)``
    pairs, the description being ``"task N"`` for an app future or the repr
    of any other future. ``__cause__`` is the first root exception found by
    following the first failed dependency back through propagated errors.
    """

    description = "Failure"

    def __init__(
        self, dependent_exceptions_tids: Sequence[tuple[BaseException, str]], task_id: int
    ) -> None:
        super().__init__(dependent_exceptions_tids, task_id)
        self.dependent_exceptions_tids = list(dependent_exceptions_tids)
        self.task_id = task_id
        self.__cause__, self._cause_chain = self._root_cause()

    def _root_cause(self) -> tuple[BaseException, list[str]]:
        error: BaseException = self
        chain = []
        while isinstance(error, PropagatedException) and error.dependent_exceptions_tids:
            first_error, label = error.dependent_exceptions_tids[0]
            if len(error.dependent_exceptions_tids) > 1:
                label += " (+ others)"
            chain.append(label)
            error = first_error
        return error, chain

    def __str__(self) -> str:
        return (
            f"{self.description} for task {self.task_id}. "
            f"The representative cause is via {' <- '.join(self._cause_chain)}"
        )

    def __reduce__(self):
        return type(self), (self.dependent_exceptions_tids, self.task_id)


class DependencyError(PropagatedException):
    """A dependency of the task failed, so the task was never run."""

    description = "Dependency failure"


class JoinError(PropagatedException):
    """Futures returned by a join_app body failed."""

    description = "Join failure"


class TaskCancelledAtCleanup(DataFlowException):
    """The kernel was cleaned up before the task finished."""

    def __init__(self, task_id: int) -> None:
        super().__init__(task_id)
        self.task_id = task_id

    def __str__(self) -> str:
        return (
            f"Task {self.task_id} had not finished when the DataFlowKernel was cleaned up; "
            "call wait_for_current_tasks() or use exit_mode='wait' to let tasks finish"
        )


class TaskCancelled(DataFlowException, concurrent.futures.CancelledError):
    """``AppFuture.cancel()`` was called before the task finished."""

    def __init__(self, task_id: int) -> None:
        super().__init__(task_id)
        self.task_id = task_id

    def __str__(self) -> str:
        return f"Task {self.task_id} was cancelled"


class ExecutorLost(DataFlowException):
    """The connection to the executor's scheduler was lost before the task finished, and
    not regained within ``parsl.reconnect-timeout`` (or regained with a new scheduler)."""

    def __init__(self, task_id: int, label: str) -> None:
        super().__init__(task_id, label)
        self.task_id, self.label = task_id, label

    def __str__(self) -> str:
        return f"Task {self.task_id}: lost the connection to the scheduler of executor '{self.label}'"


class SerializationError(DataFlowException):
    """An argument or result of an app cannot be pickled."""

    def __init__(self, app_name: str, what: str, reason: str) -> None:
        super().__init__(app_name, what, reason)
        self.app_name, self.what, self.reason = app_name, what, reason

    def __str__(self) -> str:
        return f"App '{self.app_name}': {self.what} cannot be pickled: {self.reason}"

    def __reduce__(self):
        return type(self), (self.app_name, self.what, self.reason)


class RemoteExceptionNotLoadable(DataFlowException):
    """A task failed with an exception this process cannot unpickle (its class lives in a
    module the workers have and this process has not). It carries what the worker said:
    ``exception_text`` and ``traceback_text``."""

    def __init__(self, task_id: int, app: str, reason: str, exception_text: str | None = None,
                 traceback_text: str | None = None) -> None:
        super().__init__(task_id, app, reason, exception_text, traceback_text)
        self.task_id, self.app, self.reason = task_id, app, reason
        self.exception_text, self.traceback_text = exception_text, traceback_text

    def __str__(self) -> str:
        said = f": {self.exception_text}" if self.exception_text else ""
        where = f"\nThe worker's traceback:\n{self.traceback_text}" if self.traceback_text else ""
        return (f"task {self.task_id} ({self.app}) failed with an exception this process cannot load "
                f"({self.reason}); make its module importable here to get the exception itself{said}{where}")


class ResultNotKept(DataFlowException):
    """A result was still on a worker when its kernel was cleaned up, past the budget of
    results kept then (``parsl.cleanup.keep-results``), so it is gone with the cluster."""

    def __init__(self, task_id: int, nbytes: int, budget: int) -> None:
        super().__init__(task_id, nbytes, budget)
        self.task_id, self.nbytes, self.budget = task_id, nbytes, budget

    def __str__(self) -> str:
        return (f"the result of task {self.task_id} ({self.nbytes} bytes) was not kept at cleanup: the "
                f"results still held then exceeded parsl.cleanup.keep-results ({self.budget} bytes). "
                "Read results before cleanup, or raise that setting")

"""Exception classes, under the names Parsl users already catch."""
from __future__ import annotations

from typing import Sequence


class ParslError(Exception):
    """Base class of every dask_parsl error."""


class ConfigurationError(ParslError):
    """The configuration is invalid, or a kernel is already loaded."""


class NoDataFlowKernelError(ParslError):
    """No DataFlowKernel is loaded (or it has been cleaned up)."""


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


class ExecutorLost(DataFlowException):
    """The connection to the executor's scheduler was lost before the task finished."""

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


class AppException(ParslError):
    """Base class of errors raised by apps themselves."""


class AppBadFormatting(AppException):
    """A bash app's command string could not be built."""


class BashAppNoReturn(AppException):
    """A bash app returned nothing instead of a command string."""


class AppTimeout(AppException):
    """An app ran longer than its walltime."""


class BashExitFailure(AppException):
    """A bash app's command exited with a non-zero code.

    ``stdout`` and ``stderr`` are the paths the command wrote to (if any), and
    the message ends with the last lines of its stderr.
    """

    def __init__(self, app_name: str, exitcode: int, stdout: str | None = None,
                 stderr: str | None = None, stderr_tail: str = "") -> None:
        super().__init__(app_name, exitcode)
        self.app_name, self.exitcode = app_name, exitcode
        self.stdout, self.stderr, self.stderr_tail = stdout, stderr, stderr_tail

    def __reduce__(self):
        return type(self), (self.app_name, self.exitcode, self.stdout, self.stderr, self.stderr_tail)

    def __str__(self) -> str:
        message = f"bash_app {self.app_name} failed with unix exit code {self.exitcode}"
        streams = [f"{name} {path}" for name, path in (("stdout", self.stdout), ("stderr", self.stderr))
                   if path]
        if streams:
            message += f" ({', '.join(streams)})"
        if self.stderr_tail:
            message += f"; the end of its stderr:\n{self.stderr_tail}"
        return message


class MissingOutputs(AppException):
    """Output files an app promised do not exist after it ran."""

    def __init__(self, reason: str, outputs: Sequence[str]) -> None:
        super().__init__(reason, outputs)
        self.reason, self.outputs = reason, list(outputs)

    def __str__(self) -> str:
        return f"Missing Outputs: {self.outputs}, Reason: {self.reason}"


class BadStdStreamFile(AppException):
    """A bash app's stdout/stderr target cannot be opened."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return f"Bad Stream File: {self.reason}"


class WorkerLost(DataFlowException):
    """The worker running a try of a task died; the try counts against the retry budget."""

    def __init__(self, worker: str, key: str) -> None:
        super().__init__(worker, key)
        self.worker = worker
        self.key = key

    def __str__(self) -> str:
        return f"worker {self.worker} died while running {self.key}"


class ResourcesUnavailable(DataFlowException):
    """A task asked for resources that no worker of its executor offers."""

    def __init__(self, key: str, needs: dict, offered: list, waited: float) -> None:
        super().__init__(key, needs, offered, waited)
        self.key, self.needs, self.offered, self.waited = key, needs, offered, waited

    def __str__(self) -> str:
        offered = ", ".join(self.offered) or "no resources"
        return (f"{self.key} asks for resources {self.needs}, but no worker offers them "
                f"(the workers offer {offered}); gave up after {self.waited:.0f} s "
                "(dask config parsl.unrunnable-timeout). Declare them on the workers, "
                "e.g. DaskExecutor(resources={...}) or dask-worker --resources.")


class JobSubmissionFailed(DataFlowException):
    """The batch system rejected the jobs a task was waiting for (adaptive scaling)."""

    def __init__(self, key: str, batch_message: str) -> None:
        super().__init__(key, batch_message)
        self.key, self.batch_message = key, batch_message

    def __str__(self) -> str:
        return (f"{self.key} waited for workers from jobs the batch system rejected: "
                f"{self.batch_message}")


class WalltimeReached(DataFlowException):
    """A task was still running when a second batch job it ran in reached its walltime:
    it needs longer than a job's walltime minus ``parsl.batch.walltime-margin``."""

    def __init__(self, key: str, job: str) -> None:
        super().__init__(key, job)
        self.key, self.job = key, job

    def __str__(self) -> str:
        return (f"{self.key} was still running when job {self.job} neared its walltime, and it had "
                "been interrupted the same way before: it needs longer than a job's walltime minus "
                "parsl.batch.walltime-margin. Ask for a longer walltime, or split the task.")

"""Errors about where tries run, reported from the scheduler: lost workers, missing resources,
rejected jobs, walltimes."""
from __future__ import annotations

from ..dataflow.errors import DataFlowException


class WorkerLost(DataFlowException):
    """Workers died while running a task. ``losses`` lists ``(worker, job)`` for each
    (``job``: the batch job id of the worker, or None); ``cause`` says why the last one
    died, when the scheduler knows (its nanny stopped it at its memory limit)."""

    def __init__(self, key: str, losses: list, cause: str | None = None) -> None:
        super().__init__(key, losses, cause)
        self.key = key
        self.losses = [tuple(loss) for loss in losses]
        self.cause = cause

    @property
    def workers(self) -> list[str]:
        return [worker for worker, _ in self.losses]

    def __str__(self) -> str:
        where = ", ".join(worker if job is None else f"{worker} (job {job})" for worker, job in self.losses)
        if self.cause:
            return f"{self.key} was running on worker {where} when {self.cause}"
        if len(self.losses) == 1:
            return f"worker {where} died while running {self.key}"
        return (f"{self.key} was running on each of {len(self.losses)} workers when they died: {where}. "
                "Lost workers do not cost a try, but Dask stops rescheduling a task after "
                "distributed.scheduler.allowed-failures of them: this task probably kills its "
                "worker (memory, a crash in compiled code)")


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


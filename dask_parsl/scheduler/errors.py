"""Errors about where tries run, reported from the scheduler: lost workers, missing resources,
rejected jobs, walltimes."""
from __future__ import annotations

from ..dataflow.errors import DataFlowException


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


"""dask-jobqueue clusters: submitting their jobs and counting them (``SpecCluster``, ``JobQueueCluster``)."""
from __future__ import annotations

from typing import Any

from .probes import _require


# -- batch clusters (distributed 2026.8.0, dask-jobqueue 0.9.0) --------------------------
async def start_missing_jobs(cluster: Any) -> None:
    """Submit the jobs in ``cluster.worker_spec`` not submitted yet, and wait for the batch
    system to accept them (``SpecCluster._correct_state``; tested on distributed 2026.8.0)."""
    await _require(cluster, "_correct_state", type(cluster).__name__)()


def jobs_created(cluster: Any) -> list:
    """Every job object ``cluster`` has made (``SpecCluster._created``; tested on 2026.8.0)."""
    return list(_require(cluster, "_created", type(cluster).__name__))


def example_job(cluster: Any) -> Any:
    """A job object like those a dask-jobqueue cluster submits (``JobQueueCluster._dummy_job``;
    tested on dask-jobqueue 0.9.0)."""
    return _require(cluster, "_dummy_job", type(cluster).__name__, "dask-jobqueue")


def workers_per_job(cluster: Any) -> int:
    """How many worker processes one job of a dask-jobqueue cluster starts."""
    return example_job(cluster).worker_processes


def worker_command(job: Any) -> str:
    """The shell command a dask-jobqueue job script runs to start its workers
    (``Job._command_template``; tested on dask-jobqueue 0.9.0)."""
    return _require(job, "_command_template", type(job).__name__, "dask-jobqueue")


def set_worker_command(job: Any, command: str) -> None:
    """Make ``job``'s script run ``command`` instead of its worker command."""
    worker_command(job)  # (probes that the attribute exists)
    job._command_template = command

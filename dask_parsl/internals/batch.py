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


def workers_per_job(cluster: Any) -> int:
    """How many worker processes one job of a dask-jobqueue cluster starts
    (``JobQueueCluster._dummy_job``; tested on dask-jobqueue 0.9.0)."""
    return _require(cluster, "_dummy_job", type(cluster).__name__, "dask-jobqueue").worker_processes

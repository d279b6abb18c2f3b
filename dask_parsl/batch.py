"""Clusters of workers from batch systems, built with dask-jobqueue.

``make_batch_cluster("slurm", cores=..., memory=..., ...)`` builds the cluster
dask-jobqueue would (its ``jobqueue.yaml`` / ``dask.config`` section fills in
what is not given), with ``processes`` always explicit and a missing submit
command reported at once; ``start_jobs`` submits the first jobs and waits for
the batch system to accept them, then adapts.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Any

import dask.config

from .errors import ConfigurationError

#: batch system name -> dask-jobqueue cluster class
BATCH_CLUSTERS = {
    "slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster",
    "htcondor": "HTCondorCluster", "oar": "OARCluster", "moab": "MoabCluster",
}


@dataclass
class ClusterPlan:
    """A cluster to build: a batch system and its dask-jobqueue options
    (``batch_system`` None: a LocalCluster with these options), and how many
    jobs to start with and to adapt between (``maximum_jobs`` None: ``jobs``)."""

    batch_system: str | None
    options: dict = field(default_factory=dict)
    jobs: int = 1
    minimum_jobs: int = 0
    maximum_jobs: int | None = None


def cluster_class(name: str) -> type:
    """The dask-jobqueue class of a batch system (``slurm``, ``pbs``, ...)."""
    import dask_jobqueue

    try:
        return getattr(dask_jobqueue, BATCH_CLUSTERS[name])
    except KeyError:
        raise ConfigurationError(
            f"unknown batch system {name!r}: choose one of {sorted(BATCH_CLUSTERS)}") from None


def make_batch_cluster(name: str, **options: Any) -> Any:
    """A dask-jobqueue cluster for batch system ``name``; no job is submitted yet."""
    cls = cluster_class(name)
    submit = cls.job_cls.submit_command.split()[0]
    if shutil.which(submit) is None:
        raise ConfigurationError(
            f"{submit!r} is not on PATH: cannot submit {name} jobs from this machine "
            f"(run the workflow on a login node of the {name} cluster)")
    section = dask.config.get(f"jobqueue.{name}", {})
    cores = options.get("cores", section.get("cores"))
    if options.get("processes", section.get("processes")) is None and cores is not None:
        options["processes"] = int(cores)  # one single-threaded worker per core, as Parsl runs apps
    return cls(**options)


def start_jobs(cluster: Any, jobs: int = 0, minimum_jobs: int | None = None,
               maximum_jobs: int | None = None, idle_seconds: float | None = None) -> None:
    """Submit the first ``jobs`` (waiting for the batch system to accept them, so a
    rejected submission fails here with its own error text), then adapt between
    ``minimum_jobs`` and ``maximum_jobs`` if given."""
    if jobs:
        _submit_and_wait(cluster, jobs)
    if maximum_jobs is not None:
        adapt_options: dict[str, Any] = {"minimum_jobs": minimum_jobs or 0, "maximum_jobs": maximum_jobs}
        if idle_seconds is not None:
            adapt_options["wait_count"] = max(1, round(idle_seconds))
            adapt_options["interval"] = "1s"
        cluster.adapt(**adapt_options)


def _submit_and_wait(cluster: Any, jobs: int) -> None:
    # what cluster.scale(jobs=...) does, but waiting for the submissions here
    # instead of in a background callback that would only log their errors
    from distributed.core import Status

    while len(cluster.worker_spec) < jobs:
        cluster.worker_spec.update(cluster.new_worker_spec())
    try:
        cluster.sync(cluster._correct_state)
    except Exception as error:
        for job in list(cluster._created):
            if job.status == Status.created:  # never submitted: nothing to cancel
                job.status = Status.failed
        cluster.worker_spec.clear()
        message = str(error).strip() or repr(error)
        raise ConfigurationError(f"the batch system rejected the first job: {message}") from error

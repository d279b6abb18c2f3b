"""Clusters of workers from batch systems, built with dask-jobqueue.

``make_batch_cluster("slurm", cores=..., memory=..., ...)`` builds the cluster
dask-jobqueue would (its ``jobqueue.yaml`` / ``dask.config`` section fills in
what is not given), with ``processes`` always explicit and a missing submit
command reported at once; ``start_jobs`` submits the first jobs and waits for
the batch system to accept them, then adapts.
"""
from __future__ import annotations

import logging
import math
import shlex
import shutil
import socket
import sys
from dataclasses import dataclass, field
from typing import Any

import dask.config
from distributed.core import Status
from distributed.deploy import Adaptive
from distributed.utils import get_ip

from ..errors import ConfigurationError
from ..internals import jobs_created, start_missing_jobs, workers_per_job
from ..scheduler.app_tasks import fail_tasks_waiting_for_workers
from .multi_node import multi_node_class

logger = logging.getLogger(__name__)

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
    #: dask.config values in force while the cluster is built: its scheduler reads
    #: them then, and so do the nannies of a LocalCluster
    build_config: dict = field(default_factory=dict)
    #: (first, last): the scheduler listens on a free port of this range
    scheduler_ports: tuple[int, int] | None = None
    #: worker plugins registered on the cluster's workers before any task runs
    worker_plugins: list = field(default_factory=list)
    #: where workers log app task records (None: ``run_dir/NNN/worker_logs``)
    log_directory: str | None = None
    #: workers on the nodes of the allocation this process runs in (``allocation``)
    allocation: Any = None


def free_port(first: int, last: int) -> int:
    """A port of ``first``..``last`` that nothing listens on now (the scheduler takes one
    port, not a range)."""
    for port in range(first, last + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("", port))
            except OSError:
                continue
            return port
    raise ConfigurationError(f"no free port between {first} and {last} for the scheduler")


def cluster_class(name: str) -> type:
    """The dask-jobqueue class of a batch system (``slurm``, ``pbs``, ...)."""
    import dask_jobqueue

    try:
        return getattr(dask_jobqueue, BATCH_CLUSTERS[name])
    except KeyError:
        raise ConfigurationError(
            f"unknown batch system {name!r}: choose one of {sorted(BATCH_CLUSTERS)}") from None


def make_batch_cluster(name: str, **options: Any) -> Any:
    """A dask-jobqueue cluster for batch system ``name``; no job is submitted yet. With
    ``nodes_per_job`` and ``launcher``, each job has that many nodes (``multi_node_class``)."""
    cls = cluster_class(name)
    if "nodes_per_job" in options:
        cls = multi_node_class(cls)
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


def listen_where_reached(batch_system: str, options: dict) -> None:
    """Make a batch cluster's servers listen only where they are reached, unless the options
    say otherwise: dashboards (which have no authentication) on loopback; the scheduler
    on the one address of the interface given, else of the default route; each worker on
    its address toward the scheduler (else they would listen on every interface)."""
    given = options.get("scheduler_options", {})
    options["scheduler_options"] = {"dashboard_address": "127.0.0.1:0", **given}
    worker_args = options.get("worker_extra_args", [])
    if not {"--dashboard-address", "--no-dashboard"} & set(worker_args):
        options["worker_extra_args"] = worker_args = [*worker_args, "--dashboard-address", "127.0.0.1:0"]
    interface = options.get("interface") or dask.config.get(f"jobqueue.{batch_system}.interface", None)
    if interface or "host" in given or "interface" in given:
        return  # dask-jobqueue binds the interface's address
    host = options["scheduler_options"]["host"] = get_ip()
    python = options.get("python") or sys.executable
    route = shlex.quote(f"from distributed.utils import get_ip; print(get_ip({host!r}))")
    options["worker_extra_args"] = [*worker_args, "--host", f'"$({shlex.quote(python)} -c {route})"']


def start_jobs(cluster: Any, jobs: int = 0, minimum_jobs: int | None = None,
               maximum_jobs: int | None = None, idle_seconds: float | None = None,
               interval: float | None = None) -> None:
    """Submit the first ``jobs`` (waiting for the batch system to accept them, so a
    rejected submission fails here with its own error text), then adapt between
    ``minimum_jobs`` and ``maximum_jobs`` if given, every ``interval`` seconds
    (default 1), releasing jobs idle for ``idle_seconds``. A submission that adaptive
    scaling makes later and the batch system rejects fails the app tasks waiting
    for its workers with ``JobSubmissionFailed``."""
    if jobs:
        _submit_and_wait(cluster, jobs)
    if maximum_jobs is not None:
        interval = interval or 1.0
        adapt_options: dict[str, Any] = {"minimum_jobs": minimum_jobs or 0, "maximum_jobs": maximum_jobs,
                                         "interval": f"{interval}s"}
        if idle_seconds is not None:
            adapt_options["wait_count"] = max(1, round(idle_seconds / interval))
        cluster.adapt(Adaptive=_ReportingAdaptive, **adapt_options)


class _ReportingAdaptive(Adaptive):
    # distributed's Adaptive submits in a loop callback that only logs a rejection,
    # so the tasks that wait for those workers would wait forever
    async def scale_up(self, n: int) -> None:
        if self.cluster.status != Status.running:  # closing: a job submitted now would outlive it
            return
        try:
            await submit_jobs(self.cluster, math.ceil(n / workers_per_job(self.cluster)))
        except Exception as error:
            message = _batch_message(error)
            failed = fail_tasks_waiting_for_workers(self.cluster.scheduler, message)
            logger.error("The batch system rejected a job (%d waiting task(s) failed): %s", failed, message)


def _submit_and_wait(cluster: Any, jobs: int) -> None:
    # what cluster.scale(jobs=...) does, but waiting for the submissions here
    # instead of in a background callback that would only log their errors
    try:
        cluster.sync(submit_jobs, cluster, jobs)
    except Exception as error:
        raise ConfigurationError(
            f"the batch system rejected the first job: {_batch_message(error)}") from error


async def submit_jobs(cluster: Any, jobs: int) -> list[str]:
    """Submit jobs until ``cluster`` has ``jobs``, waiting for the batch system to
    accept them; returns the new jobs' names. A rejection raises the batch system's
    error, and the jobs it rejected are forgotten (scaling may submit them again)."""
    new = []
    while len(cluster.worker_spec) < jobs:
        spec = cluster.new_worker_spec()
        cluster.worker_spec.update(spec)
        new.extend(spec)
    try:
        await start_missing_jobs(cluster)
    except Exception:
        _forget_unsubmitted(cluster)
        raise
    return new


def worker_names_of_job(cluster: Any, name: str) -> set[str]:
    """The names of the workers that job ``name`` of ``cluster`` starts (one per process)."""
    spec = cluster.worker_spec.get(name, {})
    return {f"{name}{suffix}" for suffix in spec.get("group", [""])}


def _forget_unsubmitted(cluster: Any) -> None:
    for name, job in list(cluster.workers.items()):
        if getattr(job, "job_id", True) is None:
            job.status = Status.failed  # never submitted: nothing to cancel
            del cluster.workers[name]
            cluster.worker_spec.pop(name, None)
    for job in jobs_created(cluster):
        if job.status == Status.created:
            job.status = Status.failed


def _batch_message(error: BaseException) -> str:
    return str(error).strip() or repr(error)

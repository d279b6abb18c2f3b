"""The cluster a ``DaskExecutor`` starts itself (embedded ``LocalCluster``, or a batch
cluster from dask-jobqueue), and the client it connects to a cluster with."""
from __future__ import annotations

import os
from typing import Any

import dask.config
from distributed import Client, LocalCluster, Scheduler
from distributed.utils import get_ip

from .. import settings
from ..internals import listen_in_process, start_dask_workers_without_main
from . import tls
from .allocation import AllocationCluster
from .batch import ClusterPlan, free_port, listen_where_reached, make_batch_cluster


def start_cluster(plan: ClusterPlan | None, local_options: dict, run_dir: str, label: str) -> Any:
    """Start the cluster of ``plan`` (a batch system's), or else a ``LocalCluster`` with
    ``local_options``; with a temporary certificate in ``run_dir`` unless encryption is off."""
    plan = plan or ClusterPlan(None)
    port = free_port(*plan.scheduler_ports) if plan.scheduler_ports else None
    if plan.batch_system is not None:
        options = dict(plan.options)
        listen_where_reached(plan.batch_system, options)
        if port:
            options["scheduler_options"]["port"] = port
        resources = options.pop("resources", None)
        if resources:  # what each worker offers to parsl_resource_specification
            declared = ",".join(f"{name}={amount}" for name, amount in resources.items())
            extra = options.get("worker_extra_args", [])
            options["worker_extra_args"] = [*extra, "--resources", declared]
        if options.setdefault("security", tls.encrypted()) is True:  # dask-jobqueue ships it to the jobs
            options["security"] = tls.temporary_security(run_dir, label)
        if not options["security"]:
            del options["security"]  # (dask-jobqueue takes any security but None for TLS)
        shared = dask.config.get(f"jobqueue.{plan.batch_system}.shared-temp-directory", None)
        if "security" in options and shared is None:  # where workers read the TLS files from
            options.setdefault("shared_temp_directory", run_dir)
        with dask.config.set({**_own_cluster_config(), **plan.build_config}):
            return make_batch_cluster(plan.batch_system, **options)
    kwargs = {**local_options, **plan.options}
    kwargs.setdefault("dashboard_address", settings.get("local-cluster.dashboard-address"))
    security = kwargs.pop("security", None)
    security = tls.encrypted() if security is None else security
    certificate = None  # (a file the workers of an allocation read)
    if security is True:
        security = tls.temporary_security(run_dir, label)
        certificate = tls.certificate_path(run_dir, label)
    if security:  # (or the user's own Security)
        kwargs["security"] = security
    if port:
        kwargs["scheduler_port"] = port
    start_dask_workers_without_main()  # Parsl scripts often have no main guard
    saturation = settings.get("local-cluster.worker-saturation")
    with dask.config.set({"distributed.scheduler.worker-saturation": float(saturation),
                          **_own_cluster_config(), **plan.build_config}):
        if plan.allocation is None:
            return LocalCluster(**kwargs)
        for option in ("n_workers", "threads_per_worker", "processes", "memory_limit"):
            kwargs.pop(option, None)  # (the workers are the launcher's)
        kwargs["host"] = get_ip()  # where the other nodes reach this one (not loopback)
        logs = os.path.join(run_dir, f"{label}-workers")
        return AllocationCluster(plan.allocation, certificate, logs, **kwargs)


def _own_cluster_config() -> dict:
    """The distributed settings of every cluster dask_parsl starts."""
    return {"distributed.admin.low-level-log-length": int(settings.get("low-level-log-length"))}


def client_for(cluster: Any, timeout: float) -> Client:
    """A client of ``cluster`` (default for Dask only if the user has none). A cluster
    object whose scheduler runs in this process (a ``LocalCluster``, a dask-jobqueue
    cluster) is reached there, without a socket, TLS or serializing."""
    if isinstance(getattr(cluster, "scheduler", None), Scheduler):
        return Client(listen_in_process(cluster), security=cluster.security, loop=cluster.loop,
                      set_as_default=_no_default_client(), timeout=timeout)
    return Client(cluster, set_as_default=_no_default_client(), timeout=timeout)


def _no_default_client() -> bool:
    """True when the user has no default Dask client yet."""
    from distributed import default_client

    try:
        default_client()
    except ValueError:
        return True
    return False

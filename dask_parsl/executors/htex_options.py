"""``HighThroughputExecutor``'s options mapped onto the Dask cluster it builds.

Each of Parsl's options with a Dask meaning changes the ``ClusterPlan``: an
option of the LocalCluster (for ``LocalProvider``) or of the dask-jobqueue
cluster, a ``dask.config`` value in force while the cluster is built (the
scheduler's ``worker-ttl``; for a LocalCluster the environment its nannies give
worker processes, ``distributed.nanny.pre-spawn-environ``), a line of the job
script, or a worker plugin. ``IGNORED`` lists the options without a Dask
meaning, with Parsl's default and the reason; given another value, they are
named in one ``ParslOptionIgnored`` warning.
"""
from __future__ import annotations

import os
from typing import Any

from .accelerators import PinAccelerators
from .batch import ClusterPlan

#: HighThroughputExecutor options without a Dask meaning: (Parsl's default, why)
IGNORED: dict[str, tuple[Any, str]] = {
    "launch_cmd": (None, "dask-jobqueue or the LocalCluster starts the workers (dask worker)"),
    "interchange_launch_cmd": (None, "there is no interchange: the Dask scheduler runs in this process"),
    "loopback_address": ("127.0.0.1", "the executor and the Dask scheduler share this process"),
    "cpu_affinity": ("none", "workers are not pinned to cores"),
    "prefetch_capacity": (0, "the scheduler decides when tasks go to workers "
                             "(parsl.local-cluster.worker-saturation)"),
    "heartbeat_period": (30, "distributed's scheduler sets how often workers report (every 0.5 s up to "
                             "10 workers, less often on larger clusters); no setting changes it"),
    "drain_period": (None, "Dask's worker lifetime would cancel running tasks; dask_parsl retires batch "
                           "jobs before their walltime instead (parsl.batch.walltime-margin)"),
    "poll_period": (10, "Dask's workers and scheduler act on messages, they do not poll"),
    "manager_selector": (None, "the Dask scheduler picks each task's worker (by its data, then load)"),
    "block_error_handler": (True, "a rejected batch job fails load() or the tasks waiting for its "
                                  "workers (JobSubmissionFailed)"),
    "remote_monitoring_radio": (None, "task events come from the Dask scheduler, not from workers"),
}


def ignored_options(values: dict[str, Any]) -> dict[str, str]:
    """The options of ``values`` in ``IGNORED`` given another value than Parsl's default -> why."""
    return {name: why for name, (default, why) in IGNORED.items()
            if not _is_default(name, values.get(name, default), default)}


def _is_default(name: str, value: Any, default: Any) -> bool:
    if name == "manager_selector":  # Parsl's default is an object: RandomManagerSelector()
        return value is None or type(value).__name__ == "RandomManagerSelector"
    return value == default


def apply_options(
    plan: ClusterPlan,
    label: str,
    *,
    address: str | None = None,
    worker_port: int | None = None,
    worker_port_range: tuple[int, int] | None = None,
    interchange_port_range: tuple[int, int] | None = None,
    heartbeat_threshold: float | None = None,
    worker_debug: bool = False,
    worker_logdir_root: str | None = None,
    accelerators: list[str] | None = None,
    encrypted: bool | None = None,
    address_probe_timeout: float | None = None,
) -> dict[str, str]:
    """Change ``plan`` as the options say; returns the options left without effect -> why."""
    batch = plan.batch_system is not None
    options = plan.options
    unused: dict[str, str] = {}
    if address:  # where workers reach the scheduler
        if batch:
            options["scheduler_options"] = {**options.get("scheduler_options", {}), "host": address}
        else:
            options["host"] = address
    if worker_port_range is not None:  # each worker listens on a free port of the range
        ports = f"{worker_port_range[0]}:{worker_port_range[1]}"
        if batch:
            options["worker_extra_args"] = [*options.get("worker_extra_args", []), "--worker-port", ports]
        else:
            options["worker_port"] = ports
    if worker_port is not None:  # the port workers connect to: the scheduler's
        plan.scheduler_ports = (worker_port, worker_port)
        if interchange_port_range is not None:
            unused["interchange_port_range"] = "worker_port sets the scheduler's port"
    elif interchange_port_range is not None:
        plan.scheduler_ports = tuple(interchange_port_range)
    if heartbeat_threshold is not None:  # both ways, as in Parsl
        plan.build_config["distributed.scheduler.worker-ttl"] = f"{heartbeat_threshold}s"
        options["death_timeout"] = heartbeat_threshold  # a worker without its scheduler closes
    connect_timeout = None if address_probe_timeout is None else f"{address_probe_timeout}s"
    if batch:  # the job script sets the workers' config through the environment
        exports = []
        if worker_debug:
            exports.append("export DASK_LOGGING__DISTRIBUTED=debug")
        if connect_timeout:
            exports.append(f"export DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT={connect_timeout}")
        if exports:
            options["job_script_prologue"] = [*options.get("job_script_prologue", []), *exports]
    else:  # a LocalCluster's nannies pass the config they were built under to worker processes
        if worker_debug:  # logging is set up as distributed is imported, before that config arrives
            plan.build_config["distributed.nanny.pre-spawn-environ.DASK_LOGGING__DISTRIBUTED"] = "debug"
        if connect_timeout:
            plan.build_config["distributed.comm.timeouts.connect"] = connect_timeout
    if worker_logdir_root is not None:  # Parsl's worker_logdir: <root>/<label>
        plan.log_directory = os.path.join(worker_logdir_root, label)
        if batch:
            options["log_directory"] = plan.log_directory
    if accelerators:
        per_node = options["processes"] if batch else options["n_workers"]
        plan.worker_plugins.append(PinAccelerators(accelerators, per_node))
    if encrypted is not None:  # else parsl.encrypted decides (executors.tls)
        options["security"] = encrypted  # True: TLS with a temporary certificate
    return unused

"""Parsl's providers mapped onto dask-jobqueue clusters.

A block of ``nodes_per_block`` nodes becomes that many jobs (dask-jobqueue runs
one node per job); ``init_blocks``/``min_blocks``/``max_blocks`` become the
initial jobs and the bounds of adaptive scaling. An option that has no Dask
equivalent is an error naming it, never dropped.
"""
from __future__ import annotations

import math
import os
from typing import Any

import dask.config

from ..errors import ConfigurationError
from ..providers import ExecutionProvider
from .batch import ClusterPlan

_BATCH_SYSTEMS = {
    "SlurmProvider": "slurm", "PBSProProvider": "pbs", "TorqueProvider": "pbs",
    "GridEngineProvider": "sge", "LSFProvider": "lsf", "CondorProvider": "htcondor",
    "LocalProvider": None,
}
_ONE_JOB_LAUNCHERS = ("SingleNodeLauncher", "SimpleLauncher")
_CORES_OPTION = {"slurm": "cores_per_node", "pbs": "cpus_per_node", "lsf": "cores_per_node",
                 "htcondor": "cores_per_slot"}
_MEMORY_OPTION = {"slurm": "mem_per_node", "htcondor": "mem_per_slot"}
_QUEUE_OPTION = {"slurm": "partition", "pbs": "queue", "sge": "queue", "lsf": "queue"}
_ACCOUNT_OPTION = {"slurm": ("account", "account"), "pbs": ("account", "account"),
                   "lsf": ("project", "project")}
_SLURM_DIRECTIVES = {"qos": "--qos={}", "constraint": "--constraint={}", "clusters": "--clusters={}",
                     "gres": "--gres={}", "gpus_per_node": "--gpus-per-node={}"}
#: options every mapping understands (the rest is per batch system, above)
_MAPPED = {"nodes_per_block", "init_blocks", "min_blocks", "max_blocks", "worker_init", "launcher",
           "walltime", "scheduler_options", "select_options", "exclusive", "requirements",
           "environment", *_SLURM_DIRECTIVES}


def plan_cluster(provider: Any, max_workers_per_node: float = math.inf, cores_per_worker: float = 1.0,
                 mem_per_worker: float | None = None) -> ClusterPlan:
    """Map a Parsl provider (ours or Parsl's own) and worker shape to a ``ClusterPlan``."""
    kind = type(provider).__name__
    if kind not in _BATCH_SYSTEMS:
        raise ConfigurationError(f"{kind} is not a provider dask_parsl can map; use one of "
                                 f"{sorted(_BATCH_SYSTEMS)} or DaskExecutor(cluster=...)")
    system = _BATCH_SYSTEMS[kind]
    given = _given_options(provider)
    launcher = type(getattr(provider, "launcher", None)).__name__
    if "launcher" in given and launcher not in _ONE_JOB_LAUNCHERS:
        raise ConfigurationError(
            f"{kind}(launcher={launcher}()) has no dask-jobqueue equivalent: dask-jobqueue starts the "
            "workers of each job itself (one node per job); drop the launcher")
    per_system = {_CORES_OPTION.get(system), _MEMORY_OPTION.get(system), _QUEUE_OPTION.get(system),
                  _ACCOUNT_OPTION.get(system, (None,))[0]}
    unmapped = sorted(given - _MAPPED - per_system)
    if unmapped:
        raise ConfigurationError(f"{kind} option(s) {unmapped} have no dask-jobqueue equivalent; "
                                 "remove them (or build the cluster with DaskExecutor(cluster=...))")
    nodes = int(provider.nodes_per_block)
    plan = ClusterPlan(system, jobs=provider.init_blocks * nodes, minimum_jobs=provider.min_blocks * nodes,
                       maximum_jobs=max(provider.max_blocks, provider.init_blocks) * nodes)
    if system is None:
        cores = os.cpu_count() or 1
        plan.options = {"n_workers": _workers(cores, max_workers_per_node, cores_per_worker, None, None)}
        return plan
    section = dask.config.get(f"jobqueue.{system}", {})
    cores = getattr(provider, _CORES_OPTION.get(system, ""), None) or section.get("cores")
    if cores is None and max_workers_per_node != math.inf:
        cores = int(max_workers_per_node * cores_per_worker)
    if cores is None:
        raise ConfigurationError(
            f"how many cores does a {kind} job get? Set {_CORES_OPTION.get(system, 'cores')} on the "
            f"provider, max_workers_per_node on the executor, or jobqueue.{system}.cores in jobqueue.yaml")
    memory_gb = getattr(provider, _MEMORY_OPTION.get(system, ""), None)
    processes = _workers(int(cores), max_workers_per_node, cores_per_worker, memory_gb, mem_per_worker)
    options: dict[str, Any] = {"cores": processes, "processes": processes}
    if memory_gb is not None:
        options["memory"] = f"{memory_gb}GB"
    elif section.get("memory") is None:
        options["memory"] = f"{processes}GiB"  # 1 GiB per worker when nothing says otherwise
    if int(cores) != processes:  # the job still asks for the whole node's cores
        _request_cores(system, int(cores), options, provider)
    queue = getattr(provider, _QUEUE_OPTION.get(system, ""), None)
    if queue:
        options["queue"] = queue
    account_option, jobqueue_name = _ACCOUNT_OPTION.get(system, (None, None))
    if account_option and getattr(provider, account_option, None):
        options[jobqueue_name] = getattr(provider, account_option)
    if system == "htcondor":
        if section.get("disk") is None:
            options["disk"] = "1GB"  # dask-jobqueue needs a figure; Parsl's provider has none
        if "walltime" in given:
            raise ConfigurationError(
                "CondorProvider(walltime=...) has no dask-jobqueue equivalent; remove it")
    elif getattr(provider, "walltime", None):
        options["walltime"] = _walltime_for(system, provider.walltime)
    directives = _directives(getattr(provider, "scheduler_options", ""))
    if system == "slurm":
        directives += [template.format(getattr(provider, name))
                       for name, template in _SLURM_DIRECTIVES.items() if getattr(provider, name, None)]
        if provider.exclusive:
            directives.append("--exclusive")
    if system == "pbs" and getattr(provider, "select_options", ""):
        options["resource_spec"] = (options.get("resource_spec")
                                    or f"select=1:ncpus={cores}") + f":{provider.select_options}"
    if system == "htcondor":
        extra = {"requirements": provider.requirements} if provider.requirements else {}
        options["job_extra_directives"] = {**extra, **dict(line.split("=", 1) for line in directives)}
    elif directives:
        options["job_extra_directives"] = directives
    prologue = [line for line in (provider.worker_init or "").splitlines() if line.strip()]
    for name, value in (getattr(provider, "environment", None) or {}).items():
        prologue.append(f"export {name}={value}")
    if prologue:
        options["job_script_prologue"] = prologue
    plan.options = options
    return plan


def _given_options(provider: Any) -> set[str]:
    given = getattr(provider, "given", None)
    if given is not None:
        return set(given)
    # a provider from parsl itself: the options that differ from Parsl's defaults
    ours = {cls.__name__: cls for cls in ExecutionProvider.__subclasses__()}[type(provider).__name__]
    defaults = {**ours._common, **ours.parameters}
    given = {name for name, default in defaults.items()
             if name != "launcher" and getattr(provider, name, default) != default}
    if type(getattr(provider, "launcher", None)).__name__ not in _ONE_JOB_LAUNCHERS:
        given.add("launcher")
    return given


def _workers(cores: int, max_workers: float, cores_per_worker: float, memory_gb: float | None,
             mem_per_worker: float | None) -> int:
    count = min(max_workers, math.floor(cores / cores_per_worker))
    if memory_gb and mem_per_worker:
        count = min(count, math.floor(memory_gb / mem_per_worker))
    return max(1, int(count))


def _request_cores(system: str, cores: int, options: dict, provider: Any) -> None:
    if system == "slurm":
        options["job_cpu"] = cores
    elif system == "lsf":
        options["ncpus"] = cores
    elif system == "pbs":
        options["resource_spec"] = f"select=1:ncpus={cores}"
    else:
        raise ConfigurationError(
            f"{type(provider).__name__}: fewer workers than cores per node (cores_per_worker or "
            f"max_workers_per_node) is not supported for {system}")


def _walltime_for(system: str, walltime: str) -> str:
    if system == "lsf":  # bsub -W takes [HH:]MM
        hours, minutes, *_ = [*walltime.split(":"), "0", "0"]
        return f"{int(hours):02d}:{int(minutes):02d}"
    return walltime


def _directives(scheduler_options: str) -> list[str]:
    """Job script lines of ``scheduler_options``, without their ``#SBATCH``/``#PBS``/... prefix."""
    lines = []
    for line in (scheduler_options or "").splitlines():
        line = line.strip()
        for prefix in ("#SBATCH", "#PBS", "#BSUB", "#$", "#OAR"):
            if line.startswith(prefix):
                line = line[len(prefix):].strip()
                break
        if line:
            lines.append(line)
    return lines

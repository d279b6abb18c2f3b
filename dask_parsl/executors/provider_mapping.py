"""Parsl's providers and launchers mapped onto dask-jobqueue clusters (or a LocalCluster).

A block of ``nodes_per_block`` nodes with a multi-node launcher (``SrunLauncher``,
``MpiExecLauncher``, ...) is one job of that many nodes, whose launcher starts a
worker group on each (``multi_node.py``); with a one-node launcher, or on a batch
system whose jobs have one node here (SGE, HTCondor), it is that many one-node
jobs. ``init_blocks``/``min_blocks``/``max_blocks`` become the initial jobs and
the bounds of adaptive scaling. An option with a
Dask meaning is mapped; one without is ignored, and named in one
``ParslOptionIgnored`` warning with the reason. Providers dask_parsl cannot map
(the cloud ones) and launchers it does not know are errors.
"""
from __future__ import annotations

import inspect
import math
import os
import sys
from typing import Any

import dask.config
from distributed.system import MEMORY_LIMIT

from .. import providers
from ..errors import ConfigurationError, warn_ignored
from .allocation import SRUN_LAUNCHERS, AllocationPlan, in_slurm_allocation, srun_prefix
from .batch import ClusterPlan
from .launch_commands import ONE_NODE_LAUNCHERS, is_multi_node
from .multi_node import MULTI_NODE_SYSTEMS

_BATCH_SYSTEMS = {
    "SlurmProvider": "slurm", "PBSProProvider": "pbs", "TorqueProvider": "pbs",
    "GridEngineProvider": "sge", "LSFProvider": "lsf", "CondorProvider": "htcondor",
    "LocalProvider": None,
}
#: Parsl providers without a mapping, and what builds their Dask cluster instead
_USE_INSTEAD = {
    "KubernetesProvider": "dask-kubernetes (dask_kubernetes.operator.KubeCluster)",
    "AWSProvider": "dask-cloudprovider (dask_cloudprovider.aws.EC2Cluster)",
    "GoogleCloudProvider": "dask-cloudprovider (dask_cloudprovider.gcp.GCPCluster)",
    "AzureProvider": "dask-cloudprovider (dask_cloudprovider.azure.AzureVMCluster)",
}
_CORES_OPTION = {"slurm": "cores_per_node", "pbs": "cpus_per_node", "lsf": "cores_per_node",
                 "htcondor": "cores_per_slot"}
_MEMORY_OPTION = {"slurm": "mem_per_node", "htcondor": "mem_per_slot"}
_QUEUE_OPTION = {"slurm": "partition", "pbs": "queue", "sge": "queue", "lsf": "queue"}
_ACCOUNT_OPTION = {"slurm": ("account", "account"), "pbs": ("account", "account"),
                   "lsf": ("project", "project")}
_SLURM_DIRECTIVES = {"qos": "--qos={}", "constraint": "--constraint={}", "clusters": "--clusters={}",
                     "gres": "--gres={}", "gpus_per_node": "--gpus-per-node={}"}
_BLOCKS = {"nodes_per_block", "init_blocks", "min_blocks", "max_blocks"}
#: the options each batch system maps (None: the LocalCluster of LocalProvider)
MAPPED = {
    "slurm": {*_BLOCKS, "worker_init", "launcher", "walltime", "scheduler_options", "partition", "account",
              "cores_per_node", "mem_per_node", "exclusive", *_SLURM_DIRECTIVES},
    "pbs": {*_BLOCKS, "worker_init", "launcher", "walltime", "scheduler_options", "queue", "account",
            "select_options", "cpus_per_node"},
    "sge": {*_BLOCKS, "worker_init", "launcher", "walltime", "scheduler_options", "queue"},
    "lsf": {*_BLOCKS, "worker_init", "launcher", "walltime", "scheduler_options", "queue", "project",
            "cores_per_block", "cores_per_node", "request_by_nodes", "bsub_redirection"},
    "htcondor": {*_BLOCKS, "worker_init", "launcher", "scheduler_options", "cores_per_slot", "mem_per_slot",
                 "environment", "project", "transfer_input_files", "requirements"},
    None: {"launcher"},
}
_NOT_POLLED = "dask-jobqueue does not poll the batch system for job states"
#: why a batch provider's option has no Dask meaning
IGNORED = {
    "cmd_timeout": "dask-jobqueue runs submit and cancel commands without a time limit",
    "parallelism": "adaptive scaling asks for the workers that the queued tasks can use",
    "regex_job_id": "dask-jobqueue reads the job id from the submit command's answer itself",
    "status_batch_size": _NOT_POLLED,
    "cmd_chunk_size": _NOT_POLLED,
    # only CondorProvider leaves walltime unmapped
    "walltime": "HTCondor jobs have no walltime (Parsl's CondorProvider does not use it either)",
}
_ONE_BLOCK = "a LocalCluster runs one block of workers on this machine"
#: why a LocalProvider option has no Dask meaning
LOCAL_IGNORED = {
    **{name: _ONE_BLOCK for name in (*_BLOCKS, "parallelism")},
    "cmd_timeout": "a LocalCluster runs no batch commands",
    "worker_init": "the LocalCluster's workers start from this Python process, with its environment; "
                   "run these commands before the script",
}
#: launchers dask-jobqueue's one-job-per-node workers stand for
_LAUNCHERS = ("SimpleLauncher", "SingleNodeLauncher", "SrunLauncher", "SrunMPILauncher", "AprunLauncher",
              "JsrunLauncher", "GnuParallelLauncher", "MpiExecLauncher", "MpiRunLauncher", "WrappedLauncher")
_OWN_COMMAND = "dask-jobqueue starts the workers of each job itself, without the launcher's command"
LAUNCHER_IGNORED = {"debug": "the launch lines print nothing more for debugging (the workers log their work)",
                    "fail_on_any": _OWN_COMMAND, "overrides": _OWN_COMMAND, "bind_cmd": _OWN_COMMAND,
                    "bash_location": _OWN_COMMAND}
#: launcher options a job of several nodes uses (the others are ignored)
_LAUNCH_OPTIONS = {"overrides", "bind_cmd", "bash_location"}


def plan_cluster(provider: Any, max_workers_per_node: float = math.inf, cores_per_worker: float = 1.0,
                 mem_per_worker: float | None = None, ignored: dict[str, str] | None = None) -> ClusterPlan:
    """Map a Parsl provider (ours or Parsl's own) and worker shape to a ``ClusterPlan``.

    Options without a Dask meaning are added to ``ignored`` (``"Class.option"`` ->
    why); without that dict, a ``ParslOptionIgnored`` warning names them."""
    kind = type(provider).__name__
    if kind in _USE_INSTEAD:
        raise ConfigurationError(f"dask_parsl does not map {kind}: build its cluster with "
                                 f"{_USE_INSTEAD[kind]} and pass it as DaskExecutor(cluster=...)")
    if kind not in _BATCH_SYSTEMS:
        raise ConfigurationError(f"{kind} is not a provider dask_parsl can map; use one of "
                                 f"{sorted(_BATCH_SYSTEMS)} or DaskExecutor(cluster=...)")
    system = _BATCH_SYSTEMS[kind]
    reasons = LOCAL_IGNORED if system is None else IGNORED
    mapped = MAPPED[system] | ({"nodes_per_block", "init_blocks"} if in_allocation(provider) else set())
    notes = {f"{kind}.{name}": reasons[name] for name in sorted(changed_options(provider) - mapped)}
    launcher_options = _launcher_options(provider, system, notes)
    if ignored is None:
        warn_ignored(kind, notes)
    else:
        ignored.update(notes)
    if system is None:
        memory_gb = MEMORY_LIMIT / 2**30  # Parsl's worker pool also counts the node's memory
        cpus = int(os.environ.get("SLURM_CPUS_ON_NODE", 0)) if in_allocation(provider) else 0
        workers = _workers(cpus or os.cpu_count() or 1, max_workers_per_node, cores_per_worker, memory_gb,
                           mem_per_worker)
        options = {"n_workers": workers}
        if mem_per_worker:
            options["memory_limit"] = f"{mem_per_worker}GiB"
        if not in_allocation(provider):
            return ClusterPlan(None, options)
        worker_options = ["--memory-limit", options.pop("memory_limit", "auto")]
        launcher = provider.launcher
        allocation = AllocationPlan(srun_prefix(provider.nodes_per_block, launcher.overrides),
                                    provider.nodes_per_block, max(provider.init_blocks, 1), workers,
                                    worker_options)
        return ClusterPlan(None, {}, allocation=allocation)
    nodes = nodes_per_block(provider)
    jobs_per_block = 1 if multi_node_jobs(provider, system) else nodes
    plan = ClusterPlan(system, jobs=provider.init_blocks * jobs_per_block,
                       minimum_jobs=provider.min_blocks * jobs_per_block,
                       maximum_jobs=max(provider.max_blocks, provider.init_blocks) * jobs_per_block)
    section = dask.config.get(f"jobqueue.{system}", {})
    cores = getattr(provider, _CORES_OPTION.get(system, ""), None) or section.get("cores")
    if cores is None and max_workers_per_node != math.inf:
        cores = max(1, int(max_workers_per_node * cores_per_worker))
    if cores is None:
        raise ConfigurationError(
            f"how many cores does a {kind} job get? Set {_CORES_OPTION.get(system, 'cores')} on the "
            f"provider, max_workers_per_node on the executor, or jobqueue.{system}.cores in jobqueue.yaml")
    memory_gb = getattr(provider, _MEMORY_OPTION.get(system, ""), None)
    processes = _workers(int(cores), max_workers_per_node, cores_per_worker, memory_gb, mem_per_worker)
    options: dict[str, Any] = {"cores": processes, "processes": processes, **launcher_options}
    if memory_gb is not None:
        options["memory"] = f"{memory_gb}GB"
    elif mem_per_worker:  # each worker's memory limit
        options["memory"] = f"{processes * mem_per_worker}GiB"
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
    elif getattr(provider, "walltime", None):
        options["walltime"] = _walltime_for(system, provider.walltime)
    if system == "lsf" and provider.bsub_redirection:
        options["use_stdin"] = True  # bsub < script
    directives = _directives(getattr(provider, "scheduler_options", ""))
    if system == "slurm":
        directives += [template.format(getattr(provider, name))
                       for name, template in _SLURM_DIRECTIVES.items() if getattr(provider, name, None)]
        if provider.exclusive:
            directives.append("--exclusive")
    if system == "pbs" and getattr(provider, "select_options", ""):
        options["resource_spec"] = (options.get("resource_spec")
                                    or f"select=1:ncpus={cores}") + f":{provider.select_options}"
    directives = list(dict.fromkeys(directives))  # Parsl's own objects repeat some in scheduler_options
    if system == "htcondor":
        options["job_extra_directives"] = {**_condor_directives(provider),
                                           **dict(line.split("=", 1) for line in directives)}
    elif directives:
        options["job_extra_directives"] = directives
    prologue = [line for line in (provider.worker_init or "").splitlines() if line.strip()]
    for name, value in (getattr(provider, "environment", None) or {}).items():
        prologue.append(f"export {name}={value}")
    if prologue:
        options["job_script_prologue"] = prologue
    plan.options = options
    return plan


def changed_options(provider: Any) -> set[str]:
    """The options of ``provider`` (ours or Parsl's) whose values differ from Parsl's defaults;
    ``launcher`` when it is not the provider's default launcher."""
    ours = getattr(providers, type(provider).__name__)
    changed = {name for name, default in ours.defaults().items()
               if name != "launcher" and getattr(provider, name, default) != default}
    if type(getattr(provider, "launcher", None)).__name__ != ours.default_launcher.__name__:
        changed.add("launcher")
    return changed


def _launcher_options(provider: Any, system: str | None, notes: dict[str, str]) -> dict[str, Any]:
    """dask-jobqueue options from the provider's launcher; its options without a Dask
    meaning are added to ``notes``."""
    launcher = provider.launcher
    kind = type(launcher).__name__
    if kind not in _LAUNCHERS:
        raise ConfigurationError(
            f"{type(provider).__name__}(launcher={kind}()) is not a launcher dask_parsl knows: dask-jobqueue "
            f"starts the workers of each job itself; use one of Parsl's launchers ({', '.join(_LAUNCHERS)})")
    ours = getattr(providers, kind)
    multi_node = multi_node_jobs(provider, system)
    used = {"overrides"} if in_allocation(provider) else _LAUNCH_OPTIONS if multi_node else set()
    for name, parameter in inspect.signature(ours).parameters.items():
        default = parameter.default
        changed = default is not parameter.empty and getattr(launcher, name, default) != default
        if changed and name not in used:
            notes[f"{kind}.{name}"] = LAUNCHER_IGNORED[name]
    if multi_node:
        return {"nodes_per_job": nodes_per_block(provider), "launcher": launcher}
    if system is not None:
        if is_multi_node(launcher) and nodes_per_block(provider) > 1:
            notes[f"{type(provider).__name__}.launcher ({kind})"] = (
                f"{system} jobs have one node each here: a block is nodes_per_block one-node jobs")
        if kind == "WrappedLauncher":  # dask-jobqueue's worker command is "<python> -m ..."
            python = dask.config.get(f"jobqueue.{system}.python", None) or sys.executable
            return {"python": f"{launcher.prepend} {python}"}
        return {}
    if kind == "WrappedLauncher":
        raise ConfigurationError(
            f"LocalProvider(launcher=WrappedLauncher({launcher.prepend!r})): a LocalCluster's workers "
            "are processes started by this Python, with nothing before them; run the script itself "
            "under that command, or start the workers yourself and use DaskExecutor(cluster=...)")
    if kind not in ONE_NODE_LAUNCHERS and not in_allocation(provider):
        notes[f"LocalProvider.launcher ({kind})"] = (
            "outside a Slurm allocation, a LocalCluster's workers run on this machine only; run the "
            "script inside salloc or sbatch, with SrunLauncher, for workers on every node of the "
            "allocation")
    return {}


def multi_node_jobs(provider: Any, system: str | None) -> bool:
    """Whether each block of ``provider`` is one job of several nodes, with workers started
    on each by the provider's launcher."""
    return (system in MULTI_NODE_SYSTEMS and is_multi_node(provider.launcher)
            and nodes_per_block(provider) > 1)


def in_allocation(provider: Any) -> bool:
    """Whether ``provider`` is Parsl's form for workers on every node of the Slurm
    allocation this script runs in: a ``LocalProvider`` with an ``srun`` launcher."""
    return (type(provider).__name__ == "LocalProvider" and type(provider.launcher).__name__ in SRUN_LAUNCHERS
            and in_slurm_allocation())


def nodes_per_block(provider: Any) -> int:
    """The nodes of a block of ``provider`` (LSF's may be counted in cores)."""
    if type(provider).__name__ == "LSFProvider" and not provider.request_by_nodes:
        if not (provider.cores_per_block and provider.cores_per_node):
            raise ConfigurationError("LSFProvider(request_by_nodes=False) needs cores_per_block and "
                                     "cores_per_node (it asks for cores_per_block / cores_per_node nodes)")
        return math.ceil(provider.cores_per_block / provider.cores_per_node)
    return int(provider.nodes_per_block)


def _condor_directives(provider: Any) -> dict[str, str]:
    directives = {"requirements": provider.requirements} if provider.requirements else {}
    if provider.project:
        directives["+projectname"] = provider.project
    if provider.transfer_input_files:
        directives.update({"should_transfer_files": "YES", "when_to_transfer_output": "ON_EXIT_OR_EVICT",
                           "transfer_input_files": ",".join(provider.transfer_input_files)})
    return directives


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

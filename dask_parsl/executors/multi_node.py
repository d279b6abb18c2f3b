"""Batch jobs of several nodes: one job per block, a worker group on each of its nodes.

dask-jobqueue runs one node per job. ``multi_node_class(SLURMCluster)`` is the same
cluster with two more options: ``nodes_per_job`` (the nodes each job asks for) and
``launcher`` (the Parsl launcher that starts the ``dask worker`` command on every
node of the job). Each node's workers are named ``<job>-<node>`` (``-<process>``
after it with several processes per node), so scaling, walltime renewal and the
loss of a job count a job's workers on all its nodes, as for one-node jobs.
"""
from __future__ import annotations

import functools
import re
from typing import Any

from ..errors import ConfigurationError
from ..internals import example_job, set_worker_command, worker_command
from .launch_commands import ONE_NODE_LAUNCHERS, is_multi_node, launch_script, with_task_name

#: batch systems whose job header asks for several nodes here
MULTI_NODE_SYSTEMS = frozenset({"slurm", "pbs", "lsf", "oar"})


def ask_for_nodes(system: str, header: str, nodes: int) -> str:
    """dask-jobqueue's one-node job ``header`` for ``system``, asking for ``nodes`` nodes
    (each with what the one node had) instead."""
    if system == "slurm":  # one task per node (the launcher's copy of the worker command),
        # where "-n 1" was: the user's directives come after, and win
        return re.sub(r"^#SBATCH -n 1$", f"#SBATCH --nodes={nodes}\n#SBATCH --ntasks-per-node=1", header,
                      flags=re.M)
    if system == "pbs":  # PBS Pro's select=, Torque's nodes=
        return re.sub(r"\b(select|nodes)=1(?=[:\s]|$)", rf"\g<1>={nodes}", header)
    if system == "lsf":  # -n counts the job's slots: those of one node, on each node
        slots = re.search(r"^#BSUB -n (\d+)$", header, flags=re.M)
        if slots is None:
            return header
        per_node = int(slots.group(1))
        header = header.replace(slots.group(0), f"#BSUB -n {per_node * nodes}")
        if "span[hosts=1]" in header:
            return header.replace("span[hosts=1]", f"span[ptile={per_node}]")
        return f'{header}\n#BSUB -R "span[ptile={per_node}]"'
    if system == "oar":
        return header.replace("/nodes=1/", f"/nodes={nodes}/")
    raise ConfigurationError(f"{system} jobs have one node each here")


class MultiNodeJob:
    """A job of ``nodes_per_job`` nodes whose ``launcher`` starts the worker command on each
    (with ``SimpleLauncher`` or ``SingleNodeLauncher``: on the first node only, as in Parsl,
    where the workers start MPI apps across the others)."""

    def __init__(self, *args: Any, nodes_per_job: int = 1, launcher: Any = None, **options: Any) -> None:
        super().__init__(*args, **options)
        kind = type(launcher).__name__
        if not (is_multi_node(launcher) or kind in ONE_NODE_LAUNCHERS):
            raise ConfigurationError(
                f"nodes_per_job needs one of Parsl's launchers (SrunLauncher(), MpiExecLauncher(), ... for "
                f"workers on every node; SimpleLauncher() for workers on the first node), not {launcher!r}")
        if nodes_per_job > 1:
            header = ask_for_nodes(self.config_name, self.job_header, nodes_per_job)
            if header == self.job_header:
                raise ConfigurationError(f"cannot ask for {nodes_per_job} nodes in this job header (its "
                                         f"node request is not the one dask-jobqueue writes):\n{header}")
            self.job_header = header
        self.nodes_with_workers = nodes_per_job if is_multi_node(launcher) else 1
        if self.nodes_with_workers > 1:
            command = with_task_name(worker_command(self), self.name, launcher)
            set_worker_command(self, launch_script(launcher, command, nodes_per_job))
        self.processes_per_node = self.worker_processes
        self.worker_processes *= self.nodes_with_workers  # what scaling counts per job


class MultiNodeCluster:
    """A dask-jobqueue cluster whose jobs each have ``nodes_per_job`` nodes."""

    def __init__(self, *args: Any, nodes_per_job: int, launcher: Any, n_workers: int = 0,
                 **options: Any) -> None:
        super().__init__(*args, nodes_per_job=nodes_per_job, launcher=launcher, **options)
        job = example_job(self)
        group = [node + process for node in _suffixes(job.nodes_with_workers)
                 for process in _suffixes(job.processes_per_node)]
        self.new_spec.pop("group", None)
        if group != [""]:  # (one worker per job is named as the job)
            self.new_spec["group"] = group
        if n_workers:
            self.scale(n_workers)


def _suffixes(count: int) -> list[str]:
    """The name suffixes of ``count`` nodes or processes (none for one: ``dask worker`` keeps
    the name it is given when it starts one process)."""
    return [f"-{index}" for index in range(count)] if count > 1 else [""]


@functools.cache
def multi_node_class(cluster_class: type) -> type:
    """``cluster_class`` (a dask-jobqueue cluster: ``SLURMCluster``, ``PBSCluster``,
    ``LSFCluster``, ``OARCluster``) with the options ``nodes_per_job`` and ``launcher``."""
    system = cluster_class.job_cls.config_name
    if system not in MULTI_NODE_SYSTEMS:
        raise ConfigurationError(f"{cluster_class.__name__} jobs have one node each here; jobs of several "
                                 f"nodes are for {', '.join(sorted(MULTI_NODE_SYSTEMS))}")
    job_class = type(f"MultiNode{cluster_class.job_cls.__name__}", (MultiNodeJob, cluster_class.job_cls), {})
    return type(f"MultiNode{cluster_class.__name__}", (MultiNodeCluster, cluster_class),
                {"job_cls": job_class, "__module__": __name__})

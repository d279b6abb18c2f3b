"""MPI apps: Parsl's MPI resource specification, and the launch prefixes an app is given.

An executor in MPI mode (``MPIExecutor``) runs its workers on the first node of each
block; a call whose ``parsl_resource_specification`` asks for ``num_nodes`` nodes
gets that many nodes of its block to itself while it runs, and the variables
Parsl sets for MPI apps: ``PARSL_MPI_PREFIX`` (the launcher's prefix for those
nodes and ranks), ``PARSL_SRUN_PREFIX``, ``PARSL_MPIEXEC_PREFIX``,
``PARSL_APRUN_PREFIX``, ``PARSL_MPI_NODELIST``, ``PARSL_NUM_NODES``,
``PARSL_RANKS_PER_NODE``, ``PARSL_NUM_RANKS`` (and ``PARSL_LAUNCHER_OPTIONS``).
"""
from __future__ import annotations

import math
from typing import Any, Mapping, MutableMapping

from ..errors import ConfigurationError
from .batch import ClusterPlan
from .errors import InvalidResourceSpecification
from .launch_commands import ONE_NODE_LAUNCHERS
from .multi_node import MULTI_NODE_SYSTEMS
from .provider_mapping import nodes_per_block, plan_cluster

#: the launchers an MPI app's prefix can name
MPI_LAUNCHERS = ("srun", "mpiexec", "aprun")
_KEYS = {"num_nodes", "ranks_per_node", "num_ranks", "launcher_options"}


def mpi_launcher_named(name: str) -> str:
    """``name`` if it is a launcher MPI apps can be given a prefix for, else a clear error."""
    if name not in MPI_LAUNCHERS:
        raise ConfigurationError(f"mpi_launcher={name!r} is not one of {', '.join(MPI_LAUNCHERS)}")
    return name


def check_mpi_specification(specification: MutableMapping[str, Any], nodes_per_block: int) -> None:
    """Check an MPI app's specification, and complete it as Parsl does: ``num_ranks`` from
    ``num_nodes`` and ``ranks_per_node``, or ``ranks_per_node`` from the other two."""
    if not specification:
        raise InvalidResourceSpecification(set(), "An MPI executor's apps need parsl_resource_specification="
                                           "{'num_nodes': ..., 'ranks_per_node': ...}.")
    unknown = set(specification) - _KEYS
    if unknown:
        raise InvalidResourceSpecification(unknown, f"An MPI executor takes only {sorted(_KEYS)}.")
    for key in _KEYS - {"launcher_options"}:
        value = specification.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise InvalidResourceSpecification({key}, f"{key} must be a whole number above 0, not {value!r}.")
    nodes = specification.get("num_nodes")
    if nodes is None:
        raise InvalidResourceSpecification({"num_nodes"}, "An MPI app needs num_nodes (its node count).")
    if nodes > nodes_per_block:
        raise InvalidResourceSpecification(
            {"num_nodes"}, f"The call asks for num_nodes={nodes}, but a block of this executor has "
            f"{nodes_per_block} node(s): ask for fewer, or set the provider's nodes_per_block.")
    per_node, ranks = specification.get("ranks_per_node"), specification.get("num_ranks")
    if per_node is None and ranks is None:
        specification["ranks_per_node"] = per_node = 1
    if ranks is None:
        specification["num_ranks"] = nodes * per_node
    elif per_node is None:
        if ranks % nodes:
            raise InvalidResourceSpecification(
                {"num_ranks"}, f"num_ranks={ranks} does not divide evenly over num_nodes={nodes}: "
                "give ranks_per_node too.")
        specification["ranks_per_node"] = ranks // nodes


def mpi_environment(launcher: str, specification: Mapping[str, Any], nodes: list[str]) -> dict[str, str]:
    """The variables an MPI app on ``nodes`` runs with (``launcher``: its ``PARSL_MPI_PREFIX``)."""
    ranks, per_node = specification["num_ranks"], specification["ranks_per_node"]
    options = specification.get("launcher_options", "")
    hosts = ",".join(nodes)
    prefixes = {
        "srun": f"srun --ntasks {ranks} --ntasks-per-node {per_node} --nodelist {hosts} "
                f"--nodes {len(nodes)} {options}",
        "mpiexec": f"mpiexec -n {ranks} -ppn {per_node} -hosts {hosts} {options}",
        "aprun": f"aprun -n {ranks} -N {per_node} -node-list {hosts} {options}",
    }
    variables = {f"PARSL_{name.upper()}_PREFIX": prefix for name, prefix in prefixes.items()}
    variables["PARSL_MPI_PREFIX"] = prefixes[launcher]
    variables["PARSL_MPI_NODELIST"] = hosts
    variables.update({f"PARSL_{key.upper()}": str(value) for key, value in specification.items()})
    return variables


def plan_mpi_cluster(provider: Any, workers_per_block: float, ignored: dict[str, str]) -> ClusterPlan:
    """The cluster of an MPI executor: each block is one job of the provider's
    ``nodes_per_block`` nodes, with ``workers_per_block`` workers on its first node
    (``LocalProvider``: on this machine, whose nodes are those of the allocation it runs
    in, if any)."""
    kind = type(provider.launcher).__name__
    if kind not in ONE_NODE_LAUNCHERS:
        raise ConfigurationError(
            f"an MPI executor's workers run on the first node of each block and start MPI apps across "
            f"its nodes: give the provider launcher=SimpleLauncher(), not {kind}() (as Parsl's MPIExecutor)")
    # max_workers_per_block workers whatever the cores (else, one per core, as Parsl's)
    cores_per_worker = 1e-9 if workers_per_block != math.inf else 1.0
    plan = plan_cluster(provider, workers_per_block, cores_per_worker, ignored=ignored)
    if plan.batch_system is None:  # the nodes of the allocation this runs in are the block's
        ignored.pop("LocalProvider.nodes_per_block", None)
        return plan
    if plan.batch_system not in MULTI_NODE_SYSTEMS:
        raise ConfigurationError(f"{type(provider).__name__}: MPI apps need jobs of several nodes, and "
                                 f"{plan.batch_system} jobs have one node each here")
    plan.options.update(nodes_per_job=nodes_per_block(provider), launcher=provider.launcher)
    plan.jobs, plan.minimum_jobs = provider.init_blocks, provider.min_blocks  # a block is one job
    plan.maximum_jobs = max(provider.max_blocks, provider.init_blocks)
    return plan

"""Parsl's ``MPIExecutor``: blocks of several nodes, whose apps run MPI programs across them."""
from __future__ import annotations

import inspect
from typing import Any

from .htex import HighThroughputExecutor

#: HighThroughputExecutor's parameters that MPIExecutor sets itself (as Parsl's does)
_SET_HERE = ("cores_per_worker", "mem_per_worker", "max_workers_per_node", "cpu_affinity",
             "available_accelerators", "manager_selector", "enable_mpi_mode", "mpi_launcher")


class MPIExecutor(HighThroughputExecutor):
    """Parsl's ``MPIExecutor``: up to ``max_workers_per_block`` apps at once per block,
    each on the nodes its ``parsl_resource_specification`` asks for (``num_nodes``,
    ``ranks_per_node`` or ``num_ranks``, ``launcher_options``), which it has to itself
    while it runs; ``$PARSL_MPI_PREFIX`` launches its ranks there with ``mpi_launcher``
    (``srun``, ``mpiexec``, ``aprun``). The provider's launcher must be
    ``SimpleLauncher``: the workers run on the first node of each block. The other
    parameters are ``HighThroughputExecutor``'s.

    Examples
    --------
    >>> @bash_app
    ... def simulate(parsl_resource_specification=None):
    ...     return "$PARSL_MPI_PREFIX ./simulate"
    >>> simulate(parsl_resource_specification={"num_nodes": 2, "ranks_per_node": 4})
    """

    def __init__(self, label: str = "MPIExecutor", provider: Any = None, *, max_workers_per_block: int = 1,
                 mpi_launcher: str = "mpiexec", **options: Any) -> None:
        unexpected = sorted(set(options) - set(_OTHER_PARAMETERS))
        if unexpected:
            raise TypeError(f"MPIExecutor got unexpected keyword argument(s) {unexpected}")
        super().__init__(label, provider, max_workers_per_node=max_workers_per_block, enable_mpi_mode=True,
                         mpi_launcher=mpi_launcher, **options)


#: the parameters MPIExecutor passes on to HighThroughputExecutor as they are
_OTHER_PARAMETERS = {name: parameter for name, parameter in
                     inspect.signature(HighThroughputExecutor).parameters.items()
                     if name not in ("label", "provider", *_SET_HERE)}
# its signature lists them all, as Parsl's MPIExecutor does (for help() and the docs)
_own = inspect.signature(MPIExecutor.__init__)
MPIExecutor.__init__.__signature__ = _own.replace(parameters=[
    *[parameter for parameter in _own.parameters.values() if parameter.kind != parameter.VAR_KEYWORD],
    *_OTHER_PARAMETERS.values()])

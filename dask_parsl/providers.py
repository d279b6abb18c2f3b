"""Parsl's execution providers and launchers, under the same names and parameters.

A Parsl configuration keeps working after changing its imports: a provider
given to ``HighThroughputExecutor`` is turned into the matching dask-jobqueue
cluster (``SlurmProvider`` -> ``SLURMCluster``, ...); see ``dask_parsl.htex``.
Real ``parsl.providers`` objects are accepted as well.
"""
from __future__ import annotations

from typing import Any, ClassVar


class Launcher:
    """How a block starts its workers. dask-jobqueue starts one ``dask-worker``
    command per job, which is what ``SingleNodeLauncher`` and ``SimpleLauncher`` do."""

    def __init__(self, debug: bool = True) -> None:
        self.debug = debug

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SingleNodeLauncher(Launcher):
    """Workers on the job's first node (Parsl's default)."""


class SimpleLauncher(Launcher):
    """The worker command as it is, once per job."""


class ExecutionProvider:
    """A Parsl provider's options, checked against its parameters.

    Subclasses list their parameters and Parsl's defaults in ``parameters``;
    ``given`` names the options passed explicitly.
    """

    #: the dask-jobqueue batch system name (``None``: a LocalCluster)
    batch_system: ClassVar[str | None] = None
    parameters: ClassVar[dict[str, Any]] = {}
    _common: ClassVar[dict[str, Any]] = {
        "nodes_per_block": 1, "init_blocks": 1, "min_blocks": 0, "max_blocks": 1, "parallelism": 1,
        "worker_init": "", "launcher": None, "cmd_timeout": 10,
    }

    def __init__(self, **options: Any) -> None:
        known = {**self._common, **self.parameters}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected parameter(s) {unknown}; "
                            f"its parameters are {sorted(known)}")
        self.given = frozenset(options)
        for name, default in known.items():
            setattr(self, name, options.get(name, default))
        if self.launcher is None:
            self.launcher = SingleNodeLauncher()

    def __repr__(self) -> str:
        options = ", ".join(f"{name}={getattr(self, name)!r}" for name in sorted(self.given))
        return f"{type(self).__name__}({options})"


_BATCH = {"walltime": "00:10:00", "scheduler_options": ""}


class SlurmProvider(ExecutionProvider):
    batch_system = "slurm"
    parameters = {**_BATCH, "partition": None, "account": None, "qos": None, "constraint": None,
                  "clusters": None, "cores_per_node": None, "mem_per_node": None,
                  "gpus_per_node": None, "gres": None, "regex_job_id": None, "status_batch_size": 50,
                  "exclusive": True}


class PBSProProvider(ExecutionProvider):
    batch_system = "pbs"
    parameters = {**_BATCH, "account": None, "queue": None, "select_options": "", "cpus_per_node": 1}


class TorqueProvider(ExecutionProvider):
    batch_system = "pbs"
    parameters = {**_BATCH, "account": None, "queue": None}


class GridEngineProvider(ExecutionProvider):
    batch_system = "sge"
    parameters = {**_BATCH, "queue": None}


class LSFProvider(ExecutionProvider):
    batch_system = "lsf"
    parameters = {**_BATCH, "cores_per_block": None, "cores_per_node": None, "project": None,
                  "queue": None, "bsub_redirection": False, "request_by_nodes": True}


class CondorProvider(ExecutionProvider):
    batch_system = "htcondor"
    parameters = {**_BATCH, "cores_per_slot": None, "mem_per_slot": None, "environment": None,
                  "project": "", "transfer_input_files": [], "requirements": "", "cmd_chunk_size": 100}


class LocalProvider(ExecutionProvider):
    """Workers on this machine: an embedded ``LocalCluster``."""

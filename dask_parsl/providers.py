"""Parsl's execution providers and launchers, under the same names and parameters.

A Parsl configuration keeps working after changing its imports: a provider
given to ``HighThroughputExecutor`` is turned into the matching dask-jobqueue
cluster (``SlurmProvider`` -> ``SLURMCluster``, ...), or a LocalCluster for
``LocalProvider``; ``executors/provider_mapping.py`` maps each option, and the
docs page "Parsl's executor, Config, provider and launcher options" lists them.
Real ``parsl.providers`` and ``parsl.launchers`` objects are accepted as well.
"""
from __future__ import annotations

from typing import Any, ClassVar


class Launcher:
    """How a block starts its workers, with Parsl's parameters.

    A multi-node launcher (``SrunLauncher``, ``MpiExecLauncher``, ...) starts a
    worker group on each node of a block of several nodes, with the launch line
    Parsl's launcher of the same parameters runs (``executors/launch_commands.py``).
    ``SingleNodeLauncher`` and ``SimpleLauncher`` leave the worker command as
    dask-jobqueue writes it; ``WrappedLauncher(prepend)`` puts ``prepend`` before it.
    """

    def __init__(self, debug: bool = True) -> None:
        self.debug = debug

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SimpleLauncher(Launcher):
    """The worker command as it is, once per job."""


class SingleNodeLauncher(Launcher):
    """Workers on the job's node (Parsl's default)."""

    def __init__(self, debug: bool = True, fail_on_any: bool = False) -> None:
        super().__init__(debug)
        self.fail_on_any = fail_on_any


class GnuParallelLauncher(Launcher):
    """Parsl: workers on each node of a block through GNU parallel."""


class _OverridesLauncher(Launcher):
    def __init__(self, debug: bool = True, overrides: str = "") -> None:
        super().__init__(debug)
        self.overrides = overrides


class SrunLauncher(_OverridesLauncher):
    """Parsl: workers on each node of a block through ``srun``."""


class SrunMPILauncher(_OverridesLauncher):
    """Parsl: workers on each node of a block through ``srun``, for MPI apps."""


class AprunLauncher(_OverridesLauncher):
    """Parsl: workers on each node of a block through ``aprun`` (Torque's default)."""


class JsrunLauncher(_OverridesLauncher):
    """Parsl: workers on each node of a block through ``jsrun``."""


class MpiExecLauncher(Launcher):
    """Parsl: workers on each node of a block through ``mpiexec``."""

    def __init__(self, debug: bool = True, bind_cmd: str = "--bind-to", overrides: str = "") -> None:
        super().__init__(debug)
        self.bind_cmd = bind_cmd
        self.overrides = overrides


class MpiRunLauncher(Launcher):
    """Parsl: workers on each node of a block through ``mpirun``."""

    def __init__(self, debug: bool = True, bash_location: str = "/bin/bash", overrides: str = "") -> None:
        super().__init__(debug)
        self.bash_location = bash_location
        self.overrides = overrides


class WrappedLauncher(Launcher):
    """The worker command with ``prepend`` before it (a container runtime, ``time``, ...)."""

    def __init__(self, prepend: str, debug: bool = True) -> None:
        super().__init__(debug)
        self.prepend = prepend

    def __repr__(self) -> str:
        return f"WrappedLauncher({self.prepend!r})"


class ExecutionProvider:
    """A Parsl provider's options, checked against its parameters.

    Subclasses list their parameters and Parsl's defaults in ``parameters``;
    ``given`` names the options passed explicitly.
    """

    #: the dask-jobqueue batch system name (``None``: a LocalCluster)
    batch_system: ClassVar[str | None] = None
    parameters: ClassVar[dict[str, Any]] = {}
    #: the launcher when none is given (Parsl's default for the provider)
    default_launcher: ClassVar[type[Launcher]] = SingleNodeLauncher
    _common: ClassVar[dict[str, Any]] = {
        "nodes_per_block": 1, "init_blocks": 1, "min_blocks": 0, "max_blocks": 1, "parallelism": 1,
        "worker_init": "", "launcher": None,
    }

    def __init__(self, **options: Any) -> None:
        known = self.defaults()
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected parameter(s) {unknown}; "
                            f"its parameters are {sorted(known)}")
        self.given = frozenset(options)
        for name, default in known.items():
            setattr(self, name, options.get(name, default))
        if self.launcher is None:
            self.launcher = self.default_launcher()

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every parameter with Parsl's default (``launcher``: None, the default launcher)."""
        return {**cls._common, **cls.parameters}

    def __repr__(self) -> str:
        options = ", ".join(f"{name}={getattr(self, name)!r}" for name in sorted(self.given))
        return f"{type(self).__name__}({options})"


def _batch(walltime: str, cmd_timeout: int) -> dict[str, Any]:
    return {"walltime": walltime, "scheduler_options": "", "cmd_timeout": cmd_timeout}


class SlurmProvider(ExecutionProvider):
    batch_system = "slurm"
    parameters = {**_batch("00:10:00", 10), "partition": None, "account": None, "qos": None,
                  "constraint": None, "clusters": None, "cores_per_node": None, "mem_per_node": None,
                  "gpus_per_node": None, "gres": None, "regex_job_id": r"Submitted batch job (?P<id>\S*)",
                  "status_batch_size": 50, "exclusive": True}


class PBSProProvider(ExecutionProvider):
    batch_system = "pbs"
    parameters = {**_batch("00:20:00", 120), "account": None, "queue": None, "select_options": "",
                  "cpus_per_node": 1}


class TorqueProvider(ExecutionProvider):
    batch_system = "pbs"
    default_launcher = AprunLauncher
    parameters = {**_batch("00:20:00", 120), "account": None, "queue": None}


class GridEngineProvider(ExecutionProvider):
    batch_system = "sge"
    parameters = {**_batch("00:10:00", 60), "queue": None}


class LSFProvider(ExecutionProvider):
    batch_system = "lsf"
    parameters = {**_batch("00:10:00", 120), "cores_per_block": None, "cores_per_node": None,
                  "project": None, "queue": None, "bsub_redirection": False, "request_by_nodes": True}


class CondorProvider(ExecutionProvider):
    batch_system = "htcondor"
    parameters = {**_batch("00:10:00", 60), "cores_per_slot": None, "mem_per_slot": None,
                  "environment": None, "project": "", "transfer_input_files": [], "requirements": "",
                  "cmd_chunk_size": 100}


class LocalProvider(ExecutionProvider):
    """Workers on this machine: an embedded ``LocalCluster``."""

    parameters = {"cmd_timeout": 30}

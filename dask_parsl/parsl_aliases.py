"""Parsl's module paths, answered by dask_parsl: what ``dask-parsl run`` installs.

``PARSL_MODULES`` is the one table: each Parsl module a script imports maps to the
dask_parsl module whose public names stand in for it (or to a few constants).
``install()`` puts an importer in front of ``sys.meta_path`` for this process
only; ``register_on(client)`` does the same on a cluster's scheduler and
workers, because the functions shipped there can refer to ``parsl.*`` names. Nothing is installed at
import: with the real Parsl installed, ``python script.py`` still gets it.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any, Mapping

from distributed import SchedulerPlugin, WorkerPlugin

from .errors import ParslNameNotProvided

#: Parsl module -> the dask_parsl module whose public names it holds, or those names
PARSL_MODULES: dict[str, str | Mapping[str, Any]] = {
    "parsl": "dask_parsl",
    "parsl.addresses": "dask_parsl.addresses",
    "parsl.app": "dask_parsl.apps",
    "parsl.app.app": "dask_parsl.apps",
    "parsl.app.bash": "dask_parsl.apps",
    "parsl.app.errors": "dask_parsl.apps.errors",
    "parsl.app.futures": "dask_parsl.dataflow",
    "parsl.app.python": "dask_parsl.apps",
    "parsl.config": "dask_parsl.config",
    "parsl.configs.htex_local": "dask_parsl.configs.htex_local",
    "parsl.configs.local_threads": "dask_parsl.configs.local_threads",
    "parsl.data_provider.data_manager": "dask_parsl.staging.data_manager",
    "parsl.data_provider.file_noop": "dask_parsl.staging",
    "parsl.data_provider.files": "dask_parsl.staging",
    "parsl.data_provider.ftp": "dask_parsl.staging",
    "parsl.data_provider.http": "dask_parsl.staging",
    "parsl.data_provider.staging": "dask_parsl.staging",
    "parsl.data_provider.zip": "dask_parsl.staging",
    "parsl.dataflow.dependency_resolvers": "dask_parsl.dataflow.dependency_resolvers",
    "parsl.dataflow.dflow": "dask_parsl",
    "parsl.dataflow.errors": "dask_parsl.dataflow.errors",
    "parsl.dataflow.futures": "dask_parsl.dataflow",
    "parsl.dataflow.memoization": "dask_parsl.memo",
    "parsl.dataflow.states": "dask_parsl.dataflow.states",
    "parsl.dataflow.taskrecord": "dask_parsl.dataflow.records",
    "parsl.errors": "dask_parsl.errors",
    "parsl.executors": "dask_parsl.executors",
    "parsl.executors.base": "dask_parsl.executors.parsl_style",
    "parsl.executors.errors": "dask_parsl.executors.errors",
    "parsl.executors.high_throughput.executor": "dask_parsl.executors",
    "parsl.executors.high_throughput.mpi_executor": "dask_parsl.executors",
    "parsl.executors.threads": "dask_parsl.executors",
    "parsl.launchers": "dask_parsl.providers",
    "parsl.log_utils": "dask_parsl.logs",
    "parsl.monitoring": "dask_parsl.monitoring",
    "parsl.monitoring.monitoring": "dask_parsl.monitoring",
    "parsl.providers": "dask_parsl.providers",
    "parsl.usage_tracking.levels": {"DISABLED": 0, "LEVEL_1": 1, "LEVEL_2": 2, "LEVEL_3": 3},
    "parsl.utils": "dask_parsl.utils",
}

_DASK_EXECUTOR = "use HighThroughputExecutor or DaskExecutor: every app runs on Dask workers"
#: Parsl names dask_parsl does not provide -> what to use instead
NOT_PROVIDED: dict[str, str] = {
    "parsl.RadicalPilotExecutor": _DASK_EXECUTOR,
    "parsl.WorkQueueExecutor": _DASK_EXECUTOR,
    "parsl.executors.FluxExecutor": _DASK_EXECUTOR,
    "parsl.executors.GlobusComputeExecutor": _DASK_EXECUTOR,
    "parsl.executors.WorkQueueExecutor": _DASK_EXECUTOR,
    "parsl.providers.AWSProvider": "use dask-cloudprovider's EC2Cluster: DaskExecutor(cluster=...)",
    "parsl.providers.AzureProvider": "use dask-cloudprovider's AzureVMCluster: DaskExecutor(cluster=...)",
    "parsl.providers.GoogleCloudProvider": "use dask-cloudprovider's GCPCluster: DaskExecutor(cluster=...)",
    "parsl.providers.KubernetesProvider": "use dask-kubernetes' KubeCluster: DaskExecutor(cluster=...)",
    "parsl.addresses.address_by_query": "use address_by_route() or address_by_hostname()",
    "parsl.concurrent": "use distributed.Client(...).get_executor() for a concurrent.futures executor",
    "parsl.dataflow.memoization.Memoizer": "subclass BasicMemoizer, or register hashers with id_for_memo",
}

_PLUGIN_NAME = "dask-parsl-aliases"


def install() -> None:
    """Answer ``import parsl`` and Parsl's module paths with dask_parsl, in this process."""
    if not installed():
        sys.meta_path.insert(0, _IMPORTER)


def uninstall() -> None:
    """Stop answering ``parsl`` imports (modules already imported stay as they are)."""
    if installed():
        sys.meta_path.remove(_IMPORTER)


def installed() -> bool:
    """Whether this process answers ``parsl`` imports with dask_parsl."""
    return _IMPORTER in sys.meta_path


def register_on(client: Any) -> None:
    """Install the aliases on the scheduler and every worker of ``client``'s cluster: the
    scheduler unpickles the functions it is sent, and the workers run them."""
    client.register_plugin(_AliasesOnScheduler())
    client.register_plugin(_AliasesOnWorkers())


class _AliasesOnScheduler(SchedulerPlugin):
    name = _PLUGIN_NAME

    def start(self, scheduler: Any) -> None:
        install()


class _AliasesOnWorkers(WorkerPlugin):
    name = _PLUGIN_NAME

    def setup(self, worker: Any) -> None:
        install()


def _packages() -> set[str]:
    """Every proper prefix of a table entry (``parsl.executors.high_throughput``...)."""
    prefixes = set()
    for path in PARSL_MODULES:
        parts = path.split(".")
        prefixes.update(".".join(parts[:end]) for end in range(1, len(parts)))
    return prefixes


class _AliasModule(types.ModuleType):
    """A Parsl module whose names come from a dask_parsl module (or a mapping)."""

    def __init__(self, name: str, source: str | Mapping[str, Any] | None) -> None:
        super().__init__(name, f"{name}, answered by dask_parsl (dask-parsl run)")
        self._source = source
        if isinstance(source, str):
            self.__all__ = list(getattr(importlib.import_module(source), "__all__", ()))
        elif source:
            self.__all__ = list(source)

    def __reduce__(self) -> tuple:
        """Pickled by name, as modules are: unpickled by importing it (see ``register_on``)."""
        return importlib.import_module, (self.__name__,)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") and name != "__version__":
            raise AttributeError(name)  # probes for private names and dunders
        full_name = f"{self.__name__}.{name}"
        if full_name in PARSL_MODULES or full_name in _PACKAGES:
            return importlib.import_module(full_name)
        if isinstance(self._source, str):
            module = importlib.import_module(self._source)
            if hasattr(module, name):
                return getattr(module, name)
        elif self._source and name in self._source:
            return self._source[name]
        raise ParslNameNotProvided(full_name, NOT_PROVIDED.get(full_name))


class _Importer(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != "parsl" and not fullname.startswith("parsl."):
            return None
        if fullname not in PARSL_MODULES and fullname not in _PACKAGES:
            hint = next((hint for name, hint in NOT_PROVIDED.items()
                         if fullname == name or fullname.startswith(name + ".")), None)
            raise ParslNameNotProvided(fullname, hint, module=True)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname in _PACKAGES)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _AliasModule(spec.name, PARSL_MODULES.get(spec.name))

    def exec_module(self, module: types.ModuleType) -> None:
        """Names are looked up when used: nothing to run."""


_PACKAGES = _packages()
_IMPORTER = _Importer()

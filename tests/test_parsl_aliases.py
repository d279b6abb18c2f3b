"""The table of Parsl module paths that ``dask-parsl run`` answers (``dask_parsl.parsl_aliases``)."""
import importlib
import pickle
import re
import sys
from pathlib import Path

import pytest

import dask_parsl
from dask_parsl import parsl_aliases
from dask_parsl.errors import ParslNameNotProvided
from dask_parsl.parsl_aliases import NOT_PROVIDED, PARSL_MODULES

#: what Parsl's tutorials and configurations import, each of which must resolve
USER_NAMES = {
    "parsl": ["python_app", "bash_app", "join_app", "Config", "File", "DataFlowKernel", "AUTO_LOGNAME",
              "ThreadPoolExecutor", "HighThroughputExecutor", "load", "dfk", "clear",
              "wait_for_current_tasks", "set_stream_logger", "set_file_logger", "__version__"],
    "parsl.addresses": ["address_by_hostname", "address_by_interface", "address_by_route",
                        "get_all_addresses"],
    "parsl.app.app": ["python_app", "bash_app", "join_app"],
    "parsl.app.errors": ["AppException", "BashExitFailure", "AppTimeout", "MissingOutputs",
                         "BashAppNoReturn", "AppBadFormatting", "BadStdStreamFile"],
    "parsl.app.futures": ["DataFuture"],
    "parsl.config": ["Config"],
    "parsl.configs.htex_local": ["config"],
    "parsl.configs.local_threads": ["config"],
    "parsl.data_provider.files": ["File"],
    "parsl.data_provider.zip": ["ZipFileStaging", "ZipAuthorityError"],
    "parsl.dataflow.dependency_resolvers": ["DEEP_DEPENDENCY_RESOLVER", "SHALLOW_DEPENDENCY_RESOLVER"],
    "parsl.dataflow.dflow": ["DataFlowKernel", "DataFlowKernelLoader"],
    "parsl.dataflow.errors": ["DependencyError", "JoinError", "BadCheckpoint"],
    "parsl.dataflow.futures": ["AppFuture"],
    "parsl.dataflow.memoization": ["BasicMemoizer"],
    "parsl.dataflow.states": ["States", "FINAL_STATES", "FINAL_FAILURE_STATES"],
    "parsl.errors": ["ConfigurationError", "NoDataFlowKernelError"],
    "parsl.executors": ["HighThroughputExecutor", "ThreadPoolExecutor"],
    "parsl.executors.high_throughput.executor": ["HighThroughputExecutor"],
    "parsl.executors.threads": ["ThreadPoolExecutor"],
    "parsl.launchers": ["SingleNodeLauncher", "SimpleLauncher"],
    "parsl.log_utils": ["set_stream_logger", "set_file_logger"],
    "parsl.providers": ["LocalProvider", "SlurmProvider", "PBSProProvider", "TorqueProvider",
                        "GridEngineProvider", "LSFProvider", "CondorProvider"],
    "parsl.usage_tracking.levels": ["LEVEL_1"],
    "parsl.utils": ["get_all_checkpoints", "get_last_checkpoint", "RepresentationMixin"],
    "parsl.executors.base": ["ParslExecutor"],
}


def parsl_modules():
    return {name: module for name, module in sys.modules.items()
            if name == "parsl" or name.startswith("parsl.")}


@pytest.fixture
def real_parsl_all():
    """``__all__`` of each real Parsl module in the table that has one."""
    return {name: list(importlib.import_module(name).__all__) for name in PARSL_MODULES
            if hasattr(importlib.import_module(name), "__all__")}


@pytest.fixture
def aliases():
    """The aliases installed in this process, the real Parsl's modules put back afterwards."""
    real = parsl_modules()
    for name in real:
        del sys.modules[name]
    parsl_aliases.install()
    yield
    parsl_aliases.uninstall()
    for name in parsl_modules():
        del sys.modules[name]
    sys.modules.update(real)


def test_every_name_users_import_resolves_to_dask_parsl(aliases):
    for module_name, names in USER_NAMES.items():
        module = importlib.import_module(module_name)
        for name in names:
            value = getattr(module, name)
            if type(value).__module__ == "builtins" and not callable(value):  # a constant
                continue
            owner = value.__module__ if callable(value) else type(value).__module__
            assert owner.startswith("dask_parsl"), f"{module_name}.{name} comes from {owner}"
    import parsl
    from parsl.app.app import python_app

    assert python_app is dask_parsl.python_app
    assert parsl.executors.HighThroughputExecutor is dask_parsl.HighThroughputExecutor  # as Parsl's import
    assert parsl.__version__ == dask_parsl.__version__


def test_every_name_parsl_exports_resolves_or_says_what_to_use_instead(real_parsl_all, aliases):
    assert set(real_parsl_all) >= {"parsl", "parsl.executors", "parsl.providers", "parsl.launchers"}
    for module_name, names in real_parsl_all.items():
        module = importlib.import_module(module_name)
        for name in names:
            full_name = f"{module_name}.{name}"
            if full_name in NOT_PROVIDED:
                advice = re.escape(f"{full_name}: {NOT_PROVIDED[full_name]}")
                with pytest.raises(ParslNameNotProvided, match=advice):
                    getattr(module, name)
            else:
                assert getattr(module, name) is not None


def test_a_missing_name_or_module_is_named_in_the_import_error(aliases):
    with pytest.raises(ImportError, match="name parsl.executors.FluxExecutor: use HighThroughputExecutor"):
        from parsl.executors import FluxExecutor  # noqa: F401
    with pytest.raises(ImportError, match="module parsl.channels: the Parsl modules and names it provides"):
        import parsl.channels  # noqa: F401
    with pytest.raises(ImportError, match="module parsl.concurrent: use distributed.Client"):
        from parsl.concurrent import ParslPoolExecutor  # noqa: F401
    import parsl

    assert not hasattr(parsl, "__wrapped__")  # dunder probes stay plain AttributeErrors


def test_alias_modules_pickle_by_name(aliases):
    import parsl.app.errors

    assert pickle.loads(pickle.dumps(parsl.app.errors)) is parsl.app.errors


def test_nothing_is_aliased_unless_installed():
    assert not parsl_aliases.installed()
    import parsl

    assert parsl.python_app.__module__.startswith("parsl.")


def test_the_migration_guide_shows_the_whole_table():
    guide = (Path(__file__).resolve().parent.parent / "docs" / "migration.rst").read_text()
    rows = dict(re.findall(r"^``(parsl[\w.]*)``\s+(.+)$", guide, re.M))
    assert set(rows) == set(PARSL_MODULES)
    for module, source in PARSL_MODULES.items():
        if isinstance(source, str):
            assert rows[module] == f"``{source}``"

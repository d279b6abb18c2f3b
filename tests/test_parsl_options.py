"""Parsl's HighThroughputExecutor, Config, provider and launcher options: each is accepted;
those with a Dask meaning change the running cluster (or the job script), the others are
named in one ParslOptionIgnored warning."""
import inspect
import logging
import os
import time
import warnings

import dask
import dask_jobqueue  # noqa: F401  (its config defaults, before the fixtures set some)
import parsl.config
import parsl.executors
import parsl.launchers
import parsl.providers
import pytest
from fake_batch import calls, install
from servers import free_port

import dask_parsl
from dask_parsl import Config, ConfigurationError, HighThroughputExecutor, bash_app, python_app
from dask_parsl import providers as ours
from dask_parsl.errors import ParslOptionIgnored
from dask_parsl.executors.provider_mapping import IGNORED, LOCAL_IGNORED, MAPPED

PROVIDERS = ["LocalProvider", "SlurmProvider", "PBSProProvider", "TorqueProvider", "GridEngineProvider",
             "LSFProvider", "CondorProvider"]
LAUNCHERS = sorted(set(parsl.launchers.__all__))
#: values for Parsl's parameters that have no default
REQUIRED = {"prepend": "time"}


def parsl_defaults(parsl_class):
    """Every parameter of Parsl's class, with Parsl's default value."""
    return {name: REQUIRED.get(name, parameter.default)
            for name, parameter in inspect.signature(parsl_class).parameters.items()}


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParslOptionIgnored)
        yield


@pytest.fixture(autouse=True)
def schedulers_on_loopback():
    with dask.config.set({f"jobqueue.{name}.interface": "lo" for name in ("pbs", "lsf", "htcondor")}):
        yield


@pytest.fixture
def fake_batch(tmp_path, monkeypatch):
    """Stand-in batch commands first on PATH; returns the function listing their calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    install(str(bin_dir), tmp_path / "batch-calls.jsonl")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return lambda: calls(tmp_path / "batch-calls.jsonl")


# -- every parameter is accepted; Parsl's defaults are no reason to warn -------------------

@pytest.mark.parametrize("parsl_class, our_class", [
    (parsl.executors.HighThroughputExecutor, HighThroughputExecutor), (parsl.config.Config, Config),
    *[(getattr(parsl.launchers, name), getattr(ours, name)) for name in LAUNCHERS],
], ids=lambda cls: cls.__module__.split(".")[0] + "." + cls.__name__)
def test_every_parameter_of_parsls_class_is_accepted_and_its_defaults_give_no_warning(
        parsl_class, our_class, no_warnings):
    assert set(inspect.signature(parsl_class).parameters) <= set(inspect.signature(our_class).parameters)
    our_class(**parsl_defaults(parsl_class))


@pytest.mark.parametrize("name", PROVIDERS)
def test_every_provider_parameter_is_accepted_and_parsls_own_provider_maps_without_warning(
        name, no_warnings):
    parsl_class = getattr(parsl.providers, name)
    provider = getattr(ours, name)(**parsl_defaults(parsl_class))
    HighThroughputExecutor(provider=provider, max_workers_per_node=1)
    HighThroughputExecutor(provider=parsl_class(), max_workers_per_node=1)
    system = getattr(ours, name).batch_system
    reasons = LOCAL_IGNORED if system is None else IGNORED
    unexplained = set(inspect.signature(parsl_class).parameters) - MAPPED[system] - set(reasons)
    assert not unexplained, f"{name} options neither mapped nor explained in the warning: {unexplained}"


@pytest.mark.parametrize("name, instead", [
    ("KubernetesProvider", "dask-kubernetes"), ("AWSProvider", "dask-cloudprovider"),
    ("GoogleCloudProvider", "dask-cloudprovider"), ("AzureProvider", "dask-cloudprovider"),
])
def test_parsls_cloud_providers_are_errors_naming_what_builds_their_cluster(name, instead):
    cls = getattr(parsl.providers, name)
    provider = cls.__new__(cls)  # their constructors need the cloud's client libraries
    with pytest.raises(ConfigurationError, match=f"{name}.*{instead}.*DaskExecutor\\(cluster="):
        HighThroughputExecutor(provider=provider)


# -- options without a Dask meaning: one warning naming them -------------------------------

def test_options_without_a_dask_meaning_are_named_in_one_warning():
    launcher = ours.SrunLauncher(overrides="--cpu-bind=cores")
    provider = ours.SlurmProvider(partition="x", cores_per_node=2, cmd_timeout=60, parallelism=0.5,
                                  launcher=launcher)
    with pytest.warns(ParslOptionIgnored) as record:
        HighThroughputExecutor(provider=provider, cpu_affinity="block", prefetch_capacity=4,
                               heartbeat_period=5, poll_period=100, drain_period=3600,
                               loopback_address="127.0.0.9", launch_cmd="process_worker_pool.py")
    assert len(record) == 1
    message = str(record[0].message)
    for name in ["cpu_affinity", "prefetch_capacity", "heartbeat_period", "poll_period", "drain_period",
                 "loopback_address", "launch_cmd", "SlurmProvider.cmd_timeout", "SlurmProvider.parallelism",
                 "SrunLauncher.overrides"]:
        assert name in message, name
    assert "no setting changes it" in message  # distributed has no heartbeat interval setting
    assert record[0].filename == __file__


def test_config_keywords_without_a_dask_meaning_are_named_in_one_warning(no_warnings):
    Config(usage_tracking=0, project_name=None, monitoring=None, strategy_period=2)
    with pytest.warns(ParslOptionIgnored) as record:
        Config(usage_tracking=1, project_name="climate")
    assert len(record) == 1
    assert all(name in str(record[0].message) for name in ("usage_tracking", "project_name"))
    with pytest.raises(ConfigurationError, match="takes a MonitoringHub"):
        Config(monitoring=object())


def test_a_local_cluster_ignores_blocks_and_multi_node_launchers_with_a_warning():
    provider = ours.LocalProvider(init_blocks=2, max_blocks=4, launcher=ours.MpiExecLauncher())
    with pytest.warns(ParslOptionIgnored, match="init_blocks, LocalProvider.max_blocks, "
                                                "LocalProvider.launcher \\(MpiExecLauncher\\)"):
        HighThroughputExecutor(provider=provider)
    with pytest.raises(ConfigurationError, match="WrappedLauncher"):
        HighThroughputExecutor(provider=ours.LocalProvider(launcher=ours.WrappedLauncher("apptainer exec x")))


def test_inside_a_slurm_allocation_an_srun_launcher_starts_workers_on_its_nodes(monkeypatch):
    """Parsl's form for a workflow run inside salloc/sbatch (run for real in tests/slurm)."""
    launcher = ours.SrunLauncher(overrides="--gpus-per-task=1")
    provider = ours.LocalProvider(nodes_per_block=2, launcher=launcher)
    with pytest.warns(ParslOptionIgnored, match="outside a Slurm allocation"):
        assert HighThroughputExecutor(provider=provider)._plan.allocation is None
    monkeypatch.setenv("SLURM_JOB_ID", "42")
    monkeypatch.setenv("SLURM_CPUS_ON_NODE", "3")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParslOptionIgnored)
        allocation = HighThroughputExecutor(provider=provider)._plan.allocation
    assert allocation.nodes == 2 and allocation.blocks == 1 and allocation.workers_per_node == 3
    assert allocation.launcher[:4] == ["srun", "--nodes=2", "--ntasks=2", "--ntasks-per-node=1"]
    assert allocation.launcher[-1] == "--gpus-per-task=1"


@python_app
def double(x):
    return 2 * x


def test_parsls_htex_local_config_loads_with_only_usage_tracking_warned(run_dir):
    executor = HighThroughputExecutor(label="htex_local", cores_per_worker=1,
                                      provider=ours.LocalProvider(init_blocks=1, max_blocks=1))
    with pytest.warns(ParslOptionIgnored, match="^Config ignores usage_tracking ") as record:
        config = Config(executors=[executor], usage_tracking=1, run_dir=run_dir)
    assert len(record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParslOptionIgnored)
        with dask_parsl.load(config):
            assert double(21).result(timeout=60) == 42
            assert executor.scheduler_address.startswith("tls://")  # encrypted unset: TLS


# -- mapped options, by their effect on the running cluster --------------------------------

@python_app
def worker_settings():
    import logging

    import dask

    return (dask.config.get("distributed.comm.timeouts.connect"),
            logging.getLogger("distributed.worker").getEffectiveLevel())


def test_ports_address_memory_heartbeat_and_debug_shape_the_local_cluster(run_dir):
    executor = HighThroughputExecutor(
        label="mapped", provider=ours.LocalProvider(), max_workers_per_node=2, mem_per_worker=0.5,
        address="127.0.0.2", worker_port_range=(47100, 47199), interchange_port_range=(47200, 47299),
        heartbeat_threshold=42, worker_debug=True, address_probe_timeout=7, encrypted=False)
    with dask_parsl.load(Config(executors=[executor], run_dir=run_dir)):
        assert worker_settings().result(timeout=60) == ("7s", logging.DEBUG)
        info = executor.client.scheduler_info()
        assert info["address"].startswith("tcp://127.0.0.2:472")
        assert len(info["workers"]) == 2
        for address, worker in info["workers"].items():
            host, port = address.removeprefix("tcp://").split(":")
            assert host == "127.0.0.2" and 47100 <= int(port) <= 47199
            assert worker["memory_limit"] == 2**29  # 0.5 GiB
        ttl = executor.client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.worker_ttl)
        assert ttl == 42
        death_timeouts = executor.client.run(lambda dask_worker: dask_worker.death_timeout)
        assert set(death_timeouts.values()) == {42}


@python_app
def devices_while_all_run(directory, count):
    """The accelerator variables of this worker, once ``count`` calls run at once."""
    import os
    import time

    open(os.path.join(directory, str(os.getpid())), "w").close()
    deadline = time.monotonic() + 30
    while len(os.listdir(directory)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return tuple(os.environ.get(name) for name in
                 ("CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "ZE_AFFINITY_MASK"))


@bash_app
def device_of_command(stdout=None):
    return "echo $CUDA_VISIBLE_DEVICES"


@python_app
def fails():
    raise ValueError("expected in the worker log")


def test_tls_accelerators_worker_logs_and_the_port_workers_connect_to(run_dir, tmp_path):
    port = free_port()
    executor = HighThroughputExecutor(
        label="gpu", provider=ours.LocalProvider(), available_accelerators=["a", "b"], encrypted=True,
        worker_logdir_root=str(tmp_path / "logs"), worker_port=port)
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    with dask_parsl.load(Config(executors=[executor], run_dir=run_dir)):
        info = executor.client.scheduler_info()
        assert info["address"].startswith("tls://") and info["address"].endswith(f":{port}")
        assert len(info["workers"]) == 2 and all(address.startswith("tls://") for address in info["workers"])
        calls = [devices_while_all_run(str(rendezvous), 2) for _ in range(2)]
        assert {call.result(timeout=60) for call in calls} == {("a",) * 3, ("b",) * 3}
        device_of_command(stdout=str(tmp_path / "device.out")).result(timeout=60)
        assert (tmp_path / "device.out").read_text().strip() in {"a", "b"}
        with pytest.raises(ValueError):
            fails().result(timeout=60)
        logs = tmp_path / "logs" / "gpu"
        deadline = time.monotonic() + 10
        while "expected in the worker log" not in "".join(p.read_text() for p in logs.iterdir()):
            assert time.monotonic() < deadline, "the failed app's record is not in the worker logs"
            time.sleep(0.05)


def test_batch_options_become_job_script_lines(fake_batch, run_dir, tmp_path):
    provider = ours.LSFProvider(queue="normal", cores_per_node=4, bsub_redirection=True,
                                launcher=ours.WrappedLauncher("apptainer exec image.sif"))
    executor = HighThroughputExecutor(
        provider=provider, mem_per_worker=2, worker_port_range=(47300, 47399),
        interchange_port_range=(47400, 47499), heartbeat_threshold=50, worker_debug=True,
        worker_logdir_root=str(tmp_path / "logs"), encrypted=True, available_accelerators=2)
    with dask_parsl.load(Config(executors=[executor], run_dir=run_dir)):
        (submit,) = fake_batch()
        assert executor.scheduler_address.startswith("tls://127.0.0.1:474")
        assert executor.client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.worker_ttl) == 50
    script = submit["script"]
    assert submit["args"] == []  # bsub < script
    log_directory = tmp_path / "logs" / "HighThroughputExecutor"
    for line in ["apptainer exec image.sif ", " -m distributed.cli.dask_worker tls://127.0.0.1:474",
                 "--worker-port 47300:47399", "--death-timeout 50", "--nworkers 2", "--memory-limit 2.00GiB",
                 "--tls-ca-file", "export DASK_LOGGING__DISTRIBUTED=debug", f"#BSUB -o {log_directory}/"]:
        assert line in script, line


def test_condor_options_multi_node_blocks_and_the_strategy_period(fake_batch, run_dir):
    provider = ours.CondorProvider(cores_per_slot=1, nodes_per_block=2, max_blocks=3, project='"climate"',
                                   transfer_input_files=["env.sh", "data.nc"], launcher=ours.SrunLauncher())
    with pytest.warns(ParslOptionIgnored, match="CondorProvider.walltime: HTCondor jobs have no walltime"):
        HighThroughputExecutor(provider=ours.CondorProvider(cores_per_slot=1, walltime="01:00:00"))
    with pytest.warns(ParslOptionIgnored, match="htcondor jobs have one node each here"):
        executor = HighThroughputExecutor(provider=provider)
    config = Config(executors=[executor], run_dir=run_dir, strategy_period=2, max_idletime=10)
    with dask_parsl.load(config):
        submissions = [call for call in fake_batch() if call["script"]]
        adaptive = executor.cluster._adaptive
        assert (adaptive.interval, adaptive.wait_count, adaptive.maximum) == (2, 5, 6)
    assert len(submissions) == 2  # a block of two nodes: two jobs
    for line in ['+projectname = "climate"', "transfer_input_files = env.sh,data.nc",
                 "should_transfer_files = YES"]:
        assert line in submissions[0]["script"], line

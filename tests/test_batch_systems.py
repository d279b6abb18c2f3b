"""Parsl providers and dask-jobqueue specs mapped onto batch clusters. Systems without a
server on this machine (PBS, LSF, HTCondor, Grid Engine, OAR) are checked through their
job scripts and stand-in submit/cancel commands; Slurm runs for real in tests/slurm."""
import os

import dask.config
import dask_jobqueue  # noqa: F401  (its config defaults, before the fixtures set some)
import pytest
from batch_helpers import wait_until
from fake_batch import calls, install

import dask_parsl as parsl
from dask_parsl import Config, ConfigurationError, DaskExecutor, HighThroughputExecutor, python_app
from dask_parsl.executors.job_renewal import walltime_seconds
from dask_parsl.executors.provider_mapping import plan_cluster
from dask_parsl.providers import (
    CondorProvider,
    GridEngineProvider,
    LocalProvider,
    LSFProvider,
    PBSProProvider,
    SlurmProvider,
    TorqueProvider,
)


@pytest.fixture(autouse=True)
def schedulers_on_loopback():
    systems = ("slurm", "pbs", "sge", "lsf", "htcondor", "oar")
    with dask.config.set({f"jobqueue.{name}.interface": "lo" for name in systems}):
        yield


@pytest.fixture
def fake_batch(tmp_path, monkeypatch):
    """Fake batch commands first on PATH; returns a function listing their calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "batch-calls.jsonl"
    install(str(bin_dir), log)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir, lambda: calls(log)


def submitted_and_cancelled(executor, run_dir, recorded, config=None):
    """Load with ``executor`` (its jobs are submitted), clean up (they are cancelled)."""
    with parsl.load(Config(executors=[executor], run_dir=run_dir, **(config or {}))):
        submissions = [call for call in recorded() if call["script"]]
        assert len(submissions) == 1
    cancels = [call for call in recorded() if not call["script"]]
    return submissions[0], cancels


def test_pbspro_provider(fake_batch, run_dir):
    provider = PBSProProvider(queue="workq", account="proj7", cpus_per_node=4, walltime="01:30:00",
                              select_options="ngpus=1", scheduler_options="#PBS -l place=scatter",
                              worker_init="module load python")
    submit, cancels = submitted_and_cancelled(HighThroughputExecutor(provider=provider), run_dir,
                                              fake_batch[1])
    script = submit["script"]
    assert submit["command"] == "qsub"
    for line in ["#PBS -q workq", "#PBS -A proj7", "#PBS -l walltime=01:30:00",
                 "#PBS -l select=1:ncpus=4", ":ngpus=1", "#PBS -l place=scatter", "module load python",
                 "--nthreads 1", "--nworkers 4"]:
        assert line in script, line
    assert [(c["command"], c["args"]) for c in cancels] == [("qdel", ["1234"])]


def test_torque_provider_uses_pbs(fake_batch, run_dir):
    provider = TorqueProvider(queue="batch", walltime="00:20:00")
    executor = HighThroughputExecutor(provider=provider, max_workers_per_node=2)
    submit, cancels = submitted_and_cancelled(executor, run_dir, fake_batch[1])
    assert "#PBS -q batch" in submit["script"] and "#PBS -l walltime=00:20:00" in submit["script"]
    assert cancels[0]["command"] == "qdel"


def test_lsf_provider(fake_batch, run_dir):
    provider = LSFProvider(queue="normal", project="climate", cores_per_node=8, walltime="02:00:00")
    submit, cancels = submitted_and_cancelled(
        HighThroughputExecutor(provider=provider, cores_per_worker=2), run_dir, fake_batch[1])
    script = submit["script"]
    assert submit["command"] == "bsub"
    for line in ["#BSUB -q normal", '#BSUB -P "climate"', "#BSUB -W 02:00", "#BSUB -n 8", "--nworkers 4"]:
        assert line in script, line
    assert [(c["command"], c["args"]) for c in cancels] == [("bkill", ["5678"])]


def test_condor_provider(fake_batch, run_dir):
    provider = CondorProvider(cores_per_slot=2, mem_per_slot=4, requirements='OpSys == "LINUX"',
                              worker_init="source env.sh")
    submit, cancels = submitted_and_cancelled(HighThroughputExecutor(provider=provider), run_dir,
                                              fake_batch[1])
    script = submit["script"]
    assert submit["command"] == "condor_submit"
    assert 'requirements = OpSys == "LINUX"' in script and "RequestCpus = MY.DaskWorkerCores" in script
    assert "source env.sh" in script
    assert [(c["command"], c["args"]) for c in cancels] == [("condor_rm", ["42.0"])]


def test_grid_engine_provider(tmp_path, monkeypatch, run_dir):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    install(str(bin_dir), tmp_path / "calls.jsonl", sge=True)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    provider = GridEngineProvider(queue="all.q", walltime="00:30:00")
    executor = HighThroughputExecutor(provider=provider, max_workers_per_node=2)
    submit, cancels = submitted_and_cancelled(executor, run_dir, lambda: calls(tmp_path / "calls.jsonl"))
    assert "#$ -q all.q" in submit["script"] and "#$ -l h_rt=00:30:00" in submit["script"]
    assert [(c["command"], c["args"]) for c in cancels] == [("qdel", ["99"])]


@pytest.mark.filterwarnings("ignore:OAR Job memory reserved resources")
def test_oar_through_the_dask_jobqueue_spec(fake_batch, run_dir):
    executor = DaskExecutor(provider="oar", cores=2, memory="4GB", queue="default", walltime="00:10:00")
    submit, cancels = submitted_and_cancelled(executor, run_dir, fake_batch[1])
    assert submit["command"] == "oarsub"
    assert [(c["command"], c["args"]) for c in cancels] == [("oardel", ["77"])]


@pytest.mark.parametrize("cluster_class, submit, cancel, job_id", [
    ("PBSCluster", "qsub", "qdel", "1234"), ("MoabCluster", "msub", "canceljob", "2468"),
    ("LSFCluster", "bsub", "bkill", "5678"), ("HTCondorCluster", "condor_submit", "condor_rm", "42.0"),
    ("OARCluster", "oarsub", "oardel", "77"),
])
@pytest.mark.filterwarnings("ignore:OAR Job memory reserved resources")
def test_dask_jobqueue_clusters_work_as_they_are(fake_batch, run_dir, cluster_class, submit, cancel, job_id):
    options = {"disk": "1GB"} if cluster_class == "HTCondorCluster" else {}
    cluster = getattr(dask_jobqueue, cluster_class)(
        cores=1, processes=1, memory="1GB", interface="lo", scheduler_options={"dashboard_address": ":0"},
        **options)
    cluster.scale(jobs=1)
    try:
        with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)):
            wait_until(fake_batch[1], 30, "the job to be submitted")
            assert [call["command"] for call in fake_batch[1]()] == [submit]
    finally:
        cluster.close()
    cancels = [(call["command"], call["args"]) for call in fake_batch[1]() if not call["script"]]
    assert cancels == [(cancel, [job_id])]


def test_nodes_per_block_become_jobs(fake_batch, run_dir):
    provider = PBSProProvider(queue="workq", cpus_per_node=2, nodes_per_block=3, init_blocks=1, max_blocks=2)
    plan = plan_cluster(provider)
    assert (plan.jobs, plan.minimum_jobs, plan.maximum_jobs) == (3, 0, 6)


@python_app
def double(x):
    return 2 * x


def test_local_provider_runs_a_local_cluster(run_dir):
    executor = HighThroughputExecutor(label="local", provider=LocalProvider(), max_workers_per_node=2)
    with parsl.load(Config(executors=[executor], run_dir=run_dir)):
        assert double(21).result(timeout=60) == 42
        assert len(executor.client.scheduler_info()["workers"]) == 2


class SiteLauncher:
    """A launcher Parsl does not have."""


def test_a_launcher_dask_parsl_does_not_know_is_an_error_naming_it():
    with pytest.raises(ConfigurationError, match="SiteLauncher"):
        HighThroughputExecutor(provider=SlurmProvider(partition="x", cores_per_node=1,
                                                      launcher=SiteLauncher()))


def test_unknown_provider_parameters_are_type_errors():
    with pytest.raises(TypeError, match="queue_name"):
        SlurmProvider(queue_name="x")


def test_cores_must_be_known(monkeypatch):
    with pytest.raises(ConfigurationError, match="cores_per_node"):
        HighThroughputExecutor(provider=SlurmProvider(partition="x"))


def test_a_missing_submit_command_fails_load_naming_it(tmp_path, monkeypatch, run_dir):
    monkeypatch.setenv("PATH", str(tmp_path))
    executor = HighThroughputExecutor(provider=SlurmProvider(partition="debug", cores_per_node=1))
    with pytest.raises(ConfigurationError, match="'sbatch' is not on PATH"):
        parsl.load(Config(executors=[executor], run_dir=run_dir))
    with pytest.raises(ConfigurationError, match="unknown batch system 'slurmm'"):
        parsl.load(Config(executors=[DaskExecutor(provider="slurmm", cores=1)], run_dir=run_dir))


@pytest.mark.parametrize("system, walltime, seconds", [
    ("slurm", "00:01:00", 60), ("slurm", "1-02:00:00", 93600), ("slurm", "30", 1800),
    ("slurm", "05:30", 330), ("lsf", "01:30", 5400), ("pbs", "02:00:00", 7200), ("pbs", 3600, 3600),
    ("htcondor", None, None),
])
def test_walltimes_are_read_as_the_batch_system_reads_them(system, walltime, seconds):
    assert walltime_seconds(system, walltime) == seconds


def test_an_unreadable_walltime_is_an_error_showing_the_form():
    with pytest.raises(ValueError, match=r"cannot read the walltime '2 hours'.*HH:MM:SS"):
        walltime_seconds("slurm", "2 hours")

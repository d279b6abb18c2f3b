"""Workflows on a real two-node Slurm: jobs, adaptive scaling, losing a job, job scripts."""
import json
import subprocess
import time
import urllib.request

import dask.config
import psutil
import pytest
from batch_helpers import add, job_of_this_worker, node_of_this_worker, wait_until
from dask_jobqueue import SLURMCluster
from distributed import Client
from distributed.utils import get_ip
from slurm_helpers import assert_lost_in_job, squeue_jobs

import dask_parsl as parsl
from dask_parsl import (
    Config,
    ConfigurationError,
    DaskExecutor,
    DependencyError,
    HighThroughputExecutor,
    JobSubmissionFailed,
    python_app,
    security_from,
)
from dask_parsl.providers import SlurmProvider

pytestmark = pytest.mark.slurm


def two_single_core_jobs(**options):
    return SlurmProvider(partition="debug", cores_per_node=1, mem_per_node=1, init_blocks=2, max_blocks=2,
                         walltime="00:10:00", exclusive=False, **options)


def test_a_workflow_runs_across_two_jobs(run_dir):
    started = time.monotonic()
    executor = HighThroughputExecutor(label="slurm", provider=two_single_core_jobs())
    with parsl.load(Config(executors=[executor], run_dir=run_dir)):
        assert len(squeue_jobs()) == 2
        first = job_of_this_worker().result(timeout=120)
        print(f"load() to the first task finished on Slurm: {time.monotonic() - started:.1f} s")
        jobs = {f.result(timeout=120) for f in [job_of_this_worker(0.3) for _ in range(12)]}
        assert len(jobs | {first}) == 2
        assert jobs <= set(squeue_jobs())
        nodes = [node_of_this_worker() for _ in range(12)]
        assert {f.result(timeout=120) for f in nodes} == {"n1", "n2"}  # a node's CPU per job
        total = add(0, 0)
        for i in range(1, 21):  # a chain of dependencies moving between the jobs
            total = add(total, i, 0.05)
        assert total.result(timeout=120) == 210
    wait_until(lambda: not squeue_jobs(), 60, "cleanup to cancel the jobs")


def test_adaptive_scaling_from_zero_and_back(run_dir):
    executor = DaskExecutor(label="adaptive", provider="slurm", cores=1, processes=1, memory="1GB",
                            queue="debug", walltime="00:10:00", jobs=0, minimum_jobs=0, maximum_jobs=2)
    with parsl.load(Config(executors=[executor], run_dir=run_dir, max_idletime=2)):
        assert squeue_jobs() == []
        futures = [job_of_this_worker(0.5) for _ in range(16)]
        wait_until(lambda: len(squeue_jobs()) >= 1, 60, "jobs to be submitted")
        assert len({f.result(timeout=180) for f in futures}) >= 1
        del futures  # a worker holding results still referenced is never released
        wait_until(lambda: not squeue_jobs(), 90, "idle jobs to be released")


def test_a_cancelled_job_does_not_stop_the_workflow(run_dir):
    executor = HighThroughputExecutor(label="slurm", provider=two_single_core_jobs())
    with parsl.load(Config(executors=[executor], run_dir=run_dir)):  # retries=0
        job_of_this_worker().result(timeout=120)
        futures = [add(i, 1000, 0.25) for i in range(40)]
        time.sleep(2)
        victim = squeue_jobs()[0]
        cancelled = time.monotonic()
        subprocess.run(["scancel", victim], check=True)
        assert [f.result(timeout=300) for f in futures] == [i + 1000 for i in range(40)]
        print(f"scancel to the workflow finishing: {time.monotonic() - cancelled:.1f} s")
        assert_lost_in_job(futures, victim)
        wait_until(lambda: victim not in squeue_jobs(), 60, "the cancelled job to leave")
        assert job_of_this_worker().result(timeout=120) != victim


def test_a_users_adaptive_cluster_replaces_a_cancelled_job_at_once(run_dir):
    # the scenario: the user's own cluster object, the default retries=0
    cluster = SLURMCluster(cores=1, memory="1GB", processes=1, queue="debug", walltime="00:10:00",
                           scheduler_options={"dashboard_address": ":0"})
    cluster.adapt(minimum_jobs=2, maximum_jobs=2)
    with cluster:
        with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)):
            cluster.wait_for_workers(2, timeout=120)
            futures = [add(i, 1000, 0.3) for i in range(40)]
            time.sleep(2)
            before = squeue_jobs()
            victim = before[0]
            cancelled = time.monotonic()
            subprocess.run(["scancel", victim], check=True)
            wait_until(lambda: set(squeue_jobs()) - set(before), 10, "a replacement job (Dask waits 15 s)")
            print(f"scancel to the replacement's submission: {time.monotonic() - cancelled:.1f} s")
            assert [f.result(timeout=300) for f in futures] == [i + 1000 for i in range(40)]
            assert_lost_in_job(futures, victim)
            wait_until(lambda: len(squeue_jobs()) == 2 and victim not in squeue_jobs(), 60,
                       "two jobs again")
    wait_until(lambda: not squeue_jobs(), 30, "the cluster's jobs to end with it")


@pytest.mark.parametrize("delay", [0.0, 0.5, 1.0, 1.5])
def test_no_job_outlives_cleanup_even_one_submitted_during_it(run_dir, delay):
    executor = DaskExecutor(label="adaptive", provider="slurm", cores=1, processes=1, memory="1GB",
                            queue="debug", walltime="00:10:00", jobs=0, minimum_jobs=0, maximum_jobs=2)
    dfk = parsl.load(Config(executors=[executor], run_dir=run_dir, strategy_period=0.5))
    try:
        futures = [add(i, 1, 0.5) for i in range(8)]  # adaptive scaling submits jobs for these
        time.sleep(delay)
    finally:
        dfk.cleanup()
    assert all(f.done() for f in futures)
    wait_until(lambda: not squeue_jobs(), 30, "no job left after cleanup")


def test_job_scripts_carry_the_options_given(tmp_path):
    provider = SlurmProvider(
        partition="debug", cores_per_node=2, mem_per_node=1, walltime="00:07:00", account="physics",
        exclusive=True, constraint="fast", scheduler_options="#SBATCH --comment=dask-parsl-test",
        worker_init=f"echo initialised > {tmp_path}/worker_init.txt")
    executor = HighThroughputExecutor(label="slurm", provider=provider, max_workers_per_node=1)
    script = SLURMCluster(**executor._plan.options).job_script()
    for line in ["#SBATCH -p debug", "#SBATCH -t 00:07:00", "#SBATCH --cpus-per-task=2", "#SBATCH -A physics",
                 "#SBATCH --comment=dask-parsl-test", "#SBATCH --constraint=fast", "#SBATCH --exclusive",
                 f"echo initialised > {tmp_path}/worker_init.txt", "--nthreads 1", "#SBATCH --mem=954M"]:
        assert line in script, line


def test_a_job_no_node_can_run_fails_load_with_slurms_message(run_dir):
    provider = two_single_core_jobs(constraint="no-such-feature")
    with pytest.raises(ConfigurationError, match="Invalid feature specification"):
        parsl.load(Config(executors=[HighThroughputExecutor(provider=provider)], run_dir=run_dir))


def test_scheduler_options_reach_the_job(run_dir, tmp_path):
    provider = two_single_core_jobs(scheduler_options="#SBATCH --comment=from-dask-parsl",
                                    worker_init=f"echo ran > {tmp_path}/init.txt")
    with parsl.load(Config(executors=[HighThroughputExecutor(label="slurm", provider=provider)],
                           run_dir=run_dir)):
        job = job_of_this_worker().result(timeout=120)
        shown = subprocess.run(["scontrol", "show", "job", job], capture_output=True, text=True).stdout
        assert "Comment=from-dask-parsl" in shown
        assert (tmp_path / "init.txt").read_text() == "ran\n"


def test_an_unknown_partition_fails_load_with_slurms_message(run_dir):
    provider = SlurmProvider(partition="no-such-partition", cores_per_node=1, mem_per_node=1,
                             exclusive=False)
    started = time.monotonic()
    with pytest.raises(ConfigurationError, match="invalid partition specified: no-such-partition"):
        parsl.load(Config(executors=[HighThroughputExecutor(provider=provider)], run_dir=run_dir))
    assert time.monotonic() - started < 30
    assert squeue_jobs() == []


def test_a_rejected_adaptive_submission_fails_the_waiting_tasks(run_dir):
    provider = SlurmProvider(partition="no-such-partition", cores_per_node=1, mem_per_node=1,
                             exclusive=False, init_blocks=0, min_blocks=0, max_blocks=1)
    with parsl.load(Config(executors=[HighThroughputExecutor(provider=provider)], run_dir=run_dir)):
        started = time.monotonic()
        first = add(1, 2)
        dependent = add(first, 3)
        with pytest.raises(JobSubmissionFailed, match="invalid partition specified: no-such-partition"):
            first.result(timeout=60)
        print(f"a rejected adaptive submission failed its task in {time.monotonic() - started:.1f} s")
        with pytest.raises(DependencyError):
            dependent.result(timeout=60)
        with pytest.raises(JobSubmissionFailed):  # a later task fails as well, instead of waiting
            add(5, 6).result(timeout=60)
        assert squeue_jobs() == []


def test_a_dask_jobqueue_cluster_works_as_it_is(run_dir):
    cluster = SLURMCluster(cores=1, processes=1, memory="1GB", queue="debug", walltime="00:10:00",
                           scheduler_options={"dashboard_address": ":0"})
    cluster.scale(jobs=1)
    try:
        with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)) as dfk:
            assert add(1, 2).result(timeout=120) == 3
            # its scheduler runs here: it serves the Workflow page, which shows this run
            base = cluster.dashboard_link.rsplit("/", 1)[0]
            with urllib.request.urlopen(f"{base}/individual-plots.json", timeout=30) as response:
                assert json.load(response)["Individual Workflow"] == "/individual-workflow"
            board = cluster.scheduler.plugins["dask-parsl-workflow"].board
            wait_until(lambda: any(run.run_id == dfk.run_id and run.apps.get("add", {}).get("exec_done") == 1
                                   for run in board.runs.values()), 30, "the page to show the finished task")
    finally:
        cluster.close()


@python_app
def listening_addresses_of_this_worker():
    import os

    import psutil

    connections = psutil.Process(os.getpid()).net_connections("inet")
    return sorted({c.laddr.ip for c in connections if c.status == "LISTEN"})


def test_the_scheduler_listens_where_its_workers_reach_it_over_tls_and_the_dashboard_on_loopback(run_dir):
    with dask.config.set({"jobqueue.slurm.interface": None}):  # no interface given: the default route's
        executor = HighThroughputExecutor(label="slurm", provider=two_single_core_jobs())
        with parsl.load(Config(executors=[executor], run_dir=run_dir)):
            worker_ips = listening_addresses_of_this_worker().result(timeout=120)
            address = executor.scheduler_address
            assert address.startswith("tls://")
            with Client(address, security=security_from(f"{run_dir}/000"), timeout=10) as client:
                assert client.scheduler_info()["workers"]  # it sees the jobs' workers
            scheduler = executor.cluster.scheduler
            listening = {(c.laddr.ip, c.laddr.port) for c in psutil.Process().net_connections("inet")
                         if c.status == "LISTEN"}
    scheduler_port, dashboard_port = scheduler.port, scheduler.http_server.port
    assert {ip for ip, port in listening if port == scheduler_port} == {get_ip()}
    assert {ip for ip, port in listening if port == dashboard_port} == {"127.0.0.1"}
    assert set(worker_ips) == {get_ip(), "127.0.0.1"}  # the worker, and its dashboard


def test_a_batch_cluster_without_encryption_runs_over_tcp(run_dir):
    executor = HighThroughputExecutor(label="slurm", provider=two_single_core_jobs(), encrypted=False)
    with parsl.load(Config(executors=[executor], run_dir=run_dir)):
        assert executor.scheduler_address.startswith("tcp://")
        assert add(1, 2).result(timeout=120) == 3

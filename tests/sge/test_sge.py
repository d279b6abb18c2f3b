"""Workflows on a real single-node Grid Engine, from a Parsl config and from dask-jobqueue."""
import subprocess
import time

import dask.config
import pytest
from batch_helpers import add, job_of_this_worker, wait_until
from dask_jobqueue import SGECluster
from sge_helpers import accounting_of, queued_jobs

import dask_parsl as parsl
from dask_parsl import Config, ConfigurationError, DaskExecutor, HighThroughputExecutor
from dask_parsl.providers import GridEngineProvider
from dask_parsl.scheduler import PLUGIN_NAME

pytestmark = pytest.mark.sge


def two_jobs(**options):
    return GridEngineProvider(queue="debug", walltime="00:10:00", init_blocks=2, max_blocks=2, **options)


def test_a_workflow_runs_across_two_jobs(run_dir, tmp_path):
    provider = two_jobs(scheduler_options="#$ -N dask-parsl-test",
                        worker_init=f"echo ran > {tmp_path}/init.txt")
    started = time.monotonic()
    executor = HighThroughputExecutor(label="sge", provider=provider, max_workers_per_node=1)
    with parsl.load(Config(executors=[executor], run_dir=run_dir)):
        assert len(queued_jobs()) == 2
        first = job_of_this_worker().result(timeout=120)
        print(f"load() to the first task finished on Grid Engine: {time.monotonic() - started:.1f} s")
        jobs = {f.result(timeout=120) for f in [job_of_this_worker(0.3) for _ in range(12)]}
        assert jobs | {first} == set(queued_jobs())
        total = add(0, 0)
        for i in range(1, 21):
            total = add(total, i, 0.05)
        assert total.result(timeout=120) == 210
        shown = subprocess.run(["qstat", "-j", first], capture_output=True, text=True).stdout
        assert "dask-parsl-test" in shown  # the scheduler_options line reached the job
        assert (tmp_path / "init.txt").read_text() == "ran\n"
    wait_until(lambda: not queued_jobs(), 60, "cleanup to delete the jobs")


def test_a_deleted_job_costs_no_try_and_is_replaced_at_once(run_dir):
    executor = HighThroughputExecutor(label="sge", provider=two_jobs(), max_workers_per_node=1)
    with parsl.load(Config(executors=[executor], run_dir=run_dir)):  # retries=0
        job_of_this_worker().result(timeout=120)
        futures = [add(i, 1000, 0.25) for i in range(40)]
        time.sleep(2)
        before = queued_jobs()
        victim = before[0]
        subprocess.run(["qdel", victim], check=True, capture_output=True)
        wait_until(lambda: set(queued_jobs()) - set(before), 10, "a replacement job (Dask waits 15 s)")
        assert [f.result(timeout=300) for f in futures] == [i + 1000 for i in range(40)]
        lost = [entry for f in futures for entry in f.task_record.get("lost_tries", [])]
        assert lost and {entry["job"] for entry in lost} == {victim}
        assert all(f.task_record["fail_count"] == 0 for f in futures)
        wait_until(lambda: victim not in queued_jobs(), 60, "the deleted job to leave")
        assert job_of_this_worker().result(timeout=120) != victim


def test_an_unknown_queue_fails_load_with_grid_engines_message(run_dir):
    provider = GridEngineProvider(queue="no-such-queue", walltime="00:10:00")
    executor = HighThroughputExecutor(provider=provider, max_workers_per_node=1)
    with pytest.raises(ConfigurationError, match="unknown queue \"no-such-queue\""):
        parsl.load(Config(executors=[executor], run_dir=run_dir))
    assert queued_jobs() == []


def test_a_job_is_replaced_before_its_walltime(run_dir):
    executor = DaskExecutor(label="renewing", provider="sge", cores=1, processes=1, memory="1GB",
                            queue="debug", walltime="00:00:45", jobs=1)
    with dask.config.set({"parsl.batch.walltime-margin": "15s"}):
        with parsl.load(Config(executors=[executor], run_dir=run_dir, strategy=None)):
            held = add(20, 22)
            first_job = job_of_this_worker().result(timeout=120)
            jobs = [f.result(timeout=240) for f in [job_of_this_worker(0.5) for _ in range(80)]]
            assert first_job in jobs and len(set(jobs)) == 2
            assert add(held, 0).result(timeout=60) == 42
            assert executor.cluster.scheduler.plugins[PLUGIN_NAME].counts == {}  # no try was charged
            accounting = accounting_of(first_job)
            assert accounting["exit_status"].strip() == "0"  # it ended on its own, not killed at h_rt
            assert int(accounting["ru_wallclock"].rstrip("s ")) < 45


def test_a_dask_jobqueue_cluster_works_as_it_is(run_dir):
    cluster = SGECluster(cores=1, processes=1, memory="1GB", queue="debug", walltime="00:10:00",
                         scheduler_options={"dashboard_address": ":0"})
    cluster.scale(jobs=1)
    try:
        with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)):
            assert add(1, 2).result(timeout=120) == 3
    finally:
        cluster.close()

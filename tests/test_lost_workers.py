"""Lost workers: a try whose worker died runs again elsewhere, free of charge, however the
scheduler learns of the death; a task that kills its worker (memory, or every worker it
touches) is charged; ``parsl.worker-loss: charge`` gives Parsl's accounting."""
import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time

import dask.config
import pytest
from distributed import KilledWorker, LocalCluster, Scheduler, Worker
from test_monitoring import statuses, tasks, tries
from try_log import count_try, tries_in

import dask_parsl as parsl
from dask_parsl import Config, ConfigurationError, DaskExecutor, MonitoringHub, WorkerLost, python_app
from dask_parsl.scheduler.lost_workers import LossWitness, job_of
from dask_parsl.scheduler.plugin import WorkflowPlugin


@python_app
def kill_my_worker_once(path):
    """Dies by SIGKILL on its first try, as if the node had failed."""
    if count_try(path) == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return "second try"


@python_app
def kill_my_worker_always(path):
    count_try(path)
    os.kill(os.getpid(), signal.SIGKILL)


@python_app
def note_pid_and_sleep(path, seconds):
    """Notes its process id in ``path`` on its first try, then sleeps."""
    if count_try(path + ".tries") == 1:
        with open(path, "w") as note:
            note.write(str(os.getpid()))
    time.sleep(seconds)
    return "done"


@python_app
def grow_past_the_memory_limit(path, megabytes):
    count_try(path)
    held = []
    for _ in range(megabytes // 20):
        held.append(bytearray(20_000_000))
        time.sleep(0.01)
    return len(held)


@python_app
def square(x, seconds):
    time.sleep(seconds)
    return x * x


def wait_for_file(path, timeout=60):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path) or not open(path).read():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
    return open(path).read()


def test_a_worker_killed_mid_task_costs_no_try_on_the_embedded_default(run_dir, tmp_path):
    path = str(tmp_path / "tries")
    with parsl.load(Config(run_dir=run_dir, monitoring=MonitoringHub())) as dfk:  # retries=0
        future = kill_my_worker_once(path)
        assert future.result(timeout=120) == "second try"
        run_id, record = dfk.run_id, future.task_record
    assert tries_in(path) == 2
    assert record["fail_count"] == 0 and list(record["fail_history"]) == [] and record["fail_cost"] == 0
    assert record["try_id"] == 1
    [lost] = record["lost_tries"]  # the stream closed and the nanny called: counted once
    assert lost["try_id"] == 0 and lost["worker"].startswith("tls://127.0.0.1:")
    assert lost["job"] is None and lost["charged"] is False

    db = f"sqlite:///{os.path.join(run_dir, 'monitoring.db')}"
    task_id = future.tid
    assert tasks(db, run_id)[task_id]["task_fail_count"] == 0
    rows = tries(db, run_id)
    assert "WorkerLost" in rows[task_id, 0]["task_fail_history"]
    assert rows[task_id, 1]["task_fail_history"] == ""
    states = statuses(db, run_id)[task_id]
    assert [state for try_id, state in states if try_id == 0][-1] == "fail_retryable"
    assert [state for try_id, state in states if try_id == 1][-1] == "exec_done"


def test_random_kills_of_worker_processes_leave_every_result_correct(run_dir):
    with parsl.load(Config(run_dir=run_dir)) as dfk:
        cluster = dfk.executors["dask"].cluster
        futures = [square(i, 0.05) for i in range(300)]
        kills, pause = 0, random.Random(4)
        for _ in range(4):
            time.sleep(pause.uniform(0.5, 1.5))
            pids = [nanny.process.process.pid for nanny in cluster.workers.values()
                    if nanny.process is not None and nanny.process.process is not None]
            if pids:
                os.kill(pids[kills % len(pids)], signal.SIGKILL)
                kills += 1
        assert [f.result(timeout=300) for f in futures] == [i * i for i in range(300)]
        lost = [entry for f in futures for entry in f.task_record.get("lost_tries", [])]
    print(f"{kills} worker processes killed, {len(lost)} tries lost and run again")
    assert kills == 4 and 1 <= len(lost)
    assert all(f.task_record["fail_count"] == 0 for f in futures)
    assert all(not entry["charged"] for entry in lost)


@pytest.fixture
def scheduler_only():
    """A LocalCluster with no worker (its scheduler here); workers join as processes of their own."""
    with dask.config.set({"distributed.scheduler.worker-ttl": "2s"}):
        with LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=":0") as cluster:
            yield cluster


def start_worker(address, *options):
    return subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
         "--host", "127.0.0.1", "--no-dashboard", *options],
        env=dict(os.environ, PYTHONPATH=os.path.dirname(__file__)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("how", ["stream closed", "heartbeat missed"])
def test_each_way_a_worker_is_removed_counts_once(scheduler_only, run_dir, tmp_path, how):
    address = scheduler_only.scheduler_address
    first = start_worker(address, "--no-nanny")  # nothing tells the scheduler but the worker itself
    second = None
    try:
        with parsl.load(Config(executors=[DaskExecutor(cluster=scheduler_only)], run_dir=run_dir)):
            note = str(tmp_path / "pid")
            future = note_pid_and_sleep(note, 3)
            pid = int(wait_for_file(note))
            assert pid == first.pid
            if how == "stream closed":
                first.kill()
            else:  # alive, but silent: the scheduler drops it after distributed.scheduler.worker-ttl
                first.send_signal(signal.SIGSTOP)
            second = start_worker(address)
            assert future.result(timeout=120) == "done"
            [lost] = future.task_record["lost_tries"]
            assert future.task_record["fail_count"] == 0 and future.task_record["try_id"] == 1
    finally:
        for process in (first, second):
            if process is not None:
                process.kill()
                process.wait(30)


@pytest.fixture
def small_workers():
    with LocalCluster(n_workers=1, threads_per_worker=1, memory_limit="500MB", host="127.0.0.1",
                      dashboard_address=":0") as cluster:
        yield cluster


def test_a_task_past_its_workers_memory_limit_costs_a_try(small_workers, run_dir, tmp_path):
    path = str(tmp_path / "tries")
    with parsl.load(Config(executors=[DaskExecutor(cluster=small_workers)], run_dir=run_dir)):
        future = grow_past_the_memory_limit(path, 2000)
        error = future.exception(timeout=120)
        after = square(3, 0).result(timeout=120)  # the nanny's new worker runs the next task
    assert isinstance(error, WorkerLost), repr(error)
    assert "memory limit" in str(error) and future.task_record["func_name"] in str(error)
    assert tries_in(path) == 1  # retries=0: not rescheduled
    assert future.task_record["fail_count"] == 1
    [lost] = future.task_record["lost_tries"]
    assert lost["charged"] and "memory" in lost["cause"]
    assert after == 9


def test_a_task_that_kills_every_worker_fails_after_dasks_allowed_failures(cluster, run_dir, tmp_path):
    path = str(tmp_path / "tries")
    with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)):
        future = kill_my_worker_always(path)
        error = future.exception(timeout=180)
    allowed = dask.config.get("distributed.scheduler.allowed-failures")
    assert isinstance(error, WorkerLost) and isinstance(error.__cause__, KilledWorker)
    assert tries_in(path) == allowed + 1
    assert len(error.workers) == allowed + 1 and len(set(error.workers)) == allowed + 1
    assert str(future.task_record["id"]) in str(error) and "allowed-failures" in str(error)
    assert future.task_record["fail_count"] == 1  # the final failure; the losses are lost tries
    assert len(future.task_record["lost_tries"]) == allowed + 1


def test_charging_lost_workers_as_parsl_does(cluster, run_dir, tmp_path):
    path = str(tmp_path / "tries")
    seen = []

    def handler(error, task_record):
        seen.append((type(error).__name__, threading.current_thread().name, task_record["try_id"]))
        return 1

    with dask.config.set({"parsl.worker-loss": "charge"}):
        config = Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir, retries=1,
                        retry_handler=handler)
        with parsl.load(config):
            future = kill_my_worker_once(path)
            assert future.result(timeout=120) == "second try"
    record = future.task_record
    assert [name for name, _, _ in seen] == ["WorkerLost"]
    assert record["fail_count"] == 1 and "WorkerLost" in record["fail_history"][0]
    assert record["try_id"] == 1 and record["lost_tries"][0]["charged"]


def test_charging_lost_workers_without_retries_fails_at_the_first_loss(cluster, run_dir, tmp_path):
    path = str(tmp_path / "tries")
    with dask.config.set({"parsl.worker-loss": "charge"}):
        with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)):
            error = kill_my_worker_once(path).exception(timeout=120)
    assert isinstance(error, WorkerLost) and tries_in(path) == 1


def test_an_unknown_worker_loss_setting_is_refused(run_dir, cluster):
    with dask.config.set({"parsl.worker-loss": "sometimes"}):
        with pytest.raises(ConfigurationError, match="parsl.worker-loss is 'sometimes'.*'charge'"):
            parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir))


def test_a_worker_is_known_by_its_batch_job_before_its_first_heartbeat(monkeypatch):
    """A worker killed before it ever sent a heartbeat still names its job in WorkerLost."""
    monkeypatch.setenv("SLURM_JOB_ID", "4242")

    async def job_seen_by_the_scheduler():
        async with Scheduler(dashboard_address=":0") as scheduler:
            plugin = WorkflowPlugin()
            scheduler.add_plugin(plugin)
            await plugin.start(scheduler)
            async with Worker(scheduler.address, heartbeat_interval="1h") as worker:
                await worker.plugin_add(LossWitness())
                for _ in range(100):
                    job = job_of(scheduler.workers[worker.address])
                    if job is not None:
                        return job
                    await asyncio.sleep(0.05)
        return None

    assert asyncio.run(job_seen_by_the_scheduler()) == "4242"

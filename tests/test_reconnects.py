"""The client's connection to a remote scheduler drops: reconnected in time, the tasks
finish, each run once; a scheduler that dies fails the unfinished tasks with
``ExecutorLost`` within ``parsl.reconnect-timeout``, and the rerun resumes from the
checkpoints."""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from checkpoint_files import written_entries
from distributed import Client
from network import CuttableProxy
from servers import free_port, wait_for_port

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, python_app

HERE = os.path.dirname(__file__)
WORKFLOW = os.path.join(HERE, "reconnect_workflow.py")


def start_scheduler(port):
    process = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                "--port", str(port), "--no-dashboard"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, process)
    return process


def start_worker(port):
    return subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", f"tcp://127.0.0.1:{port}",
                             "--nthreads", "2", "--no-dashboard"], env=dict(os.environ, PYTHONPATH=HERE),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(*processes):
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def remote_scheduler():
    """The port of a scheduler and a worker of two threads, each in a process of its own."""
    port = free_port()
    scheduler = start_scheduler(port)
    worker = start_worker(port)
    try:
        yield port
    finally:
        stop(worker, scheduler)


def ran(log):
    with open(log) as file:
        return file.read().split()


@python_app
def slow_square(x, log, seconds=2.0):
    import time

    with open(log, "a") as file:
        file.write(f"{x}\n")
    time.sleep(seconds)
    return x * x


@python_app
def plus_one(x):
    return x + 1


@python_app
def zeros(n):
    return bytes(n)


def test_tasks_finish_once_when_the_connection_drops_and_comes_back(remote_scheduler, run_dir, tmp_path):
    proxy = CuttableProxy(("127.0.0.1", remote_scheduler))
    log, read = str(tmp_path / "ran.log"), []
    with parsl.load(Config(executors=[DaskExecutor(cluster=proxy.address)], run_dir=run_dir)):
        early = slow_square(1, log, seconds=0)  # its result comes back with its completion
        large = zeros(1_000_000)  # its result stays on the worker until read
        while not (early.done() and large.done()):
            time.sleep(0.05)
        slow = [slow_square(x, log) for x in (2, 3, 4, 5)]
        time.sleep(0.5)
        proxy.swallow()
        swallowed = plus_one(20)  # its graph never reaches the scheduler
        time.sleep(0.3)
        proxy.cut()  # while two of them run
        during = plus_one(10)
        read_during = threading.Thread(target=lambda: read.append(len(large.result(timeout=60))))
        read_during.start()  # a finished result, read while the connection is down
        time.sleep(2.5)  # the two finish meanwhile
        proxy.restore()
        assert during.result(timeout=60) == 11  # reconnected
        after = [plus_one(future) for future in [early, *slow]]  # from the workers that hold them
        assert [future.result(timeout=60) for future in slow] == [4, 9, 16, 25]
        assert [future.result(timeout=60) for future in after] == [2, 5, 10, 17, 26]
        assert swallowed.result(timeout=60) == 21
        read_during.join(60)
        assert read == [1_000_000]
    assert sorted(ran(log)) == ["1", "2", "3", "4", "5"], "a task ran twice"
    with Client(f"tcp://127.0.0.1:{remote_scheduler}") as client:  # a kernel that closed is not held
        clients = client.run_on_scheduler(lambda dask_scheduler: set(dask_scheduler.clients))
        assert clients == {"fire-and-forget", client.id}


def run_workflow(port, run_dir, log, timeout="3s"):
    env = dict(os.environ, DASK_PARSL__RECONNECT_TIMEOUT=timeout)
    return subprocess.Popen([sys.executable, WORKFLOW, f"tcp://127.0.0.1:{port}", run_dir, log],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_dead_scheduler_fails_the_tasks_within_the_timeout_and_the_rerun_resumes(tmp_path):
    port = free_port()
    run_dir, log = str(tmp_path / "runinfo"), str(tmp_path / "ran.log")
    checkpoint_dir = os.path.join(run_dir, "000", "checkpoint")
    scheduler, worker = start_scheduler(port), start_worker(port)
    try:
        first = run_workflow(port, run_dir, log)
        deadline = time.monotonic() + 120
        while len(written_entries(checkpoint_dir, "segments")) < 5:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the workflow made no progress"
            time.sleep(0.05)
        scheduler.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        out, err = first.communicate(timeout=60)
        ended_after = time.monotonic() - killed
    finally:
        stop(first, worker, scheduler)
    assert first.returncode == 1, err
    assert "ExecutorLost: Task" in out, err
    assert "lost the connection to the scheduler of executor 'dask'" in out
    assert ended_after < 3 + 10, f"the tasks failed {ended_after:.0f} s after the scheduler died"
    checkpointed = len(written_entries(checkpoint_dir, "segments"))
    runs_before = ran(log)

    scheduler, worker = start_scheduler(port), start_worker(port)
    try:
        second = run_workflow(port, run_dir, log)
        out, err = second.communicate(timeout=120)
    finally:
        stop(second, worker, scheduler)
    assert second.returncode == 0, err
    assert out.split() == ["done", str(sum(x * x for x in range(20)))]
    rerun = ran(log)[len(runs_before):]
    assert len(rerun) <= 20 - checkpointed, "a checkpointed task ran again"
    assert sorted(set(runs_before + rerun), key=int) == [str(x) for x in range(20)]


@python_app
def fails_first(marker, seconds=1.0):
    import os
    import time

    time.sleep(seconds)
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("the first try fails")
    return "second try"


def test_a_retry_decision_asked_while_the_connection_is_down_is_answered_after(remote_scheduler, run_dir,
                                                                               tmp_path):
    proxy = CuttableProxy(("127.0.0.1", remote_scheduler))
    asked = []

    def retry_handler(error, task_record):
        asked.append(repr(error))
        return 1

    config = Config(executors=[DaskExecutor(cluster=proxy.address)], run_dir=run_dir, retries=2,
                    retry_handler=retry_handler)
    with parsl.load(config):
        future = fails_first(str(tmp_path / "marker"))
        time.sleep(0.5)
        proxy.cut()  # the first try fails meanwhile: the scheduler asks this process, which is away
        time.sleep(1.5)
        proxy.restore()
        assert future.result(timeout=60) == "second try"
        assert asked == ["RuntimeError('the first try fails')"]
        assert future.task_record["fail_count"] == 1

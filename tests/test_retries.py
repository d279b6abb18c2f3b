"""Retries decided on the scheduler by WorkflowPlugin, with Parsl's cost semantics."""
import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import distributed
import pytest
from distributed import LocalCluster
from try_log import Flaky, count_try, tries_in

import dask_parsl as parsl
from dask_parsl import Config, ConfigurationError, DaskExecutor, DependencyError, join_app, python_app
from dask_parsl.scheduler import PLUGIN_NAME
from dask_parsl.scheduler.worker_streams import WorkerStreams


@python_app
def fails_then_succeeds(path, failures):
    tries = count_try(path)
    if tries <= failures:
        raise Flaky(f"try {tries}")
    return tries


def plugin_counts(dfk):
    client = dfk.executors["dask"].client

    def counts(dask_scheduler):
        return {app: dict(c) for app, c in dask_scheduler.plugins[PLUGIN_NAME].counts.items()}

    return client.run_on_scheduler(counts)


def test_failed_tries_are_retried_and_the_future_finishes_once(load_dfk, tmp_path):
    dfk = load_dfk(retries=2)
    retried_before = plugin_counts(dfk).get("fails_then_succeeds", {}).get("retried", 0)  # shared cluster
    path = str(tmp_path / "tries")
    finished = []
    future = fails_then_succeeds(path, 2)
    future.add_done_callback(finished.append)
    assert future.result(timeout=60) == 3
    record = future.task_record
    assert record["fail_count"] == 2
    assert record["fail_cost"] == 2.0
    assert record["try_id"] == 2
    assert record["fail_history"] == ["Flaky('try 1')", "Flaky('try 2')"]
    assert future.task_status() == "exec_done"
    assert finished == [future]
    assert plugin_counts(dfk)["fails_then_succeeds"]["retried"] == retried_before + 2


def test_budget_spent_fails_with_the_original_exception(load_dfk, tmp_path):
    load_dfk(retries=2)
    path = str(tmp_path / "tries")
    future = fails_then_succeeds(path, 100)
    with pytest.raises(Flaky, match="try 3"):
        future.result(timeout=60)
    assert tries_in(path) == 3
    assert future.task_record["fail_count"] == 3
    assert future.task_record["fail_cost"] == 3.0
    assert future.task_status() == "failed"


def test_no_retries_by_default(dfk, tmp_path):
    path = str(tmp_path / "tries")
    with pytest.raises(Flaky):
        fails_then_succeeds(path, 1).result(timeout=60)
    assert tries_in(path) == 1


def half_cost(error, task_record):
    return 0.5


def test_retry_handler_cost_sets_the_number_of_tries(load_dfk, tmp_path):
    load_dfk(retries=2, retry_handler=half_cost)
    path = str(tmp_path / "tries")
    with pytest.raises(Flaky, match="try 5"):
        fails_then_succeeds(path, 100).result(timeout=60)
    assert tries_in(path) == 5  # costs 0.5 .. 2.0 are within the budget of 2


def free_for_flaky_only(error, task_record):
    assert task_record["fail_count"] >= 1 and task_record["func_name"] == "fails_then_succeeds"
    return 0 if isinstance(error, Flaky) and task_record["fail_count"] < 4 else 100


def test_retry_handler_sees_the_exception_and_the_task_record(load_dfk, tmp_path):
    load_dfk(retries=0, retry_handler=free_for_flaky_only)
    path = str(tmp_path / "tries")
    assert fails_then_succeeds(path, 3).result(timeout=60) == 4


def test_retry_handler_runs_in_the_kernel_on_the_full_record(load_dfk, tmp_path):
    seen = []

    def handler(error, task_record):  # a closure over this test's list: it must run here
        seen.append((os.getpid(), type(error), task_record["args"], task_record["kwargs"],
                     task_record["fail_count"], task_record["executor"], task_record["status"].name))
        return 1

    load_dfk(retries=1, retry_handler=handler)
    path = str(tmp_path / "tries")
    future = fails_then_succeeds(path, 1)
    assert future.result(timeout=60) == 2
    assert seen == [(os.getpid(), Flaky, (path, 1), {}, 1, "dask", "launched")]
    assert future.task_record["fail_history"] == ["Flaky('try 1')"]


def test_a_slow_retry_handler_never_stalls_the_scheduler(load_dfk, tmp_path):
    judge = threading.Event()

    def slow_handler(error, task_record):
        judge.wait(60)
        return 1

    dfk = load_dfk(retries=1, retry_handler=slow_handler)
    path = str(tmp_path / "tries")
    held = fails_then_succeeds(path, 1)
    deadline = time.monotonic() + 60
    while tries_in(path) < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    others = [fails_then_succeeds(str(tmp_path / f"other{i}"), 0) for i in range(10)]
    assert [f.result(timeout=60) for f in others] == [1] * 10
    assert dfk.executors["dask"].client.run_on_scheduler(lambda: "answering") == "answering"
    assert not held.done()
    judge.set()
    assert held.result(timeout=60) == 2
    assert held.task_record["fail_count"] == 1 and held.task_record["try_id"] == 1


class HandlerBroke(Exception):
    pass


def broken_handler(error, task_record):
    raise HandlerBroke(f"cannot judge {error!r}")


def test_a_raising_handler_fails_the_task_with_its_exception(load_dfk, tmp_path):
    load_dfk(retries=5, retry_handler=broken_handler)
    path = str(tmp_path / "tries")
    with pytest.raises(HandlerBroke, match="cannot judge Flaky"):
        fails_then_succeeds(path, 100).result(timeout=60)
    assert tries_in(path) == 1


def test_dependency_errors_are_never_retried(load_dfk, tmp_path):
    load_dfk(retries=3)

    @python_app
    def child(value, path):
        count_try(path)
        return value

    parent = fails_then_succeeds(str(tmp_path / "parent"), 100)
    dependent = child(parent, str(tmp_path / "child"))
    with pytest.raises(DependencyError):
        dependent.result(timeout=60)
    assert tries_in(str(tmp_path / "parent")) == 4
    assert tries_in(str(tmp_path / "child")) == 0
    assert dependent.task_record["fail_count"] == 1


def test_per_app_retries_override_the_config(load_dfk, tmp_path):
    load_dfk(retries=0)
    patient = python_app(fails_then_succeeds.func, retries=3)
    assert patient(str(tmp_path / "tries"), 3).result(timeout=60) == 4
    with pytest.raises(ValueError, match="retries must be a whole number"):
        python_app(lambda: None, retries=-1)


def test_join_app_bodies_are_retried(load_dfk, tmp_path):
    load_dfk(retries=1)
    path = str(tmp_path / "tries")

    @python_app
    def one():
        return 1

    @join_app
    def flaky_join():
        if count_try(path) == 1:
            raise Flaky("join body")
        return one()

    future = flaky_join()
    assert future.result(timeout=60) == 1
    assert future.task_record["fail_count"] == 1
    assert future.task_record["try_id"] == 1


@pytest.fixture
def killable_cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster:
        yield cluster


@python_app
def fails_first_where_noted(path, where):
    """Fails its first try, noting the worker it ran on; later tries take a while."""
    if count_try(path) == 1:
        with open(where, "w") as note:
            note.write(distributed.get_worker().address)
        raise Flaky("first try")
    time.sleep(5)
    return "too late"


def test_a_handler_saying_no_fails_the_task_even_after_its_worker_died(killable_cluster, run_dir, tmp_path):
    path, where = str(tmp_path / "tries"), str(tmp_path / "worker")
    asked, worker_gone = threading.Event(), threading.Event()

    def refuse_once_the_worker_is_gone(error, task_record):
        asked.set()  # the scheduler holds the failed try now
        worker_gone.wait(60)
        return 100

    config = Config(executors=[DaskExecutor(cluster=killable_cluster)], retries=1,
                    retry_handler=refuse_once_the_worker_is_gone, run_dir=run_dir)
    with parsl.load(config) as dfk:
        future = fails_first_where_noted(path, where)
        client = dfk.executors["dask"].client
        assert asked.wait(60)
        address = open(where).read()
        deadline = time.monotonic() + 60
        try:  # the held try's worker dies: the scheduler runs the task elsewhere meanwhile
            client.run(os._exit, 1, workers=[address])
        except Exception:
            pass
        while address in client.scheduler_info()["workers"]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        worker_gone.set()
        with pytest.raises(Flaky, match="first try"):
            future.result(timeout=60)
        assert future.task_record["fail_count"] == 1


def test_plugin_is_registered_once_per_scheduler(cluster, run_dir):
    first = parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir))
    second = parsl.DataFlowKernel(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir))
    try:
        names = first.executors["dask"].client.run_on_scheduler(
            lambda dask_scheduler: [name for name in dask_scheduler.plugins if "parsl" in name])
        assert sorted(names) == sorted([PLUGIN_NAME, WorkerStreams.name])
    finally:
        second.cleanup()
        first.cleanup()


BLOCK_DASK_PARSL = textwrap.dedent("""
    import sys

    class NoDaskParsl:
        def find_spec(self, name, path=None, target=None):
            if name == "dask_parsl" or name.startswith("dask_parsl."):
                raise ImportError("dask_parsl is not installed here")

    sys.meta_path.insert(0, NoDaskParsl())
""")


def start_scheduler(tmp_path, env=None):
    """A dask scheduler in its own process; returns (process, address)."""
    scheduler_file = tmp_path / "scheduler.json"
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() or not scheduler_file.read_text().strip():
        assert time.monotonic() < deadline, "the scheduler did not start"
        time.sleep(0.1)
    time.sleep(0.2)  # written before it is complete
    return scheduler, json.loads(scheduler_file.read_text())["address"]


def stop(*processes):
    for process in processes:
        process.kill()
        process.wait()


def test_retries_with_a_scheduler_in_another_process(tmp_path, run_dir):
    # the scheduler unpickles task graphs: it needs this test module too
    env = dict(os.environ, PYTHONPATH=os.path.dirname(__file__))
    scheduler, address = start_scheduler(tmp_path, env)
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
         "--host", "127.0.0.1", "--no-dashboard"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with parsl.load(Config(executors=[DaskExecutor(cluster=address)], retries=2, run_dir=run_dir)):
            future = fails_then_succeeds(str(tmp_path / "tries"), 2)
            assert future.result(timeout=120) == 3
            assert future.task_record["fail_count"] == 2
    finally:
        stop(worker, scheduler)


def test_a_scheduler_without_dask_parsl_fails_load_clearly(tmp_path, run_dir):
    (tmp_path / "sitecustomize.py").write_text(BLOCK_DASK_PARSL)
    scheduler, address = start_scheduler(tmp_path, env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    try:
        started = time.monotonic()
        with pytest.raises(ConfigurationError, match="needs dask_parsl installed"):
            parsl.load(Config(executors=[DaskExecutor(cluster=address)], run_dir=run_dir))
        assert time.monotonic() - started < 30
    finally:
        stop(scheduler)

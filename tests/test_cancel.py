"""``AppFuture.cancel()``: the task ends, what runs it stops, its dependents fail."""
import concurrent.futures
import time

import pytest

import dask_parsl as parsl
from dask_parsl import (
    Config,
    DaskExecutor,
    DependencyError,
    States,
    TaskCancelled,
    ThreadPoolExecutor,
    python_app,
)


@python_app
def wait_for(gate, x=0):
    import os
    import time

    while not os.path.exists(gate):
        time.sleep(0.05)
    return x


@python_app
def leave_mark(path, *dependencies):
    with open(path, "w") as file:
        file.write("ran")
    return path


@python_app
def plus_one(x):
    return x + 1


@python_app(executors=["threads"])
def in_a_thread(gate):
    import os
    import time

    while not os.path.exists(gate):
        time.sleep(0.05)
    return 1


@python_app(executors=["threads"])
def mark_in_a_thread(path):
    with open(path, "w") as file:
        file.write("ran")


def until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_cancelling_a_running_task_stops_it_and_fails_its_dependents(dfk, tmp_path):
    gate = str(tmp_path / "gate")
    running = wait_for(gate, 1)
    dependent = plus_one(running)
    until(lambda: running._remote is not None and running._remote.status == "pending")
    key = running._remote.key
    assert running.cancel() is True
    assert running.cancelled() and running.done()
    with pytest.raises(concurrent.futures.CancelledError):  # what a concurrent future raises
        running.result(timeout=10)
    with pytest.raises(TaskCancelled, match="was cancelled"):
        running.result(timeout=10)
    with pytest.raises(DependencyError):
        dependent.result(timeout=60)
    client = dfk.executors["dask"].client
    until(lambda: not client.run_on_scheduler(lambda dask_scheduler: key in dask_scheduler.tasks))
    counts = dfk.task_state_counts
    assert (counts[States.failed], counts[States.dep_fail], counts[States.launched]) == (1, 1, 0)
    assert running.task_record["fail_count"] == 0  # not a failed try
    open(gate, "w").close()


@python_app(cache=True)
def cached_wait_for(gate, x):
    import os
    import time

    while not os.path.exists(gate):
        time.sleep(0.05)
    return x


def running_on_the_scheduler(dfk, app):
    """How many tasks of ``app`` the scheduler counts on a worker for this kernel."""
    run_id = dfk.run_id

    def running(dask_scheduler):
        runs = dask_scheduler.plugins["dask-parsl-workflow"].board.runs.values()
        return next((run.running.get(app, 0) for run in runs if run.run_id == run_id), 0)

    return dfk.executors["dask"].client.run_on_scheduler(running)


def test_a_cancelled_task_with_dependencies_fails_its_dependents_and_leaves_no_count(dfk, tmp_path, caplog):
    gate = str(tmp_path / "gate")
    first = plus_one(1)
    running = wait_for(gate, first)
    dependent = plus_one(running)
    until(lambda: running_on_the_scheduler(dfk, "wait_for") == 1)
    assert running.cancel() is True
    with pytest.raises(DependencyError):
        dependent.result(timeout=60)
    until(lambda: running_on_the_scheduler(dfk, "wait_for") == 0)
    assert first.result() == 2
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text
    open(gate, "w").close()


def test_an_identical_cached_call_runs_again_after_a_cancel(dfk, tmp_path):
    gate = str(tmp_path / "gate")
    first = cached_wait_for(gate, 7)
    same = cached_wait_for(gate, 7)  # shares the first call while it runs
    assert first.cancel() is True
    again = cached_wait_for(gate, 7)
    open(gate, "w").close()
    assert same.result(timeout=60) == again.result(timeout=60) == 7
    assert not isinstance(same.exception(), TaskCancelled)
    assert first.cancelled()


def test_a_call_cancelled_at_once_is_cancelled_on_the_scheduler_too(dfk, tmp_path):
    gate = str(tmp_path / "gate")
    queued = wait_for(gate, 1)  # still in the submit batch, or just sent
    dependent = plus_one(queued)
    assert queued.cancel() is True
    with pytest.raises(DependencyError):
        dependent.result(timeout=60)
    client = dfk.executors["dask"].client
    until(lambda: queued._key is not None and not client.run_on_scheduler(
        lambda dask_scheduler, key=queued._key: key in dask_scheduler.tasks))
    open(gate, "w").close()


def test_cancelling_a_finished_task_changes_nothing(dfk):
    future = plus_one(1)
    assert future.result(timeout=60) == 2
    assert future.cancel() is False
    assert not future.cancelled() and future.result() == 2


def test_a_task_cancelled_while_it_waits_for_its_dependencies_never_runs(run_dir, cluster, tmp_path):
    gate, mark = str(tmp_path / "gate"), tmp_path / "mark"
    config = Config(executors=[ThreadPoolExecutor(label="threads"), DaskExecutor(cluster=cluster)],
                    run_dir=run_dir)
    with parsl.load(config) as dfk:
        first = in_a_thread(gate)
        waiting = leave_mark(str(mark), first)  # pending: its dependency runs in a thread
        after_it = plus_one(waiting)
        assert waiting.task_record["status"] == States.pending
        assert waiting.cancel() is True
        with pytest.raises(DependencyError):
            after_it.result(timeout=60)
        open(gate, "w").close()
        assert first.result(timeout=60) == 1
        dfk.wait_for_current_tasks()
        time.sleep(0.5)
        assert not mark.exists()
        assert isinstance(waiting.exception(), TaskCancelled)


def test_cancelling_a_queued_thread_task_keeps_it_from_running(run_dir, tmp_path):
    gate, mark = str(tmp_path / "gate"), tmp_path / "mark"
    with parsl.load(Config(executors=[ThreadPoolExecutor(label="threads", max_threads=1)], run_dir=run_dir)):
        busy = in_a_thread(gate)
        queued = mark_in_a_thread(str(mark))
        until(lambda: queued._remote is not None)
        assert queued.cancel() is True
        open(gate, "w").close()
        assert busy.result(timeout=60) == 1
        time.sleep(0.5)
        assert not mark.exists() and queued.cancelled()

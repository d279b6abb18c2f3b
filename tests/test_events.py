"""The task event stream: what a monitoring or dashboard subscriber sees, and the
per-app counts WorkflowPlugin keeps from the scheduler's side and the kernel's."""
import time

import pytest
from simple_apps import Boom, boom, double, fails_once

from dask_parsl import DependencyError, python_app
from dask_parsl.scheduler import PLUGIN_NAME


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def states_of(events, tid):
    return [(event.state, event.try_id) for event in events if event.task_id == tid]


def test_a_subscriber_sees_each_state_of_a_task_in_order_with_its_worker(dfk):
    events = []
    dfk.events.subscribe(events.extend)
    future = double(21)
    assert future.result(timeout=60) == 42
    wait_for(lambda: ("exec_done", 0) in states_of(events, future.tid))
    assert states_of(events, future.tid) == [
        ("pending", 0), ("launched", 0), ("running", 0), ("running_ended", 0), ("exec_done", 0)]
    running, ended = [event for event in events if event.state.startswith("running")]
    workers = dfk.executors["dask"].client.scheduler_info()["workers"]
    assert running.info["worker"] in workers
    assert running.time <= ended.time
    assert {event.app for event in events} == {"double"}


def test_every_try_of_a_retried_task_is_an_event(load_dfk, tmp_path):
    dfk = load_dfk(retries=2)
    events = []
    dfk.events.subscribe(events.extend)
    marker = tmp_path / "failed-once"

    future = fails_once(str(marker))
    assert future.result(timeout=60) == "second try"
    wait_for(lambda: ("exec_done", 1) in states_of(events, future.tid))
    assert states_of(events, future.tid) == [
        ("pending", 0), ("launched", 0), ("running", 0), ("running_ended", 0), ("fail_retryable", 0),
        ("pending", 1), ("launched", 1), ("running", 1), ("running_ended", 1), ("exec_done", 1)]
    retried = next(event for event in events if event.state == "fail_retryable")
    assert "first try" in retried.info["error"] and retried.info["worker"]


def test_a_failed_task_ends_with_one_failed_event_naming_the_error(dfk):
    events = []
    dfk.events.subscribe(events.extend)
    future = boom()
    with pytest.raises(Boom):
        future.result(timeout=60)
    wait_for(lambda: ("failed", 0) in states_of(events, future.tid))
    assert states_of(events, future.tid) == [
        ("pending", 0), ("launched", 0), ("running", 0), ("running_ended", 0), ("failed", 0)]
    assert "Boom('no')" in events[-1].info["error"]


def test_no_runtime_events_are_asked_for_without_a_subscriber(dfk):
    future = double(1)
    future.result(timeout=60)

    def subscribers(dask_scheduler):
        return len(dask_scheduler.plugins[PLUGIN_NAME]._subscribers)

    assert dfk.executors["dask"].client.run_on_scheduler(subscribers) == 0


@python_app(cache=True)
def counted_square(x):
    return x * x


@python_app
def counted_boom():
    raise Boom("no")


@python_app
def counted_double(x):
    return 2 * x


def test_the_scheduler_has_the_kernels_counts_by_app_including_tasks_it_never_saw(dfk):
    # the session's cluster is shared: these apps run in this test only
    first, again = counted_square(3), counted_square(3)  # the second is a hit on the client
    failed = counted_boom()
    dependent = counted_double(failed)
    assert first.result(timeout=60) == again.result(timeout=60) == 9
    with pytest.raises(DependencyError):
        dependent.result(timeout=60)
    client = dfk.executors["dask"].client

    run_id = dfk.run_id

    def counts(dask_scheduler):  # what the Workflow page shows
        runs = dask_scheduler.plugins[PLUGIN_NAME].board.runs.values()
        return next((run.apps for run in runs if run.run_id == run_id), {})

    wait_for(lambda: client.run_on_scheduler(counts).get("counted_double"))
    seen = client.run_on_scheduler(counts)
    assert seen["counted_square"] == {"exec_done": 1, "memo_done": 1}
    assert seen["counted_boom"] == {"failed": 1}
    assert seen["counted_double"] == {"dep_fail": 1}

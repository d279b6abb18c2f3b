"""What Parsl code reads of the kernel's tasks: records with Parsl's keys, task_state_counts,
and one log record per state change and per dependency with Parsl's ``extra`` keys."""
import concurrent.futures
import datetime
import gc
import logging
import os
import time
import weakref

import pytest
from simple_apps import boom, double, fails_once

from dask_parsl import DependencyError, States, python_app


@python_app
def nap(seconds):
    time.sleep(seconds)
    return seconds


@python_app
def name_of(x=None, inputs=()):
    return type(x if inputs == () else inputs).__name__


@python_app(cache=True)
def cached_square(x):
    return x * x


#: the keys of Parsl's TaskRecord, but for its locks and its unused ``checkpoint``
PARSL_KEYS = ("dfk", "func_name", "status", "depends", "app_fu", "exec_fu", "executor", "fail_count",
              "fail_cost", "fail_history", "hashsum", "func", "args", "kwargs", "time_invoked",
              "time_returned", "try_time_launched", "try_time_returned", "memoize", "ignore_for_cache",
              "from_memo", "id", "try_id", "resource_specification", "join", "joins")


def test_a_record_has_parsl_keys_while_the_task_runs_and_after(dfk):
    future = nap(0.5)
    record = dfk.tasks[future.tid]
    assert set(PARSL_KEYS) <= set(record)
    assert record["dfk"] is dfk and record["app_fu"] is future and record["func_name"] == "nap"
    assert record["args"] == (0.5,) and record["kwargs"] == {}
    assert record["resource_specification"] == {} and record["join"] is False and record["joins"] is None
    assert isinstance(record["time_invoked"], datetime.datetime) and record["time_returned"] is None
    assert record["memoize"] is False and record["executor"] == "dask"
    assert future.result(timeout=60) == 0.5
    assert record["status"] == States.exec_done
    assert record["exec_fu"].result() == 0.5  # (a tiny result is held here only: not a Dask future)
    assert record["time_invoked"] <= record["try_time_launched"] <= record["try_time_returned"]
    assert record["try_time_returned"] == record["time_returned"]
    assert dict(record)["id"] == future.tid
    record["note"] = "kept"  # other keys may be set, as on Parsl's dict
    assert record["note"] == "kept" and "note" in record and record.get("missing") is None


def test_task_state_counts_has_every_state_and_counts_how_tasks_ended(load_dfk, tmp_path):
    dfk = load_dfk(retries=1)
    assert dfk.task_state_counts == {state: 0 for state in States}
    sleeper = nap(2)
    assert dfk.task_state_counts[States.launched] == 1
    done = [double(i) for i in range(3)]
    failed = boom()
    dependent = double(failed)
    first, hit = cached_square(4), cached_square(4)
    retried = fails_once(str(tmp_path / "marker"))
    dfk.wait_for_current_tasks()
    assert [f.result() for f in done] == [0, 2, 4] and first.result() == hit.result() == 16
    assert retried.result() == "second try" and sleeper.result() == 2
    assert isinstance(dependent.exception(), DependencyError)
    counts = dfk.task_state_counts
    assert counts == {**{state: 0 for state in States}, States.exec_done: 6, States.failed: 1,
                      States.dep_fail: 1, States.memo_done: 1}


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def dask_parsl_records():
    handler = Collect()
    logger = logging.getLogger("dask_parsl")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def test_each_state_change_and_dependency_is_one_record_with_parsl_extra_keys(load_dfk, tmp_path,
                                                                               dask_parsl_records):
    dfk = load_dfk(retries=1)
    parent = double(1)
    outside = concurrent.futures.Future()
    child = double(parent)
    waiting = double(outside)
    retried = fails_once(str(tmp_path / "marker"))
    outside.set_result(5)
    assert (child.result(timeout=60), waiting.result(timeout=60)) == (4, 10)
    assert retried.result(timeout=60) == "second try"

    def states(tid):
        return [r.__dict__["parsl.task_state"] for r in dask_parsl_records
                if r.__dict__.get("parsl.task") == tid and "parsl.task_state" in r.__dict__]

    deadline = time.monotonic() + 30  # the records are made by the kernel's logging thread
    while any(states(f.tid)[-1:] != ["exec_done"] for f in (parent, child, waiting, retried)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    for future in (parent, child, waiting):
        assert states(future.tid) == ["pending", "launched", "exec_done"]
    assert states(retried.tid) == [
        "pending", "launched", "fail_retryable", "pending", "launched", "exec_done"]
    state_records = [r for r in dask_parsl_records if "parsl.task_state" in r.__dict__]
    assert {r.__dict__["parsl.dfk"] for r in state_records} == {dfk.run_id}
    assert {r.levelno for r in state_records} == {logging.INFO}
    # made off the threads that submit and complete tasks
    assert {r.threadName for r in state_records} == {"dask-parsl-task-log"}
    edges = [{key: value for key, value in vars(r).items() if key.startswith("parsl.dep")}
             | {"task": vars(r)["parsl.task"]}
             for r in dask_parsl_records if any(key.startswith("parsl.dep") for key in vars(r))]
    assert edges[0] == {"parsl.dependency_task": parent.tid, "task": child.tid}
    assert edges[1]["task"] == waiting.tid and len(edges) == 2
    assert edges[1]["parsl.dependency_object"].startswith(f"<Future at 0x{id(outside):x} state=")
    with open(os.path.join(dfk.run_dir, "parsl.log")) as log:
        text = log.read()
    assert f"Task {child.tid} depends on task {parent.tid}" in text


def test_finished_tasks_are_freed_once_their_futures_are_dropped(dfk):
    class Payload:
        pass

    payload = Payload()
    parent = double(2)
    futures = [parent, name_of(payload), double(parent), name_of(inputs=[parent, payload])]
    assert [f.result(timeout=60) for f in futures] == [4, "Payload", 8, "list"]
    alive = [weakref.ref(payload), *map(weakref.ref, futures)]
    dfk.wait_for_current_tasks()
    del payload, parent
    gc.disable()  # freed by reference counting, not by a collection
    try:
        futures.clear()
        time.sleep(0.5)  # the logging thread lets go of the dependencies it logged
        assert [reference() for reference in alive] == [None] * 5
    finally:
        gc.enable()
    assert dfk.tasks == {}

"""AppFuture, DataFuture and what counts as a dependency."""
import concurrent.futures
import threading

import dask.config
import pytest

import dask_parsl as parsl
from dask_parsl import DEEP_DEPENDENCY_RESOLVER, Config, DaskExecutor, python_app


@python_app
def double(x):
    return 2 * x


@python_app
def add(a, b):
    return a + b


@python_app
def make_record(name):
    return {"name": name, "size": len(name)}


class Box:
    def __init__(self, content):
        self.content = content


@python_app
def boxed(x):
    return Box(x)


@python_app
def total_nested(data):
    return sum(data["values"]) + sum(data["pairs"][0])


def test_task_record_and_ids(dfk):
    first, second = double(1), double(2)
    assert (first.tid, second.tid) == (0, 1)
    first.result()
    record = first.task_record
    for field in ("id", "func_name", "func", "args", "kwargs", "status", "fail_count", "fail_cost",
                  "fail_history", "try_id", "hashsum", "from_memo", "executor", "time_invoked",
                  "time_returned", "depends", "app_fu"):
        assert field in record, field
    assert record["func_name"] == "double"
    assert record["executor"] == "dask"
    assert record["app_fu"] is first
    assert record["time_returned"] >= record["time_invoked"]
    assert first.task_status() == "exec_done"


def test_status_moves_from_launched_to_done(dfk):
    import time

    @python_app
    def slow():
        time.sleep(1)
        return 1

    future = slow()
    assert future.task_status() in ("pending", "launched")
    future.result()
    assert future.task_status() == "exec_done"


def test_depends_lists_the_futures_of_a_pending_task(dfk):
    parent = double(1)
    child = add(parent, 1)
    assert child.result() == 3
    assert child.task_record["depends"] == [parent.tid]  # ids, once finished


def test_getitem_and_getattr_are_lifted(dfk):
    record = make_record("dask")
    name, size = record["name"], record["size"]
    assert isinstance(name, parsl.AppFuture)
    assert (name.result(), size.result()) == ("dask", 4)
    content = boxed(7).content
    assert content.result() == 7
    assert add(record["size"], 1).result() == 5
    with pytest.raises(AttributeError):
        record._private  # noqa: B018


def test_a_finished_future_passed_on_adds_only_the_call_it_is_passed_to(dfk):
    @parsl.join_app
    def nothing():
        return []

    done = nothing()
    assert done.result(timeout=60) == []
    before = dfk.task_count
    assert add(done, [1]).result(timeout=60) == [1]
    assert dfk.task_count == before + 1


def test_concurrent_futures_helpers_work(dfk):
    futures = [double(i) for i in range(20)]
    done, not_done = concurrent.futures.wait(futures, timeout=60)
    assert not not_done
    assert sorted(f.result() for f in concurrent.futures.as_completed(futures)) == [2 * i for i in range(20)]


def test_done_callback_may_ask_for_the_result(dfk):
    seen = []
    finished = threading.Event()

    def callback(future):
        seen.append(future.result())
        finished.set()

    double(21).add_done_callback(callback)
    assert finished.wait(60)
    assert seen == [42]


def test_any_concurrent_future_is_a_dependency(dfk):
    gate = concurrent.futures.Future()
    result = add(gate, 1)
    assert not result.done()
    gate.set_result(41)
    assert result.result(timeout=60) == 42


def test_chained_results_never_visit_the_client(dfk):
    value = double(1)
    for _ in range(20):
        value = double(value)
    assert value.result() == 2 ** 21


def test_shallow_resolver_rejects_nested_futures_clearly(dfk):
    failed = total_nested({"values": [double(1)], "pairs": [(1, 2)]})
    with pytest.raises(parsl.SerializationError, match="top-level"):
        failed.result()


def test_deep_resolver_resolves_nested_futures(cluster, run_dir):
    config = Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir,
                    dependency_resolver=DEEP_DEPENDENCY_RESOLVER)
    with parsl.load(config):
        data = {"values": [double(1), double(2), 3], "pairs": [(double(5), 1)]}
        assert total_nested(data).result() == 2 + 4 + 3 + 10 + 1


def test_results_stay_readable_after_cleanup(cluster, run_dir):
    with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)):
        futures = [double(i) for i in range(10)]
        parsl.wait_for_current_tasks()
    assert [f.result() for f in futures] == [2 * i for i in range(10)]


def _keys_held(client, prefix):
    """How many results of keys starting with ``prefix`` are in worker memory."""
    return client.run_on_scheduler(lambda dask_scheduler: sum(
        key.startswith(prefix) and task.state == "memory" for key, task in dask_scheduler.tasks.items()))


def _wait_until_held(client, prefix, count):
    import time

    deadline = time.monotonic() + 30
    while _keys_held(client, prefix) != count and time.monotonic() < deadline:
        time.sleep(0.05)
    return _keys_held(client, prefix)


def test_dropped_futures_free_their_results_on_the_cluster(load_dfk):
    with dask.config.set({"parsl.results.release-max-size": 0}):  # ints stay on their workers too
        dfk = load_dfk()
    client = dfk.executors["dask"].client
    prefix = f"double-{dfk._key_token}-"
    value = double(1)
    for _ in range(10):
        value = double(value)
    assert value.result() == 2 ** 11
    assert _wait_until_held(client, prefix, 1) == 1  # the chain keeps only its last result
    del value
    assert _wait_until_held(client, prefix, 0) == 0
    futures = [double(i) for i in range(50)]
    parsl.wait_for_current_tasks()
    assert _wait_until_held(client, prefix, 50) == 50
    del futures
    assert _wait_until_held(client, prefix, 0) == 0
    futures = [double(i) for i in range(50)]
    parsl.wait_for_current_tasks()
    dropping = threading.Thread(target=futures.clear)  # dropped by another thread than the caller's
    dropping.start()
    dropping.join()
    assert _wait_until_held(client, prefix, 0) == 0


def test_a_held_finished_future_keeps_few_objects_for_the_garbage_collector(dfk):
    """Every object a held future keeps is traversed by each full collection, which
    comes more often the more there are. A finished no-op call keeps four: its
    AppFuture, its record, the record's weak reference to it, and the list of waiters
    ``concurrent.futures.wait`` left."""
    import gc
    import time

    concurrent.futures.wait([double(i) for i in range(100)], timeout=60)
    existing = gc.get_objects()  # (held, so no new object takes an old one's id)
    old = set(map(id, existing))
    futures = [double(i) for i in range(1000)]
    concurrent.futures.wait(futures, timeout=60)
    time.sleep(1)  # the tiny results' releases are sent
    gc.collect()
    kept, stack = set(), list(futures)
    while stack:  # the new objects the futures keep alive
        item = stack.pop()
        if id(item) in kept or id(item) in old or not gc.is_tracked(item):
            continue
        kept.add(id(item))
        stack.extend(gc.get_referents(item))
    assert [future.result() for future in futures] == [2 * i for i in range(1000)]
    assert len(kept) / len(futures) <= 4

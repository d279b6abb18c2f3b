"""Small results come back with their task's completion: reading one asks no worker,
while the worker keeps its copy for the tasks that depend on it."""
import concurrent.futures
import time

import dask.config
import pytest
from distributed import LocalCluster

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, python_app


@python_app
def sized(n):
    return b"x" * n


@python_app
def length(data):
    return len(data)


@python_app
def thing_from(directory):
    import sys

    sys.path.insert(0, directory)
    import only_on_workers

    return only_on_workers.Thing()


def test_small_results_are_read_without_their_workers(run_dir):
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0") as cluster:
        with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)):
            small = [sized(1000) for _ in range(50)]
            large = sized(1_000_000)  # above parsl.results.push-max-size (256 KiB)
            concurrent.futures.wait([*small, large], timeout=60)
            assert "result on a worker" in repr(large)
            del large  # (cleanup would wait for it from workers that are gone)
            cluster.scale(0)
            deadline = time.monotonic() + 30
            while cluster.scheduler.workers and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not cluster.scheduler.workers
            assert [f.result() for f in small] == [b"x" * 1000] * 50


def test_a_small_result_stays_on_its_worker_for_dependents(dfk):
    first = sized(10_000)
    assert first.result() == b"x" * 10_000
    client = dfk.executors["dask"].client
    assert client.who_has()[first._key]  # held there while its future lives
    assert length(first).result() == 10_000


def test_a_tiny_result_is_released_from_its_worker_and_later_calls_carry_it(dfk):
    tiny = sized(100)  # up to parsl.results.release-max-size (1 KiB)
    assert tiny.result() == b"x" * 100
    client = dfk.executors["dask"].client
    deadline = time.monotonic() + 30
    while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)):
        assert time.monotonic() < deadline, "the scheduler kept the tiny result"
        time.sleep(0.05)
    assert tiny.result() == b"x" * 100 and "returned bytes" in repr(tiny)
    assert length(tiny).result() == 100


def test_calls_made_while_their_inputs_are_released_get_them(dfk):
    for _ in range(5):
        firsts = [sized(i % 50) for i in range(400)]
        lengths = []
        for i, first in enumerate(firsts):  # made as the firsts finish, and their results are released
            if i % 40 == 0:
                time.sleep(0.01)
            lengths.append(length(first))
        assert [f.result() for f in lengths] == [i % 50 for i in range(400)]


def test_results_that_later_calls_take_stay_on_their_workers(dfk):
    first = sized(1000)
    second = length(first)  # sent in the same graph: the scheduler knows first has a dependent
    assert second.result(timeout=60) == 1000
    assert "result on a worker" in repr(first) and "returned int" in repr(second)
    assert first.result() == b"x" * 1000


def test_results_sent_along_stay_within_the_client_memory_budget(load_dfk):
    with dask.config.set({"parsl.results.client-memory": "100kB"}):
        load_dfk()
        first = [sized(30_000) for _ in range(6)]
        concurrent.futures.wait(first, timeout=60)
        states = [repr(f) for f in first]
        assert sum("returned bytes" in s for s in states) == 3  # 90 kB held here
        assert sum("result on a worker" in s for s in states) == 3
        assert [f.result() for f in first] == [b"x" * 30_000] * 6  # those are fetched when read
        del first, states
        time.sleep(1.1)  # the budget counts the futures still alive at most once a second
        again = sized(30_000)
        concurrent.futures.wait([again], timeout=60)
        assert "returned bytes" in repr(again)


def test_a_result_this_process_cannot_load_fails_when_read_and_nothing_else(dfk, tmp_path):
    (tmp_path / "only_on_workers.py").write_text("class Thing:\n    pass\n")
    strange = thing_from(str(tmp_path))
    concurrent.futures.wait([strange], timeout=60)
    with pytest.raises(ModuleNotFoundError, match="only_on_workers"):
        strange.result()
    assert [f.result() for f in [sized(10) for _ in range(20)]] == [b"x" * 10] * 20


@python_app
def counted(directory, log):
    import sys

    sys.path.insert(0, directory)
    import counts_its_pickles

    return counts_its_pickles.Counted(log)


def test_a_result_is_pickled_once_on_its_worker(dfk, tmp_path, monkeypatch):
    (tmp_path / "counts_its_pickles.py").write_text(
        "class Counted:\n"
        "    def __init__(self, log):\n"
        "        self.log = log\n"
        "    def __reduce__(self):\n"
        "        with open(self.log, 'a') as log:\n"
        "            log.write('pickled\\n')\n"
        "        return Counted, (self.log,)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    log = tmp_path / "pickles.log"
    future = counted(str(tmp_path), str(log))
    concurrent.futures.wait([future], timeout=60)
    assert "returned Counted" in repr(future)  # came back with its completion
    assert future.result().log == str(log)
    assert log.read_text() == "pickled\n"  # checked as picklable and sent, from one pickle

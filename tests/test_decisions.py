"""The retry, memoization and checkpoint decisions: plain functions with two callers,
WorkflowPlugin (tasks on Dask clusters) and the kernel (work it runs itself)."""
import pytest

from dask_parsl import DependencyError, join_app, python_app
from dask_parsl.dataflow.retries import RetryPolicy, charge_failed_try, new_try_record
from dask_parsl.memo.cached_call import MemoPlan, run_cached
from dask_parsl.memo.hashing import hash_call
from dask_parsl.memo.store import CheckpointStore, load_index, make_private_dirs, read_entry


class Flaky(Exception):
    pass


def test_a_failed_try_is_counted_before_the_handler_sees_the_record():
    seen = []

    def handler(error, record):
        seen.append((record["fail_count"], list(record["fail_history"])))
        return 0.5

    record = new_try_record(7, "app")
    policy = RetryPolicy(2, handler)
    decisions = [charge_failed_try(policy, record, Flaky(f"try {n}")) for n in range(1, 7)]
    assert decisions == [True, True, True, True, False, False]  # cost 0.5 within 2: five tries
    assert seen[0] == (1, ["Flaky('try 1')"])
    assert record["try_id"] == 4 and record["fail_cost"] == 3.0


def test_dependency_failures_are_counted_but_never_retried():
    record = new_try_record(1, "app")
    assert not charge_failed_try(RetryPolicy(5), record, DependencyError([(Flaky(), "task 0")], 1))
    assert record["fail_count"] == 1 and record["fail_cost"] == 0


def recording_handler(path):
    """A retry handler that writes what it sees to ``path`` (it may run on the scheduler)."""
    def handler(error, record):
        with open(path, "a") as log:
            log.write(f"{record['fail_count']} {record['fail_cost']}\n")
        return 0.5

    return handler


@pytest.mark.parametrize("kind", ["python", "join"])
def test_plugin_and_kernel_charge_tries_alike(load_dfk, tmp_path, kind):
    # python apps are charged by WorkflowPlugin on the scheduler, join bodies by the kernel
    seen = str(tmp_path / "seen")
    load_dfk(retries=2, retry_handler=recording_handler(seen))
    path = str(tmp_path / "tries")

    def body(path):
        with open(path, "a") as log:
            log.write("x")
        raise Flaky("always")

    app = python_app(body) if kind == "python" else join_app(body)
    future = app(path)
    with pytest.raises(Flaky):
        future.result(timeout=60)
    assert len(open(path).read()) == 5
    assert open(seen).read().split("\n")[:-1] == ["1 0.0", "2 0.5", "3 1.0", "4 1.5", "5 2.0"]
    assert future.task_record["fail_count"] == 5 and future.task_record["fail_cost"] == 2.5


def test_a_cached_call_makes_the_same_memo_decisions_when_run_outside_dask(tmp_path):
    store_dir = str(tmp_path / "checkpoint")
    make_private_dirs(store_dir)
    store = CheckpointStore(store_dir, [], commit_at_once=True)
    runs, reports = [], []

    def square(x):
        runs.append(x)
        return x * x

    def report(key, hashsum, token, hit, nbytes):
        reports.append((key, hashsum, hit))

    hashsum = hash_call("square-structure", ["token-of-3"])
    for key in ("square-a", "square-b"):
        plan = MemoPlan(key, hashsum, "square-structure", (), store)
        assert run_cached(square, "square", plan, [], (3,), {}, report) == 9
    assert runs == [3]  # the second call was answered from the store
    assert reports == [("square-a", hashsum, False), ("square-b", hashsum, True)]
    assert read_entry(load_index([store_dir])[hashsum]) == 9


def test_a_cached_call_hashes_values_it_received_when_their_tokens_are_unknown(tmp_path):
    reports = []
    plan = MemoPlan("key", None, "structure", [None, "known"], None)
    run_cached(lambda: 1, "app", plan, [41, None], (), {}, lambda *report: reports.append(report))
    (key, hashsum, _, hit, _), = reports
    from dask.base import tokenize

    assert hashsum == hash_call("structure", [tokenize(41, ensure_deterministic=True), "known"])
    assert key == "key" and not hit

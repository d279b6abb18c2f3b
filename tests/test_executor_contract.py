"""One contract for every kind of executor: dependencies, retries, retry handlers,
memoization, checkpoints and resource specifications behave the same whether a Dask
cluster runs the apps or an executor written to Parsl's interface does (dask_parsl's
ThreadPoolExecutor, a user-written one, or the real Parsl's ThreadPoolExecutor)."""
import os
import threading

import pytest
from parsl.executors import ThreadPoolExecutor as ParslThreadPoolExecutor
from parsl.executors.errors import InvalidResourceSpecification as ParslInvalidResourceSpecification
from parsl_style_executor import ProcessPoolParslExecutor
from try_log import Flaky, count_try, tries_in

import dask_parsl
from dask_parsl import (
    Config,
    DaskExecutor,
    DependencyError,
    InvalidResourceSpecification,
    ThreadPoolExecutor,
    python_app,
)

#: executor kind -> (its label, how to make a fresh one: each kernel needs its own)
EXECUTORS = {
    "dask": ("dask", lambda request: DaskExecutor(cluster=request.getfixturevalue("cluster"))),
    "threads": ("threads", lambda request: ThreadPoolExecutor(max_threads=2)),
    "parsl-interface": ("processes", lambda request: ProcessPoolParslExecutor()),
    "parsl-threads": ("parsl-threads",
                      lambda request: ParslThreadPoolExecutor(label="parsl-threads", max_threads=2)),
}
THREAD_EXECUTORS = ["threads", "parsl-threads"]


@pytest.fixture(params=list(EXECUTORS))
def executor_kind(request):
    return request.param


@pytest.fixture
def executor_factory(request, executor_kind):
    """A new executor of the kind under test on each call."""
    return lambda: EXECUTORS[executor_kind][1](request)


@pytest.fixture
def label(executor_kind):
    return EXECUTORS[executor_kind][0]


@pytest.fixture
def load(executor_factory, run_dir):
    """``with load(**config) as dfk:`` a kernel on a fresh executor of the kind under test."""
    def load_kernel(**options):
        return dask_parsl.load(Config(executors=[executor_factory()], run_dir=run_dir, **options))

    return load_kernel


@pytest.fixture
def tries(tmp_path):
    """``tries(name)``: the path of a try log, for ``count_try`` and ``tries_in``."""
    return lambda name="tries": str(tmp_path / name)


# -- apps and helpers shared by the tests (module level: the process pool's children import them)

class HandlerBroke(Exception):
    """Raised by a retry handler that cannot judge."""


@python_app
def add(a, b):
    return a + b


@python_app
def square(x):
    return x * x


@python_app
def sum_of(inputs=()):
    return sum(inputs)


@python_app
def fails_then_succeeds(path, failures=0):
    tries = count_try(path)
    if tries <= failures:
        raise Flaky(f"try {tries}")
    return tries


@python_app
def logged(value, path):
    count_try(path)
    return value


@python_app(cache=True)
def cached_square(x, path):
    count_try(path)
    return x * x


@python_app(cache=True)
def cached_failure(path):
    count_try(path)
    raise KeyError("boom")


@python_app
def takes_resources(parsl_resource_specification={}):  # noqa: B006 - Parsl's idiom
    return "ran"


@python_app
def same(value):
    return value


def recording_handler(seen, cost=1.0):
    """A retry handler that notes what it was given in ``seen`` (a list of this process)."""
    def handler(error, task_record):
        seen.append({
            "pid": os.getpid(),
            "error": repr(error),
            "args": task_record["args"],
            "kwargs": task_record["kwargs"],
            "func_name": task_record["func_name"],
            "fail_count": task_record["fail_count"],
            "executor": task_record["executor"],
        })
        return cost

    return handler


def broken_handler(error, task_record):
    raise HandlerBroke(f"cannot judge {error!r}")


# -- 0. the executors are what they claim to be

def test_parsl_threads_is_the_real_parsl():
    assert ParslThreadPoolExecutor.__module__ == "parsl.executors.threads"  # not dask_parsl's alias


# -- 1. dependencies

def test_chains_and_fan_ins_get_their_parents_values(load):
    with load():
        chain = add(add(add(1, 2), 3), 4)
        fan_in = sum_of(inputs=[square(i) for i in range(5)])
        pair = add(square(2), square(3))
        assert [f.result(timeout=60) for f in (chain, fan_in, pair)] == [10, 30, 13]


def test_a_failed_parent_fails_its_child_without_running_it(load, tries):
    with load():
        parent = fails_then_succeeds(tries("parent"), 100)
        child = logged(parent, tries("child"))
        with pytest.raises(DependencyError):
            child.result(timeout=60)
        with pytest.raises(Flaky):
            parent.result(timeout=60)
        assert child.task_status() == "dep_fail"
    assert tries_in(tries("parent")) == 1
    assert tries_in(tries("child")) == 0


# -- 2. retries

def test_failed_tries_are_retried_until_one_succeeds(load, tries):
    with load(retries=2):
        future = fails_then_succeeds(tries(), 2)
        assert future.result(timeout=60) == 3
        record = future.task_record
        assert record["fail_count"] == 2
        assert record["fail_cost"] == 2.0
        assert record["try_id"] == 2
        assert record["fail_history"] == ["Flaky('try 1')", "Flaky('try 2')"]
        assert future.task_status() == "exec_done"


def test_a_spent_budget_fails_with_the_original_exception(load, tries):
    with load(retries=2):
        future = fails_then_succeeds(tries(), 100)
        with pytest.raises(Flaky, match="try 3"):
            future.result(timeout=60)
        assert future.task_status() == "failed"
        assert future.task_record["fail_count"] == 3
    assert tries_in(tries()) == 3


def test_no_retries_by_default(load, tries):
    with load():
        with pytest.raises(Flaky, match="try 1"):
            fails_then_succeeds(tries(), 1).result(timeout=60)
    assert tries_in(tries()) == 1


# -- 3. retry handlers

def test_the_retry_handler_gets_the_full_task_record_in_this_process(load, tries, label):
    seen = []
    with load(retries=2, retry_handler=recording_handler(seen)):
        future = fails_then_succeeds(tries(), failures=2)
        assert future.result(timeout=60) == 3
    assert [s["fail_count"] for s in seen] == [1, 2]
    assert [s["error"] for s in seen] == ["Flaky('try 1')", "Flaky('try 2')"]
    for saw in seen:
        assert saw["pid"] == os.getpid()
        assert saw["args"] == (tries(),)
        assert saw["kwargs"] == {"failures": 2}
        assert saw["func_name"] == "fails_then_succeeds"
        assert saw["executor"] == label


def test_a_raising_retry_handler_fails_the_task_with_its_exception(load, tries):
    with load(retries=5, retry_handler=broken_handler):
        future = fails_then_succeeds(tries(), 100)
        with pytest.raises(HandlerBroke, match="cannot judge Flaky"):
            future.result(timeout=60)
        assert future.task_status() == "failed"
        record = future.task_record
        # as in Parsl: the budget is spent, and the history keeps the app's own failure
        assert record["fail_count"] == 1 and record["fail_cost"] == 6
        assert record["fail_history"] == ["Flaky('try 1')"]
    assert tries_in(tries()) == 1


# -- 4. memoization

def test_identical_cached_calls_run_once_per_run(load, tries):
    with load():
        first = cached_square(3, tries())
        assert first.result(timeout=60) == 9
        again = cached_square(3, tries())
        assert again.result(timeout=60) == 9
        assert tries_in(tries()) == 1
        assert again.task_status() == "memo_done"
        assert again.task_record["from_memo"]
        assert not first.task_record["from_memo"]

        other = cached_square(4, tries())
        assert other.result(timeout=60) == 16
        assert tries_in(tries()) == 2
        assert other.task_status() == "exec_done"
        assert not other.task_record["from_memo"]


# -- 5. checkpoints

def test_a_later_run_answers_from_the_checkpoint(load, tries):
    with load(checkpoint_mode="task_exit"):
        assert cached_square(5, tries()).result(timeout=60) == 25
    assert tries_in(tries()) == 1

    with load(checkpoint_mode="task_exit"):
        future = cached_square(5, tries())
        assert future.result(timeout=60) == 25
        assert future.task_status() == "memo_done"
    assert tries_in(tries()) == 1


def test_exceptions_are_never_checkpointed(load, tries):
    for run in (1, 2):
        with load(checkpoint_mode="task_exit"):
            with pytest.raises(KeyError, match="boom"):
                cached_failure(tries()).result(timeout=60)
        assert tries_in(tries()) == run


# -- 6. resource specifications

def test_a_resource_specification_the_executor_cannot_honour_fails_the_call(load, executor_kind):
    # the real Parsl's executor raises the real Parsl's InvalidResourceSpecification
    refused = (ParslInvalidResourceSpecification if executor_kind == "parsl-threads"
               else InvalidResourceSpecification)
    with load():
        future = takes_resources(parsl_resource_specification={"cores": 1})
        with pytest.raises(refused) as refusal:
            future.result(timeout=60)
        assert refusal.value.invalid_keys == {"cores"}
        assert future.task_status() == "failed"
        assert takes_resources().result(timeout=60) == "ran"


@pytest.mark.parametrize("executor_kind", ["dask"])
def test_dask_honours_a_priority(load):
    with load():  # see executors.resources: Dask takes priority, Parsl's ThreadPoolExecutor nothing
        assert takes_resources(parsl_resource_specification={"priority": 1}).result(timeout=60) == "ran"


# -- 7. threads: nothing is pickled

@pytest.mark.parametrize("executor_kind", THREAD_EXECUTORS)
def test_threads_hand_back_the_very_same_object(load):
    lock = threading.Lock()
    with load():
        assert same(lock).result(timeout=60) is lock
        assert same(same(lock)).result(timeout=60) is lock

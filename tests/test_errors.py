"""Failures: dependency errors, exception types, bad input, unpicklable values."""
import os
import threading

import pytest

import dask_parsl as parsl
from dask_parsl import (
    Config,
    ConfigurationError,
    DaskExecutor,
    DependencyError,
    JoinError,
    NoDataFlowKernelError,
    SerializationError,
    join_app,
    python_app,
)


class PipelineError(Exception):
    """An error type the client must see unchanged."""


@python_app
def divide(a, b):
    return a / b


@python_app
def increment(x):
    return x + 1


@python_app
def raise_pipeline_error(message):
    raise PipelineError(message)


@python_app
def touch(path, value):
    with open(path, "w") as handle:
        handle.write("ran")
    return value


@python_app
def identity(x):
    return x


@python_app
def make_lock():
    return threading.Lock()


def test_dependency_error_chain_and_cause(dfk, tmp_path):
    root = divide(1, 0)
    middle = increment(root)
    leaf = touch(str(tmp_path / "never"), middle)
    with pytest.raises(DependencyError) as info:
        leaf.result()
    error = info.value
    assert str(error) == (
        f"Dependency failure for task {leaf.tid}. "
        f"The representative cause is via task {middle.tid} <- task {root.tid}"
    )
    assert isinstance(error.__cause__, ZeroDivisionError)
    assert error.task_id == leaf.tid
    assert leaf.task_status() == "dep_fail"
    assert middle.task_status() == "dep_fail"
    assert root.task_status() == "failed"
    assert isinstance(root.exception(), ZeroDivisionError)
    assert not (tmp_path / "never").exists()


def test_dependency_error_names_every_failed_dependency(dfk):
    joined = divide(divide(1, 0), divide(2, 0))
    with pytest.raises(DependencyError) as info:
        joined.result()
    assert len(info.value.dependent_exceptions_tids) == 2
    assert "(+ others)" in str(info.value)


def test_dependency_error_when_the_parent_failed_before_the_call(dfk):
    root = divide(1, 0)
    root.exception()
    with pytest.raises(DependencyError) as info:
        increment(root).result()
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_independent_branches_go_on(dfk):
    bad = raise_pipeline_error("boom")
    good = [increment(i) for i in range(10)]
    assert [g.result() for g in good] == list(range(1, 11))
    with pytest.raises(PipelineError, match="boom"):
        bad.result()


def test_original_exception_type_is_kept(dfk):
    error = raise_pipeline_error("kept").exception()
    assert type(error) is PipelineError
    assert str(error) == "kept"


@join_app
def join_failing():
    return [increment(1), divide(1, 0)]


@join_app
def join_not_a_future():
    return 42


@join_app
def join_many(n):
    return [increment(i) for i in range(n)]


@join_app
def join_one(x):
    return increment(x)


def test_join_app_returns_inner_results(dfk):
    assert join_one(increment(1)).result() == 3
    assert join_many(5).result() == [1, 2, 3, 4, 5]
    assert join_many(0).result() == []
    assert increment(join_one(1)).result() == 3
    assert identity(join_many(3)).result() == [1, 2, 3]


def test_join_error(dfk):
    future = join_failing()
    with pytest.raises(JoinError) as info:
        future.result()
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert str(info.value).startswith(f"Join failure for task {future.tid}.")


def test_join_body_returning_a_non_future_is_a_type_error(dfk):
    with pytest.raises(TypeError, match="join_not_a_future must return a Future"):
        join_not_a_future().result()


def test_call_with_nothing_loaded():
    with pytest.raises(NoDataFlowKernelError, match="Must first load config"):
        increment(1)


def test_load_twice(dfk):
    with pytest.raises(ConfigurationError, match="already loaded"):
        parsl.load(Config(executors=[DaskExecutor(cluster=dfk.executors["dask"].cluster)]))


def test_duplicate_labels(cluster):
    with pytest.raises(ConfigurationError, match="'same'"):
        Config(executors=[DaskExecutor("same", cluster=cluster), DaskExecutor("same", cluster=cluster)])


def test_not_an_executor():
    with pytest.raises(ConfigurationError, match="is not an executor: use DaskExecutor"):
        Config(executors=["dask"])


def test_parsl_block_executors_are_named_with_what_to_use_instead():
    from parsl.executors import HighThroughputExecutor as ParslHighThroughputExecutor

    with pytest.raises(ConfigurationError, match="use dask_parsl's HighThroughputExecutor"):
        Config(executors=[ParslHighThroughputExecutor(label="htex")])


def test_bad_exit_mode():
    with pytest.raises(ConfigurationError, match="exit_mode"):
        Config(exit_mode="later")


def test_unknown_executor_label(dfk):
    @python_app(executors=["gpu"])
    def on_gpu():
        return 1

    future = on_gpu()
    with pytest.raises(ValueError, match=r"'gpu'.*\['dask'\]"):
        future.result()


def test_unpicklable_argument_fails_only_that_call(dfk):
    lock = threading.Lock()
    calls = [increment(1), identity(lock), increment(2)]
    assert calls[0].result() == 2 and calls[2].result() == 3
    with pytest.raises(SerializationError) as info:
        calls[1].result()
    message = str(info.value)
    assert "identity" in message and "positional argument 0 (lock)" in message


def test_dependents_of_an_unsendable_call_get_a_dependency_error(dfk):
    unsendable = identity(threading.Lock())
    dependent = increment(unsendable)
    with pytest.raises(DependencyError) as info:
        dependent.result()
    assert isinstance(info.value.__cause__, SerializationError)


def test_unpicklable_result(dfk):
    with pytest.raises(SerializationError, match="make_lock.*the result \\(lock\\)"):
        make_lock().result()


def test_submit_after_cleanup(cluster, run_dir):
    kernel = parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir))
    kernel.cleanup()
    with pytest.raises(NoDataFlowKernelError):
        increment(1)
    with pytest.raises(NoDataFlowKernelError):
        kernel.submit(increment, (1,), {})
    with pytest.raises(NoDataFlowKernelError, match="already been cleaned up"):
        kernel.cleanup()
    assert os.path.isdir(kernel.run_dir)

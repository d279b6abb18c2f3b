"""Apps asking for resources: pools with different workers, requests no worker can meet
(refused at once), priorities, and what each kind of executor takes."""
import time

import dask.config
import pytest
from distributed import LocalCluster

import dask_parsl as parsl
from dask_parsl import (
    Config,
    DaskExecutor,
    HighThroughputExecutor,
    InvalidResourceSpecification,
    ResourcesUnavailable,
    ThreadPoolExecutor,
    join_app,
    python_app,
)
from dask_parsl.providers import LocalProvider


@python_app(executors=["cpu"])
def prepare(x):
    return list(range(x))


@python_app(executors=["gpu"])
def accelerate(values, parsl_resource_specification=None):
    from distributed import get_worker

    return sum(values), sorted(get_worker().state.total_resources)


@python_app(executors=["cpu"])
def report(result):
    total, resources = result
    return f"{total} on a worker with {resources}"


def test_apps_choose_pools_and_resources_with_dependencies_across_them(run_dir):
    executors = [DaskExecutor(label="cpu", n_workers=1, dashboard_address=":0"),
                 DaskExecutor(label="gpu", n_workers=2, dashboard_address=":0", resources={"GPU": 1})]
    with parsl.load(Config(executors=executors, run_dir=run_dir)):
        done = report(accelerate(prepare(5), parsl_resource_specification={"GPU": 1}))
        assert done.result(timeout=120) == "10 on a worker with ['GPU']"


@python_app
def asks(parsl_resource_specification=None):
    return "ran"


def refusal(future):
    """The error of a call refused when it was made (the future is already done)."""
    assert future.done(), "a refused call fails at once"
    error = future.exception()
    assert isinstance(error, InvalidResourceSpecification), error
    return error


def test_resources_no_worker_offers_fail_the_call_at_once_naming_what_is_offered(run_dir):
    executor = DaskExecutor(n_workers=1, dashboard_address=":0", resources={"GPU": 1})
    with parsl.load(Config(executors=[executor], run_dir=run_dir)):
        error = refusal(asks(parsl_resource_specification={"TPU": 1, "GPU": 1}))
        assert error.invalid_keys == {"TPU"}
        assert "'TPU'" in str(error)
        assert "takes priority and the resources its workers offer (GPU=1)" in str(error)
        error = refusal(asks(parsl_resource_specification={"GPU": 2}))
        assert "asks for GPU=2, but no worker offers more than GPU=1" in str(error)
        error = refusal(asks(parsl_resource_specification={"cores": 2}))  # Parsl's keys too
        assert error.invalid_keys == {"cores"}
        error = refusal(asks(parsl_resource_specification={"GPU": "one"}))
        assert "GPU must be an amount (a number), not 'one'" in str(error)
        assert asks(parsl_resource_specification={"GPU": 1, "priority": 2}).result(timeout=60) == "ran"
        assert asks(parsl_resource_specification={}).result(timeout=60) == "ran"
        with pytest.raises(TypeError, match="must be a dict"):
            asks(parsl_resource_specification=[("GPU", 1)]).result(timeout=60)


def test_a_given_cluster_is_asked_what_its_workers_offer(run_dir):
    with LocalCluster(n_workers=1, threads_per_worker=1, resources={"GPU": 2},
                      dashboard_address=":0") as cluster:
        with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)):
            assert asks(parsl_resource_specification={"GPU": 2}).result(timeout=60) == "ran"
            assert refusal(asks(parsl_resource_specification={"FPGA": 1})).invalid_keys == {"FPGA"}
            error = refusal(asks(parsl_resource_specification={"GPU": 3}))
            assert "no worker offers more than GPU=2" in str(error)


def test_a_given_cluster_without_workers_yet_lets_calls_wait_for_workers_that_offer_them(run_dir):
    with LocalCluster(n_workers=0, threads_per_worker=1, resources={"GPU": 1},
                      dashboard_address=":0") as cluster:
        with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)):
            future = asks(parsl_resource_specification={"GPU": 1})
            time.sleep(1)
            assert not future.done()
            cluster.scale(1)
            assert future.result(timeout=60) == "ran"


def test_resources_that_never_come_fail_after_the_unrunnable_timeout(run_dir):
    with dask.config.set({"parsl.unrunnable-timeout": "2s"}), \
            LocalCluster(n_workers=0, threads_per_worker=1, dashboard_address=":0") as cluster:
        with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)):
            future = asks(parsl_resource_specification={"TPU": 1})  # no worker yet: it may come
            cluster.scale(1)  # one that does not offer it
            started = time.monotonic()
            with pytest.raises(ResourcesUnavailable, match=r"asks for resources \{'TPU': 1\}"):
                future.result(timeout=60)
            assert time.monotonic() - started < 30


@python_app
def started_at(parsl_resource_specification=None):
    time.sleep(0.2)
    return time.time()


@python_app
def occupy(seconds):
    time.sleep(seconds)


def test_lower_priority_values_run_first_as_in_parsl(run_dir):
    executor = DaskExecutor(n_workers=1, dashboard_address=":0")
    with parsl.load(Config(executors=[executor], run_dir=run_dir)):
        busy = occupy(2)  # the one worker thread is busy while the calls below queue up
        time.sleep(0.5)
        calls = {priority: started_at(parsl_resource_specification={"priority": priority})
                 for priority in (5, 1, 3, 2, 4)}
        starts = {priority: future.result(timeout=60) for priority, future in calls.items()}
        busy.result(timeout=60)
        assert sorted(starts, key=starts.get) == [1, 2, 3, 4, 5]


@join_app
def joined(parsl_resource_specification=None):
    return asks()


def test_the_thread_pool_takes_no_specification_and_htex_only_priority_as_in_parsl(run_dir):
    executors = [ThreadPoolExecutor(label="threads", max_threads=1),
                 HighThroughputExecutor(label="htex", max_workers_per_node=1,
                                        provider=LocalProvider(init_blocks=1, max_blocks=1))]
    with parsl.load(Config(executors=executors, run_dir=run_dir)):
        threads = python_app(asks.func, executors=["threads"])
        htex = python_app(asks.func, executors=["htex"])
        error = refusal(threads(parsl_resource_specification={"priority": 1}))
        assert "Executor 'threads' takes no resource specification" in str(error)
        assert threads(parsl_resource_specification={}).result(timeout=60) == "ran"
        error = refusal(htex(parsl_resource_specification={"GPU": 1, "priority": 1}))
        assert error.invalid_keys == {"GPU"} and "Executor 'htex' takes only priority" in str(error)
        assert htex(parsl_resource_specification={"priority": 1}).result(timeout=60) == "ran"
        assert "Join apps" in str(refusal(joined(parsl_resource_specification={"priority": 1})))

"""Apps asking for resources: pools with different workers, and requests no worker can meet."""
import time

import dask.config
import pytest

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, ResourcesUnavailable, python_app


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
def needs_a_tpu(parsl_resource_specification=None):
    return "ran"


def test_resources_no_worker_offers_fail_after_a_timeout(run_dir):
    with dask.config.set({"parsl.unrunnable-timeout": "2s"}):
        config = Config(executors=[DaskExecutor(n_workers=1, dashboard_address=":0")], run_dir=run_dir)
        with parsl.load(config):
            started = time.monotonic()
            future = needs_a_tpu(parsl_resource_specification={"TPU": 1})
            with pytest.raises(ResourcesUnavailable, match=r"asks for resources \{'TPU': 1\}"):
                future.result(timeout=60)
            assert time.monotonic() - started < 30
            assert needs_a_tpu().result(timeout=60) == "ran"


def test_which_specification_entries_become_dask_resources():
    from dask_parsl.dataflow.graph import task_resources

    assert task_resources({"cores": 2, "memory": 4e9}) is None  # Parsl's keys, not declared
    assert task_resources({"cores": 2}, frozenset({"cores"})) == {"cores": 2}
    assert task_resources({"GPU": 1, "launcher_options": "-n 2", "exclusive": True}) == {"GPU": 1}
    with pytest.raises(TypeError, match="must be a dict"):
        task_resources([("GPU", 1)])

"""Decorators, calls, special keyword arguments and the submission path."""
import os
import time
import uuid

import pytest
from distributed import Client
from distributed.diagnostics.plugin import SchedulerPlugin

from dask_parsl import AppFuture, File, python_app


@python_app
def double(x):
    return 2 * x


@python_app
def total(inputs=()):
    return sum(inputs)


@python_app()
def triple(x):
    return 3 * x


def _square(x):
    return x * x


square = python_app(_square)


@python_app
def sleepy(seconds):
    time.sleep(seconds)
    return seconds


@python_app
def fresh_token():
    return uuid.uuid4().hex


@python_app
def echo_keywords(priority=None, resources=None, key=None, workers=None, retries=None,
                  pure=None, allow_other_workers=None, fifo_timeout=None):
    return dict(priority=priority, resources=resources, key=key, workers=workers,
                retries=retries, pure=pure, allow_other_workers=allow_other_workers,
                fifo_timeout=fifo_timeout)


@python_app
def sum_defaults(inputs=[1, 2]):  # noqa: B006 - the Parsl idiom
    return sum(inputs)


@python_app
def show_spec(parsl_resource_specification={"priority": 2}):  # noqa: B006
    return parsl_resource_specification


@python_app
def write_file(text, outputs=()):
    with open(outputs[0], "w") as handle:
        handle.write(text)
    return "written"


@python_app
def read_file(inputs=()):
    assert isinstance(inputs[0], File)
    with open(inputs[0]) as handle:
        return handle.read()


def test_readme_example(dfk):
    parts = [double(i) for i in range(1000)]
    assert total(inputs=parts).result() == 999000


def test_decorator_forms(dfk):
    assert double(2).result() == 4
    assert triple(2).result() == 6
    assert square(3).result() == 9
    assert square.__name__ == "_square"


def test_unknown_decorator_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        python_app(walltime=3)
    with pytest.raises(TypeError):
        python_app(priority=3)(lambda: None)


def test_app_call_returns_at_once(dfk):
    started = time.perf_counter()
    future = sleepy(2)
    assert time.perf_counter() - started < 0.5
    assert isinstance(future, AppFuture)
    assert not future.done()
    assert future.result() == 2


def test_every_call_is_a_new_task(dfk):
    first, second = fresh_token(), fresh_token()
    assert first.result() != second.result()
    assert double(5).result() == double(5).result() == 10


def test_dask_keywords_reach_the_function(dfk):
    given = dict(priority=10, resources={"GPU": 1}, key="k", workers=["nowhere"], retries=5,
                 pure=True, allow_other_workers=False, fifo_timeout="1s")
    assert echo_keywords(**given).result() == given


def test_default_inputs_and_resource_spec_are_captured(dfk):
    assert sum_defaults().result() == 3
    assert show_spec().result() == {"priority": 2}
    assert show_spec(parsl_resource_specification={"priority": 1}).result() == {"priority": 1}


def test_default_future_in_inputs_is_a_dependency(dfk):
    @python_app
    def add_default(inputs=[double(21)]):  # noqa: B006,B008 - the Parsl idiom being tested
        return inputs[0]

    assert add_default().result() == 42


def test_outputs_give_data_futures_and_inputs_take_them(dfk, tmp_path):
    target = File(str(tmp_path / "out.txt"))
    writer = write_file("hello", outputs=[target])
    assert len(writer.outputs) == 1
    data_future = writer.outputs[0]
    assert data_future.filepath == target.filepath
    assert data_future.tid == writer.tid
    assert read_file(inputs=[data_future]).result() == "hello"
    assert data_future.result() is target


def test_keys_start_with_the_app_name(dfk, cluster):
    futures = [double(i) for i in range(5)] + [triple(1)]
    [f.result() for f in futures]
    with Client(cluster) as client:
        prefixes = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
    assert {"double", "triple"} <= set(prefixes)


class CountGraphs(SchedulerPlugin):
    name = "count-graphs"

    def __init__(self):
        self.graphs = 0
        self.keys = 0

    def update_graph(self, scheduler, *, keys, **kwargs):
        self.graphs += 1
        self.keys += len(keys)


def test_calls_are_shipped_in_batches(dfk, cluster):
    with Client(cluster) as client:
        client.register_plugin(CountGraphs())
        try:
            futures = [double(i) for i in range(2000)]
            assert sum(f.result() for f in futures) == 2 * sum(range(2000))
            graphs, keys = client.run_on_scheduler(
                lambda dask_scheduler: (dask_scheduler.plugins["count-graphs"].graphs,
                                        dask_scheduler.plugins["count-graphs"].keys))
        finally:
            client.unregister_scheduler_plugin("count-graphs")
    assert keys >= 2000
    assert graphs < 100, f"2000 calls went out as {graphs} graphs"


def test_apps_run_in_worker_processes(dfk, cluster):
    @python_app
    def where():
        return os.getpid()

    pids = {where().result() for _ in range(4)}
    assert os.getpid() not in pids
    worker_pids = {w.pid for w in cluster.workers.values() if hasattr(w, "pid")}
    assert pids <= worker_pids

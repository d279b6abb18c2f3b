"""Dask interop: app.delayed, collections as arguments, dask futures as arguments, and
apps that compute on their own cluster."""
import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from distributed import Client, LocalCluster, get_client, get_worker, wait

from dask_parsl import DaskExecutor, python_app


@python_app
def double(x):
    return 2 * x


@python_app
def describe(value):
    return type(value).__name__, value


@python_app
def total(inputs=()):
    return sum(inputs)


@python_app
def column_sum(frame, column="a"):
    return float(frame[column].sum())


def test_delayed_computes_with_dask(dfk):
    lazy = double.delayed(double.delayed(3))
    assert isinstance(lazy, dask.delayed(lambda: 0)().__class__)
    assert lazy.key.startswith("double-")
    assert dask.compute(lazy, scheduler="sync") == (12,)
    client = dfk.executors["dask"].client
    assert client.compute(lazy).result() == 12
    (persisted,) = client.persist([lazy])
    assert persisted.compute() == 12


def test_delayed_keeps_user_keywords(dfk):
    @python_app
    def keywords(pure=None, dask_key_name=None):
        return pure, dask_key_name

    assert dask.compute(keywords.delayed(pure=1, dask_key_name=2), scheduler="sync") == ((1, 2),)


def test_delayed_argument_arrives_computed(dfk):
    value = dask.delayed(sum)([1, 2, 3])
    assert describe(value).result() == ("int", 6)
    assert total(inputs=[value, dask.delayed(int)(4)]).result() == 10


def test_dask_array_argument_arrives_as_numpy(dfk):
    array = da.arange(100, chunks=10) * 2
    name, value = describe(array).result()
    assert name == "ndarray"
    np.testing.assert_array_equal(value, np.arange(100) * 2)


def test_dask_dataframe_argument_arrives_as_pandas(dfk):
    frame = dd.from_pandas(pd.DataFrame({"a": range(10), "b": range(10)}), npartitions=3)
    assert column_sum(frame).result() == 45.0
    name, value = describe(frame).result()
    assert name == "DataFrame" and len(value) == 10


def test_dask_backed_xarray_argument_arrives_loaded(dfk):
    data = xr.DataArray(da.ones((4, 6), chunks=(2, 3)), dims=("x", "y"))
    name, value = describe(data).result()
    assert name == "DataArray"
    assert value.chunks is None  # numpy-backed now
    assert float(value.sum()) == 24.0


def test_dask_futures_of_the_same_cluster_are_dependencies(dfk, cluster):
    with Client(cluster) as client:
        future = client.submit(lambda: 21)
        assert double(future).result() == 42
        assert total(inputs=[future, client.submit(lambda: 1)]).result() == 22


def test_failed_dask_future_gives_a_dependency_error(dfk, cluster):
    from dask_parsl import DependencyError

    with Client(cluster) as client:
        broken = client.submit(lambda: 1 / 0)
        with pytest.raises(DependencyError) as info:
            double(broken).result()
        assert isinstance(info.value.__cause__, ZeroDivisionError)


# -- apps that compute on their own cluster ------------------------------------------------
# On one worker with one thread the app holds the only slot; the tasks it waits for can run
# only if the app gives the slot up while it waits (else result() times out).


@pytest.fixture(scope="module")
def one_slot():
    """A cluster of one worker process with one thread."""
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as local_cluster:
        yield local_cluster


def where(block):
    """Marks each block with the address of the worker that computed it."""
    return np.full(block.shape, get_worker().address, dtype=object)


@python_app
def xarray_pipeline(days):
    data = xr.Dataset(
        {"temperature": (("time", "station"), np.arange(days * 4.0).reshape(days, 4))},
        coords={"time": np.arange(days), "station": list("abcd")},
    ).chunk({"time": 5}).persist()  # on the app's own cluster
    wait(data)  # a client wait: the app must give its slot up for the persisted blocks
    means = (data.temperature - 1.0).mean("time").compute()  # dask.compute: Client.get secedes
    workers = set(data.temperature.data.map_blocks(where, dtype=object).compute().ravel())
    return means.values.tolist(), workers, get_worker().address


def test_an_xarray_pipeline_inside_an_app_runs_on_one_single_thread_worker(load_dfk, one_slot):
    load_dfk(executors=[DaskExecutor(cluster=one_slot)])
    means, workers, app_worker = xarray_pipeline(20).result(timeout=30)
    assert means == (np.arange(80.0).reshape(20, 4) - 1.0).mean(axis=0).tolist()
    assert workers == {app_worker}  # the blocks ran on the worker the app was waiting on


@python_app
def dask_compute_in_app(n):
    array = da.arange(n, chunks=n // 10)
    total, biggest = dask.compute(array.sum(), array.max())
    return int(total), int(biggest)


def test_dask_compute_inside_an_app_on_one_single_thread_worker(load_dfk, one_slot):
    load_dfk(executors=[DaskExecutor(cluster=one_slot)])
    assert dask_compute_in_app(1000).result(timeout=30) == (499500, 999)


@python_app
def submit_to_own_cluster(n):
    client = get_client()
    one = client.submit(lambda x: x + 1, 41).result()
    many = client.gather(client.map(lambda x: x * x, range(n)))
    collection = client.compute(da.ones(n, chunks=2).sum()).result()
    waited = client.submit(sum, [1, 2, 3])
    wait([waited])
    return one, sum(many), int(collection), waited.result()


def test_an_app_waits_for_futures_it_submits_to_its_own_cluster(load_dfk, one_slot):
    load_dfk(executors=[DaskExecutor(cluster=one_slot)])
    futures = [submit_to_own_cluster(10) for _ in range(3)]  # queued behind each other
    assert [f.result(timeout=30) for f in futures] == [(42, 285, 10, 6)] * 3

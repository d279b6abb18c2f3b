"""Dask interop: app.delayed, collections as arguments, dask futures as arguments."""
import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from distributed import Client

from dask_parsl import python_app


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

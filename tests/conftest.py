import pytest
from distributed import LocalCluster

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor


@pytest.fixture(scope="session")
def cluster():
    """One real LocalCluster of two worker processes, shared by the tests."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as local_cluster:
        yield local_cluster


@pytest.fixture
def run_dir(tmp_path):
    return str(tmp_path / "runinfo")


@pytest.fixture
def dfk(cluster, run_dir):
    """A loaded DataFlowKernel on the shared cluster, cleaned up afterwards."""
    kernel = parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir))
    yield kernel
    if not kernel.cleanup_called:
        kernel.cleanup()


@pytest.fixture
def load_dfk(cluster, run_dir):
    """``load_dfk(**config)``: load a DataFlowKernel on the shared cluster with these Config options."""
    kernels = []

    def load(**options):
        options.setdefault("executors", [DaskExecutor(cluster=cluster)])
        options.setdefault("run_dir", run_dir)
        kernels.append(parsl.load(Config(**options)))
        return kernels[-1]

    yield load
    for kernel in kernels:
        if not kernel.cleanup_called:
            kernel.cleanup()


@pytest.fixture(autouse=True)
def no_kernel_left_loaded():
    yield
    parsl.clear()

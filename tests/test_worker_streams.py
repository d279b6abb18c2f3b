"""The scheduler sends to workers at once on small clusters, and batches as Dask does
on large ones (``parsl.worker-streams``)."""
import time

import dask.config
from distributed import LocalCluster

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, python_app


@python_app
def step(previous, i):
    return i


def stream_intervals(client):
    return client.run_on_scheduler(
        lambda dask_scheduler: sorted(stream.interval for stream in dask_scheduler.stream_comms.values()))


def wait_for_workers(client, n):
    deadline = time.monotonic() + 60
    while len(client.scheduler_info()["workers"]) != n:
        assert time.monotonic() < deadline, f"the cluster never had {n} workers"
        time.sleep(0.1)


def test_the_interval_follows_the_size_of_the_cluster(run_dir):
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0") as cluster:
        with dask.config.set({"parsl.worker-streams.max-workers": 2}):
            kernel = parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir))
        with kernel:
            client = kernel.executors["dask"].client
            assert stream_intervals(client) == [0, 0]
            cluster.scale(3)
            wait_for_workers(client, 3)
            assert stream_intervals(client) == [0.005] * 3  # Dask's own, past max-workers
            cluster.scale(2)
            wait_for_workers(client, 2)
            assert stream_intervals(client) == [0, 0]
            last = None
            for i in range(50):
                last = step(last, i)
            assert last.result() == 49

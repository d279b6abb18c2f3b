"""The scheduler sends to workers at once on small clusters, and batches as Dask does
on large ones; an idle worker reports a completion at once, a busy one batches
(``parsl.worker-streams``)."""
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


def test_an_idle_worker_reports_at_once_and_a_busy_one_batches(run_dir):
    with dask.config.set({"distributed.scheduler.worker-saturation": float("inf")}):
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0")
    with cluster, parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)) as kernel:
        client = kernel.executors["dask"].client
        client.run(lambda dask_worker: setattr(dask_worker.batched_stream, "interval", 1.0))  # Dask: 2ms

        def batches_sent():
            return sum(client.run(lambda dask_worker: dask_worker.batched_stream.batch_count).values())

        started, last = time.monotonic(), None
        for i in range(10):
            last = step(last, i)
        assert last.result() == 9
        assert time.monotonic() - started < 5  # each hop waiting out the interval: over 9 s

        before = batches_sent()
        assert [f.result() for f in [step(None, i) for i in range(30)]] == list(range(30))
        assert batches_sent() - before < 10  # 30 completions while others wait to run

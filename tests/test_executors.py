"""Executors: the embedded LocalCluster, given clusters, addresses, threads, routing."""
import os
import threading
import time

import pytest
from distributed import Client, LocalCluster

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, ThreadPoolExecutor, python_app


@python_app
def where():
    return os.getpid(), threading.current_thread().name


@python_app
def add(a, b):
    return a + b


@python_app(executors=["threads"])
def on_threads(x):
    return x, os.getpid()


@python_app(executors=["dask"])
def on_dask(x):
    return x * 10, os.getpid()


def test_default_load_starts_a_local_cluster_of_processes(run_dir):
    with parsl.load(Config(run_dir=run_dir)) as kernel:
        executor = kernel.executors["dask"]
        info = executor.client.scheduler_info()
        workers = info["workers"].values()
        assert len(workers) == os.cpu_count()
        assert all(w["nthreads"] == 1 for w in workers)
        assert executor.scheduler_address.startswith("tls://127.0.0.1:")
        assert executor.client.scheduler.address.startswith("inproc://")  # its scheduler runs in this process
        assert executor.dashboard_link.startswith("http://127.0.0.1:")
        pids = {where().result()[0] for _ in range(8)}
        assert os.getpid() not in pids
        worker_pids = set(executor.client.run(os.getpid).values())
        assert pids <= worker_pids
        # the developer logs of a scheduler in this process are short (parsl.low-level-log-length)
        assert executor.cluster.scheduler.transition_log.maxlen == 100
    assert executor.cluster is None  # the embedded cluster was closed


def test_cleanup_leaves_nothing_of_the_embedded_scheduler_in_this_process(run_dir):
    """A notebook may load and clean up many times: the scheduler each load() started in
    the kernel's process, with its state and logs, is freed at cleanup."""
    import gc
    import weakref

    with parsl.load(Config(run_dir=run_dir)) as kernel:
        assert add(1, 2).result(timeout=60) == 3
        scheduler = weakref.ref(kernel.executors["dask"].cluster.scheduler)
    gc.collect()
    assert scheduler() is None


def test_scheduler_address_and_client(cluster, run_dir):
    with parsl.load(Config(executors=[DaskExecutor(cluster=cluster.scheduler_address)], run_dir=run_dir)):
        assert add(1, 2).result() == 3
    with Client(cluster) as client:
        with parsl.load(Config(executors=[DaskExecutor(cluster=client)], run_dir=run_dir)):
            assert add(2, 2).result() == 4
        assert client.status == "running"  # a user's client is left open


@python_app
def meet(barrier):
    barrier.wait(timeout=30)  # a Barrier cannot be pickled: it must be this very object
    return os.getpid(), threading.current_thread().name


def test_thread_pool_executor_runs_in_threads_of_this_process(run_dir):
    with parsl.load(Config(executors=[ThreadPoolExecutor(max_threads=3)], run_dir=run_dir)):
        barrier = threading.Barrier(3)  # passes only if 3 apps run at once
        met = [f.result(timeout=60) for f in [meet(barrier) for _ in range(3)]]
        assert {pid for pid, _ in met} == {os.getpid()}
        assert all(name.startswith("ThreadPoolExecutor-threads") for _, name in met)


def test_routing_by_label_and_dependencies_across_executors(cluster, run_dir):
    executors = [ThreadPoolExecutor(label="threads"), DaskExecutor(label="dask", cluster=cluster)]
    config = Config(executors=executors, run_dir=run_dir)
    with parsl.load(config):
        first = on_threads(4)
        value, thread_pid = first.result()
        assert (value, thread_pid) == (4, os.getpid())
        second = on_dask(first[0])
        value, dask_pid = second.result()
        assert value == 40 and dask_pid != os.getpid()
        back = on_threads(second[0])
        assert back.result()[0] == 40
        assert add(on_threads(1)[0], on_dask(2)[0]).result() == 21


def test_constructor_rejects_local_options_with_a_cluster(cluster):
    with pytest.raises(ValueError, match="only apply"):
        DaskExecutor(cluster=cluster, n_workers=3)


def test_cluster_that_cannot_be_reached_fails_load_quickly(run_dir):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        with pytest.raises(OSError):
            parsl.load(Config(executors=[DaskExecutor(cluster="tcp://127.0.0.1:1")], run_dir=run_dir))
    with pytest.raises(parsl.NoDataFlowKernelError):
        parsl.dfk()


def test_scheduler_going_away_fails_pending_tasks(run_dir):
    import time

    @python_app
    def nap(seconds):
        time.sleep(seconds)
        return seconds

    # no workers: the task waits on the scheduler (a worker dying would be a failed try)
    cluster = LocalCluster(n_workers=0, processes=True, host="127.0.0.1", dashboard_address=":0")
    kernel = parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir))
    try:
        future = nap(60)
        time.sleep(1)
        cluster.close()
        error = future.exception(timeout=120)
        assert isinstance(error, parsl.ExecutorLost)
        assert "lost the connection to the scheduler of executor 'dask'" in str(error)
    finally:
        kernel.cleanup()


@python_app
def started_at(call_number):
    import time

    return time.monotonic(), call_number


def test_calls_start_in_the_order_they_were_made(run_dir):
    with parsl.load(Config(executors=[DaskExecutor(n_workers=1)], run_dir=run_dir)):
        started_at(-1).result()  # the worker is up
        futures = [started_at(i) for i in range(60)]  # one burst: one graph
        time.sleep(0.05)
        futures += [started_at(i) for i in range(60, 120)]  # the next graph runs after it
        starts = sorted(f.result(timeout=60) for f in futures)
    assert [call_number for _, call_number in starts] == list(range(120))

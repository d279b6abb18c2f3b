"""Throughput of the app layer against raw Dask (and Parsl, when installed).

Run by hand:  python bench/throughput.py [--tasks 10000] [--chain 300] [--memory-tasks 100000]

Everything runs in one process against one LocalCluster of 2 worker processes
x 1 thread, so the ratios compare like with like. Parsl's
HighThroughputExecutor (2 workers) runs the same work when ``parsl`` is
importable. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time

import dask.config
from distributed import Client, LocalCluster, wait

import dask_parsl
from dask_parsl import Config, DaskExecutor


def noop(x):
    return None


def step(x):
    return None if x is None else x


noop_app = dask_parsl.python_app(noop)
step_app = dask_parsl.python_app(step)


def median_of(runs: int, measure) -> float:
    return statistics.median(measure() for _ in range(runs))


def settle(client: Client) -> None:
    """Wait until the scheduler has forgotten earlier runs' tasks, then collect garbage,
    so one run's clean-up is never timed as part of the next."""
    deadline = time.monotonic() + 60
    while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)):
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    gc.collect()


def paired(client: Client, runs: int, raw, app) -> tuple[float, float, float]:
    """Median times of ``raw`` and ``app`` run alternately, and the median of their ratios."""
    pairs = []
    for _ in range(runs):
        settle(client)
        raw_time = raw()
        settle(client)
        pairs.append((raw_time, app()))
    raw_times, app_times = zip(*pairs, strict=True)
    ratio = statistics.median(raw_time / app_time for raw_time, app_time in pairs)
    return statistics.median(raw_times), statistics.median(app_times), ratio


def raw_map(client: Client, n: int) -> float:
    started = time.perf_counter()
    futures = client.map(noop, range(n), pure=False)
    wait(futures)
    return time.perf_counter() - started


def timed_chain(call, n: int) -> float:
    """Time ``n`` dependent calls, each taking the previous one's future."""
    started = time.perf_counter()
    value = call(0)
    for _ in range(n - 1):
        value = call(value)
    value.result()
    return time.perf_counter() - started


def app_map(n: int) -> float:
    started = time.perf_counter()
    futures = [noop_app(i) for i in range(n)]
    dask_parsl.wait_for_current_tasks()
    assert all(f.exception() is None for f in futures)
    return time.perf_counter() - started


def parsl_figures(n: int, chain: int) -> tuple[float, float] | None:
    try:
        import parsl
        from parsl.executors import HighThroughputExecutor
        from parsl.providers import LocalProvider
    except ImportError:
        return None
    config = parsl.Config(
        executors=[HighThroughputExecutor(
            label="htex", max_workers_per_node=2, address="127.0.0.1",
            provider=LocalProvider(init_blocks=1, min_blocks=1, max_blocks=1))],
        run_dir="/tmp/dask_parsl_bench_parsl",
    )
    # Parsl starts its interchange as a script found on PATH
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    p_noop, p_step = parsl.python_app(noop), parsl.python_app(step)
    with parsl.load(config):
        p_noop(0).result()  # wait for the workers to connect

        def map_run() -> float:
            started = time.perf_counter()
            futures = [p_noop(i) for i in range(n)]
            [f.result() for f in futures]
            return time.perf_counter() - started

        return median_of(3, map_run), median_of(3, lambda: timed_chain(p_step, chain))


def client_memory_per_task(n: int) -> tuple[float, int]:
    """Client RSS growth per finished, dropped task; scheduler in its own process."""
    import psutil

    port = 18000 + os.getpid() % 1000
    address = f"tcp://127.0.0.1:{port}"
    saturation = str(dask.config.get("parsl.local-cluster.worker-saturation"))
    env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION=saturation)
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", str(port), "--dashboard-address", ":0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    workers = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "2",
         "--nthreads", "1", "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        config = Config(executors=[DaskExecutor(cluster=address)], run_dir="/tmp/dask_parsl_bench")
        with dask_parsl.load(config) as dfk:
            dfk.executors["dask"].client.wait_for_workers(2, timeout=60)
            app_map(2000)  # warm up
            gc.collect()
            before = psutil.Process().memory_info().rss
            for _ in range(n // 10000):
                app_map(10000)
            gc.collect()
            grown = psutil.Process().memory_info().rss - before
            left = len(dfk.tasks)
        return grown / n, left
    finally:
        workers.terminate()
        scheduler.terminate()
        workers.wait(30)
        scheduler.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--chain", type=int, default=300)
    parser.add_argument("--memory-tasks", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    # the scheduler setting dask_parsl's embedded LocalCluster uses (parsl.yaml)
    saturation = float(dask.config.get("parsl.local-cluster.worker-saturation"))
    print(f"LocalCluster: 2 worker processes x 1 thread, worker-saturation={saturation}")
    with dask.config.set({"distributed.scheduler.worker-saturation": saturation}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=":0")
    with cluster, Client(cluster) as client:
        client.submit(noop, 0).result()
        config = Config(executors=[DaskExecutor(cluster=cluster)], run_dir="/tmp/dask_parsl_bench")
        with dask_parsl.load(config):
            app_map(500)
            # alternate raw and app runs, so drift on a shared machine hits both alike
            raw_map_s, app_map_s, map_ratio = paired(
                client, args.runs, lambda: raw_map(client, args.tasks), lambda: app_map(args.tasks))
            raw_chain_s, app_chain_s, chain_ratio = paired(
                client, args.runs,
                lambda: timed_chain(lambda value: client.submit(step, value, pure=False), args.chain),
                lambda: timed_chain(step_app, args.chain))

    print(f"no-op x{args.tasks}: raw client.map {raw_map_s:.2f} s, dask_parsl {app_map_s:.2f} s "
          f"-> app throughput = {map_ratio:.2f} x raw (median of {args.runs} pairs; bar >= 0.95)")
    print(f"chain x{args.chain}: raw client.submit {raw_chain_s:.2f} s, dask_parsl {app_chain_s:.2f} s "
          f"-> {chain_ratio:.2f} x raw (bar >= 0.95)")
    parsl_times = parsl_figures(args.tasks, args.chain)
    if parsl_times is None:
        print("parsl is not installed: Parsl comparison skipped (pip install parsl)")
    else:
        p_map, p_chain = parsl_times
        print(f"Parsl HTEX (2 workers): no-op x{args.tasks} {p_map:.2f} s -> dask_parsl is "
              f"{p_map / app_map_s:.2f} x Parsl; chain x{args.chain} {p_chain:.2f} s -> "
              f"{p_chain / app_chain_s:.2f} x Parsl")
    if args.memory_tasks:
        per_task, left = client_memory_per_task(args.memory_tasks)
        print(f"{args.memory_tasks} tasks, futures dropped: client memory {per_task:.0f} B/task "
              f"(bar <= 2048), {left} task records left")


if __name__ == "__main__":
    main()

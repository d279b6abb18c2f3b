"""The scheduler's CPU per task as the cluster grows: what ``WorkflowPlugin`` and
``parsl.worker-streams`` cost.

Usage::

    python bench/control_plane.py [--workers 16 64 256] [--intervals 0ms 5ms] [--plugin on off]
                                  [--tasks 10000] [--repeats 2] [--json figures.json]

For each number of workers, each interval of the scheduler's streams to its workers
(0, dask_parsl's default on clusters up to ``parsl.worker-streams.max-workers``, and
Dask's 5 ms) and with ``WorkflowPlugin`` registered or not (``parsl.scheduler-plugin``;
the difference is what the plugin spends per task), a scheduler starts in its own
process and the workers (one thread each) in two processes of many ``Worker`` objects,
all on 127.0.0.1 over TCP. dask_parsl (``DaskExecutor(cluster=address)``) maps
``--tasks`` no-op calls, warmed up with 500, and reads every result with ``[f.result()
for f in futures]``. Printed: tasks per second, and the scheduler process's CPU seconds
(psutil) per task and per transition (a task's state changes on the scheduler: the events
the plugin sees), medians of ``--repeats`` runs; with ``--plugin on off``, also what the
plugin adds per task and per transition. On a 2-core machine the workers starve, so read
tasks per second as a floor; the CPU per task is what the scheduler itself spends.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time

WORKER_PROCESSES = 2
WORKERS_CHILD_FLAG = "--workers-child"


def start_workers_here(address: str, count: int) -> None:
    """Run ``count`` one-thread Workers in this process until it is killed."""
    from distributed import Worker

    async def run() -> None:
        await asyncio.gather(*[Worker(address, nthreads=1, dashboard=False, host="127.0.0.1")
                               for _ in range(count)])
        await asyncio.Event().wait()

    asyncio.run(run())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def noop(i: int) -> int:
    return i


def transitions(dask_scheduler) -> int:
    return dask_scheduler.transition_counter


def one_run(workers: int, interval: str, plugin: bool, tasks: int, run_dir: str) -> tuple[float, float, int]:
    """(seconds, scheduler CPU seconds, scheduler transitions) for ``tasks`` calls on a fresh cluster."""
    import dask.config
    import psutil
    from distributed import Client

    import dask_parsl
    from dask_parsl import Config, DaskExecutor

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children = [subprocess.Popen([sys.executable, __file__, WORKERS_CHILD_FLAG, address,
                                  str(workers // WORKER_PROCESSES)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for _ in range(WORKER_PROCESSES)]
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers // WORKER_PROCESSES * WORKER_PROCESSES, timeout=600)
        settings = {"parsl.worker-streams.interval": interval, "parsl.worker-streams.max-workers": 1_000_000,
                    "parsl.logging.level": "WARNING", "parsl.scheduler-plugin": plugin}
        app = dask_parsl.python_app(noop)
        executor = DaskExecutor(cluster=address)
        with dask.config.set(settings), dask_parsl.load(Config(executors=[executor], run_dir=run_dir)):
            [future.result() for future in [app(i) for i in range(500)]]
            process = psutil.Process(scheduler.pid)
            transitions_before = executor.client.run_on_scheduler(transitions)
            cpu_before, started = sum(process.cpu_times()[:2]), time.perf_counter()
            results = [future.result() for future in [app(i) for i in range(tasks)]]
            seconds, cpu = time.perf_counter() - started, sum(process.cpu_times()[:2]) - cpu_before
            changes = executor.client.run_on_scheduler(transitions) - transitions_before
        assert results == list(range(tasks))
        return seconds, cpu, changes
    finally:
        for process in [*children, scheduler]:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--intervals", nargs="+", default=["0ms", "5ms"])
    parser.add_argument("--plugin", nargs="+", choices=["on", "off"], default=["on"])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", help="also write the figures to this file")
    settings = parser.parse_args()
    figures = []
    with tempfile.TemporaryDirectory() as run_dir:
        for workers in settings.workers:
            for interval in settings.intervals:
                for plugin in settings.plugin:
                    runs = [one_run(workers, interval, plugin == "on", settings.tasks, run_dir)
                            for _ in range(settings.repeats)]
                    per_second = settings.tasks / statistics.median(run[0] for run in runs)
                    cpu_us = 1e6 * statistics.median(run[1] for run in runs) / settings.tasks
                    per_task = statistics.median(run[2] for run in runs) / settings.tasks
                    figures.append({"workers": workers, "interval": interval, "plugin": plugin,
                                    "tasks_per_second": per_second, "scheduler_cpu_us_per_task": cpu_us,
                                    "transitions_per_task": per_task})
                    print(f"{workers:5d} workers, interval {interval:>5}, plugin {plugin:>3}: "
                          f"{per_second:7.0f} tasks/s, scheduler CPU {cpu_us:5.0f} us/task, "
                          f"{cpu_us / per_task:4.0f} us/transition ({per_task:.1f} per task)", flush=True)
                by_plugin = {figure["plugin"]: figure for figure in figures[-len(settings.plugin):]}
                if {"on", "off"} <= set(by_plugin):
                    on, off = by_plugin["on"], by_plugin["off"]
                    added = on["scheduler_cpu_us_per_task"] - off["scheduler_cpu_us_per_task"]
                    print(f"{workers:5d} workers, interval {interval:>5}: the plugin adds {added:5.0f} "
                          f"us/task, {added / on['transitions_per_task']:4.0f} us/transition", flush=True)
    if settings.json:
        with open(settings.json, "w") as out:
            json.dump(figures, out, indent=1)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == WORKERS_CHILD_FLAG:
        start_workers_here(sys.argv[2], int(sys.argv[3]))
    else:
        main()

"""What monitoring costs: the same no-op workflow with and without ``MonitoringHub``, in one run.

Run by hand::

    python bench/monitoring.py [--tasks 100000] [--repeats 2] [--batch 10000]

Both sides submit ``--tasks`` no-op app calls in batches of ``--batch`` (each batch
read with ``[f.result() for f in futures]``) on the same given ``LocalCluster`` (2 worker
processes x 1 thread), a fresh kernel per run, alternating off, on, off, on... so drift
hits both alike. Monitoring writes SQLite (WAL) in the run directory, resource sampling
at Parsl's default interval (30 s). The time includes the kernel's cleanup, which writes
the last rows. Then ``dask-parsl monitor summary`` is timed on the last database. The
ratio "off / on" is the median of per-repeat ratios (1.0: monitoring costs nothing).
Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import dask_parsl
from dask_parsl import Config, DaskExecutor, MonitoringHub, python_app


@python_app
def noop(i):
    return i


def run(cluster, tasks: int, batch: int, run_dir: str, monitored: bool) -> float:
    monitoring = MonitoringHub() if monitored else None
    config = Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir, monitoring=monitoring)
    started = time.perf_counter()
    with dask_parsl.load(config):
        for first in range(0, tasks, batch):
            values = list(range(first, min(first + batch, tasks)))
            futures = [noop(i) for i in values]
            assert [f.result() for f in futures] == values
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=2)
    options = parser.parse_args()
    from distributed import LocalCluster

    root = tempfile.mkdtemp(prefix="bench-monitoring-")
    seconds: dict[str, list[float]] = {"off": [], "on": []}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster:
        for repeat in range(options.repeats):
            for side in ("off", "on"):
                run_dir = os.path.join(root, f"{side}-{repeat}")
                seconds[side].append(run(cluster, options.tasks, options.batch, run_dir, side == "on"))
                print(f"  {side:3} {options.tasks} tasks: {seconds[side][-1]:.2f} s", flush=True)
    database = os.path.join(root, f"on-{options.repeats - 1}", "monitoring.db")
    started = time.perf_counter()
    summary = subprocess.run([os.path.join(os.path.dirname(sys.executable), "dask-parsl"), "monitor",
                              "summary", database], capture_output=True, text=True, check=True)
    summary_seconds = time.perf_counter() - started
    ratio = statistics.median(off / on for off, on in zip(seconds["off"], seconds["on"], strict=True))
    print(f"\n{options.tasks} no-op tasks, medians of {options.repeats} alternating runs:")
    print(f"  off {statistics.median(seconds['off']):.2f} s, on {statistics.median(seconds['on']):.2f} s, "
          f"off/on {ratio:.3f} (monitoring costs {100 * (1 / ratio - 1):.1f} %)")
    print(f"  database {os.path.getsize(database) / 2**20:.1f} MiB; "
          f"dask-parsl monitor summary took {summary_seconds:.2f} s (process start included)")
    print(summary.stdout)


if __name__ == "__main__":
    main()

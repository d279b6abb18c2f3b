"""dask_parsl's ThreadPoolExecutor against Parsl's, on the same work and idioms.

Run by hand, with Parsl installed beside dask_parsl (the ``test`` extra)::

    python bench/threads.py [--tasks 5000] [--chain 300] [--threads 2] [--repeats 5]

Both sides run apps in threads of the calling process: ``[app(i) for i in range(n)]``
read with ``[f.result() for f in futures]``, and a chain of ``--chain`` calls each taking
the previous call's future. Each run is a fresh Python process (``--side``) that loads
its kernel, times the work, and cleans up; the sides alternate, so drift hits them alike.
The table shows medians and "dp vs parsl" = Parsl time / dask_parsl time (>= 1: dask_parsl
is faster). Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def run_side(side: str, tasks: int, chain: int, threads: int) -> dict:
    """Time the work in this process with ``side``'s kernel; returns seconds per measurement."""
    if side == "parsl":
        import parsl
        from parsl import Config, python_app
        from parsl.executors import ThreadPoolExecutor
    else:
        import dask_parsl as parsl
        from dask_parsl import Config, ThreadPoolExecutor, python_app

    @python_app
    def square(x):
        return x * x

    @python_app
    def increment(x):
        return x + 1

    run_dir = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bench-threads-{side}-{os.getpid()}")
    figures = {}
    with parsl.load(Config(executors=[ThreadPoolExecutor(max_threads=threads)], run_dir=run_dir)):
        started = time.perf_counter()
        results = [f.result() for f in [square(i) for i in range(tasks)]]
        figures["map result"] = time.perf_counter() - started
        assert results[-1] == (tasks - 1) ** 2
        started = time.perf_counter()
        future = increment(0)
        for _ in range(chain - 1):
            future = increment(future)
        assert future.result() == chain
        figures["chain"] = time.perf_counter() - started
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--chain", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--side", choices=["parsl", "dask_parsl"], help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.side:
        print(json.dumps(run_side(options.side, options.tasks, options.chain, options.threads)))
        return
    runs: dict[str, list[dict]] = {"dask_parsl": [], "parsl": []}
    for _ in range(options.repeats):
        for side in runs:
            child = subprocess.run(
                [sys.executable, __file__, "--side", side, "--tasks", str(options.tasks),
                 "--chain", str(options.chain), "--threads", str(options.threads)],
                capture_output=True, text=True, check=True)
            runs[side].append(json.loads(child.stdout.strip().splitlines()[-1]))
    print(f"ThreadPoolExecutor(max_threads={options.threads}); medians of {options.repeats} alternating runs")
    print(f"{'measurement':14} {'n':>6} | {'dask_parsl s':>12} {'parsl s':>8} | {'dp vs parsl':>11}")
    for name, n in (("map result", options.tasks), ("chain", options.chain)):
        ours = statistics.median(run[name] for run in runs["dask_parsl"])
        parsl = statistics.median(run[name] for run in runs["parsl"])
        pairs = zip(runs["parsl"], runs["dask_parsl"], strict=True)
        ratio = statistics.median(theirs[name] / mine[name] for theirs, mine in pairs)
        print(f"{name:14} {n:>6} | {ours:>12.3f} {parsl:>8.3f} | {ratio:>11.2f}")


if __name__ == "__main__":
    main()

"""What TLS costs: dask_parsl's default ``load()`` with ``parsl.encrypted`` on and off.

Usage::

    python bench/tls.py [--tasks 2000] [--chain 200] [--repeats 5] [--json figures.json]

Both sides are the same workflow on the embedded LocalCluster (one worker process per
core, the default), started afresh for each run and warmed up with 100 calls; only the
work is timed, with Parsl's idiom ``[f.result() for f in futures]``: ``--tasks`` no-op
calls, ``--tasks`` calls returning 100 KB each, and a chain of ``--chain`` dependent
calls. Runs alternate (on, off, off, on, ...) so drift hits both alike. The table gives
the median seconds of each side and the median of the per-repeat ratios off/on: 1.0 means
TLS costs nothing, 0.9 that the encrypted run takes 11 % longer. Printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import dask.config

import dask_parsl as parsl
from dask_parsl import Config, python_app

WORKLOADS = ("no-op", "100 KB", "chain")


@python_app
def noop(i):
    return None


@python_app
def payload(i, size=100_000):
    return bytes(size)


@python_app
def step(previous, i):
    return i


def run(workload: str, tasks: int, chain: int) -> float:
    started = time.perf_counter()
    if workload == "no-op":
        [future.result() for future in [noop(i) for i in range(tasks)]]
    elif workload == "100 KB":
        [future.result() for future in [payload(i) for i in range(tasks)]]
    else:
        last = None
        for i in range(chain):
            last = step(last, i)
        last.result()
    return time.perf_counter() - started


def one_run(encrypted: bool, tasks: int, chain: int, run_dir: str) -> dict[str, float]:
    with dask.config.set({"parsl.encrypted": encrypted, "parsl.logging.level": "WARNING"}):
        with parsl.load(Config(run_dir=run_dir)):
            [future.result() for future in [noop(i) for i in range(100)]]  # warm-up
            return {workload: run(workload, tasks, chain) for workload in WORKLOADS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--chain", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--run-dir", default="bench-runinfo")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    times: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for repeat in range(args.repeats):
        for encrypted in ((True, False) if repeat % 2 == 0 else (False, True)):
            times[encrypted].append(one_run(encrypted, args.tasks, args.chain, args.run_dir))
    figures = {}
    print(f"{'workload':<10} {'TLS on (s)':>11} {'TLS off (s)':>12} {'off/on':>7}")
    for workload in WORKLOADS:
        on = [run_times[workload] for run_times in times[True]]
        off = [run_times[workload] for run_times in times[False]]
        ratio = statistics.median(b / a for a, b in zip(on, off, strict=True))
        figures[workload] = {"on": statistics.median(on), "off": statistics.median(off), "off_over_on": ratio}
        print(f"{workload:<10} {statistics.median(on):>11.3f} {statistics.median(off):>12.3f} {ratio:>7.2f}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"settings": vars(args), "figures": figures}, out, indent=2)


if __name__ == "__main__":
    main()

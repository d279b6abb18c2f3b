"""Data pipelines: arrays passed between apps, against raw Dask and Parsl's HighThroughputExecutor;
and a pipeline holding more than its workers' memory, by worker-saturation.

Usage::

    python3 -m venv /tmp/pv && /tmp/pv/bin/pip install parsl numpy
    python bench/pipeline.py --parsl-venv /tmp/pv [--chunks 32] [--repeats 3] [--days 40] [--json F]

**Arrays between apps.** One script, run by each side in a fresh process with only its
import changed: ``import parsl``, ``import dask_parsl as parsl``, or raw Dask (each app a
``client.submit`` on a LocalCluster with a temporary TLS ``Security``, as dask_parsl's).
Two workers (``HighThroughputExecutor(max_workers_per_node=2)``; Parsl's unencrypted, its
default). Per chunk: ``generate`` makes an array of 2 million float64 (16 MB),
``standardize`` returns a new one, ``describe`` reduces it to 3 floats; read with
``[f.result() for f in futures]`` and timed from the first call to the last result.
Printed: median seconds, and each side's time over dask_parsl's (>= 1: dask_parsl faster).

**More than memory.** docs/examples/xarray_pipeline.py (``--days`` days of 100 MB of
xarray datasets, every future kept, two workers of 1 GiB) with
``parsl.local-cluster.worker-saturation`` 1.1, 2 and inf (the default), once each: its
time as it prints it (first call to last result), the peak memory of a worker process
(sampled every 0.2 s) and how many worker processes were started (more than 2: a nanny
restarted one).
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import psutil
from cached_runs import run_in_session  # (bench/ is on sys.path when a bench runs)

SIDES = ("dask_parsl", "dask", "parsl")
SATURATIONS = ("1.1", "2", "inf")
EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "docs", "examples", "xarray_pipeline.py")

SCRIPT = r"""
import json, sys, time
package, chunks = sys.argv[1], int(sys.argv[2])
if package == "dask":
    from distributed import Client, LocalCluster
    from distributed.security import Security

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, security=Security.temporary(),
                           dashboard_address=":0")
    client = Client(cluster)

    def python_app(func):
        return lambda *args: client.submit(func, *args, pure=False)
else:
    if package == "parsl":
        import parsl
        from parsl.executors import HighThroughputExecutor
        from parsl.providers import LocalProvider
    else:
        import dask_parsl as parsl
        from dask_parsl.executors import HighThroughputExecutor
        from dask_parsl.providers import LocalProvider
    python_app = parsl.python_app
    parsl.load(parsl.Config(executors=[HighThroughputExecutor(
        label="htex", max_workers_per_node=2, address="127.0.0.1",
        provider=LocalProvider(init_blocks=1, min_blocks=1, max_blocks=1))], run_dir=sys.argv[3]))


@python_app
def generate(i):
    import numpy as np
    return np.random.default_rng(i).standard_normal(2_000_000)


@python_app
def standardize(values):
    return (values - values.mean()) / values.std()


@python_app
def describe(values):
    return float(values.mean()), float(values.std()), float(values.max())


[f.result() for f in [describe(generate(1000 + i)) for i in range(4)]]  # workers up, code warm
started = time.perf_counter()
summaries = [f.result() for f in [describe(standardize(generate(i))) for i in range(chunks)]]
seconds = time.perf_counter() - started
assert len(summaries) == chunks and all(abs(std - 1) < 1e-9 for _, std, _ in summaries)
print(json.dumps({"seconds": seconds}))
if package == "dask":
    client.close()
    cluster.close()
else:
    parsl.dfk().cleanup()
"""


def _sample_workers(process: subprocess.Popen, peaks: dict) -> None:
    """Record the peak memory of each worker process of ``process``, by pid, until it ends."""
    parent = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            children = parent.children(recursive=True)
        except psutil.NoSuchProcess:
            return
        for child in children:
            try:
                if " ".join(child.cmdline()).startswith("dask worker"):  # (the title a worker process sets)
                    peaks[child.pid] = max(peaks.get(child.pid, 0), child.memory_info().rss)
            except psutil.Error:
                pass
        time.sleep(0.2)


def arrays_between_apps(settings: argparse.Namespace, path: str) -> dict:
    pythons = {"dask_parsl": sys.executable, "dask": sys.executable,
               "parsl": os.path.join(os.path.abspath(settings.parsl_venv), "bin", "python")}
    seconds: dict = {side: [] for side in SIDES}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(settings.repeats):
            for side in SIDES if repeat % 2 == 0 else SIDES[::-1]:
                out = run_in_session([pythons[side], "-c", SCRIPT, side, str(settings.chunks),
                                      os.path.join(scratch, f"{side}-{repeat}")], path, scratch)
                seconds[side].append(json.loads(out.strip().splitlines()[-1])["seconds"])
            print(f"repeat {repeat + 1}: " + ", ".join(f"{side} {seconds[side][-1]:.2f} s" for side in SIDES),
                  flush=True)
    print(f"\n{settings.chunks} chunks of 16 MB through 3 apps, medians of {settings.repeats}")
    print(f"{'side':<12}{'seconds':>10}{'side/dp':>10}")
    figures = {}
    for side in SIDES:
        ratio = statistics.median(s / d for s, d in zip(seconds[side], seconds["dask_parsl"], strict=True))
        figures[side] = {"seconds": statistics.median(seconds[side]), "over_dask_parsl": ratio}
        print(f"{side:<12}{figures[side]['seconds']:10.2f}{ratio:10.2f}")
    return {"seconds": seconds, "figures": figures}


def more_than_memory(settings: argparse.Namespace, path: str) -> dict:
    figures = {}
    print(f"\n{EXAMPLE}, {settings.days} days, 2 workers of 1GiB")
    print(f"{'worker-saturation':<20}{'seconds':>10}{'peak worker MiB':>18}{'workers started':>18}")
    for saturation in SATURATIONS:
        with tempfile.TemporaryDirectory() as scratch:
            env = dict(os.environ, DASK_PARSL__LOCAL_CLUSTER__WORKER_SATURATION=saturation)
            peaks: dict = {}
            out = run_in_session([sys.executable, EXAMPLE, str(settings.days), "1GiB"], path, scratch, env,
                                 functools.partial(_sample_workers, peaks=peaks))
        seconds = float(out.split(", in ")[1].split(" s")[0])  # from its first call to its last result
        peak = max(peaks.values(), default=0)
        figures[saturation] = {"seconds": seconds, "peak_worker_bytes": peak, "workers_started": len(peaks),
                               "output": out.strip()}
        print(f"{saturation:<20}{seconds:10.1f}{peak / 2**20:18.0f}{len(peaks):18d}", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parsl-venv", required=True, help="a venv with parsl and numpy installed")
    parser.add_argument("--chunks", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--days", type=int, default=40, help="days of the pipeline past memory (0: skip)")
    parser.add_argument("--json", help="also write the figures to this file")
    settings = parser.parse_args()
    path = os.environ.get("PATH", "")
    figures = {"arrays between apps": arrays_between_apps(settings, path)}
    if settings.days:
        figures["more than memory"] = more_than_memory(settings, path)
    if settings.json:
        with open(settings.json, "w") as out:
            json.dump({"chunks": settings.chunks, "days": settings.days, **figures}, out, indent=1)


if __name__ == "__main__":
    main()

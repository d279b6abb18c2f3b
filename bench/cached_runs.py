"""A cached workflow's first run and its resume, against Parsl's HighThroughputExecutor.

Usage::

    python3 -m venv /tmp/pv && /tmp/pv/bin/pip install parsl
    python bench/cached_runs.py --parsl-venv /tmp/pv [--tasks 5000] [--repeats 3] [--json figures.json]

One script, run by both sides with only its import changed (``import parsl`` or ``import
dask_parsl as parsl``), each run in a fresh process: a ``HighThroughputExecutor`` with 2
workers on a ``LocalProvider`` (Parsl's HTEX unencrypted, its default; dask_parsl's with
TLS, its default), ``--tasks`` calls of an app that sleeps 2 ms, read with ``[f.result()
for f in futures]``, timed from the first call to the last result (after 100 warm-up calls
that wait for the workers). Three runs per side and repeat, alternating sides:

* uncached: ``@python_app``;
* first run: ``@python_app(cache=True)`` with ``checkpoint_mode="task_exit"``, in a new
  run directory;
* resume: the same again, with ``checkpoint_files=get_all_checkpoints(run_dir)``: every
  call is answered from the first run's checkpoints.

Printed: median seconds, and Parsl's time / dask_parsl's (>= 1: dask_parsl is faster).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from typing import Callable

KINDS = ("uncached", "first run", "resume")

SCRIPT = r"""
import json, sys, time
package, tasks, run_dir = sys.argv[1], int(sys.argv[2]), sys.argv[4]
cached, resume = sys.argv[3] == "1", sys.argv[5] == "1"
if package == "parsl":
    import parsl
    from parsl.dataflow.memoization import BasicMemoizer
    from parsl.executors import HighThroughputExecutor
    from parsl.providers import LocalProvider
    from parsl.utils import get_all_checkpoints
else:
    import dask_parsl as parsl
    from dask_parsl import BasicMemoizer, get_all_checkpoints
    from dask_parsl.executors import HighThroughputExecutor
    from dask_parsl.providers import LocalProvider

@parsl.python_app(cache=cached)
def work(i):
    import time
    time.sleep(0.002)
    return i

memoizer = BasicMemoizer(checkpoint_mode="task_exit",
                         checkpoint_files=get_all_checkpoints(run_dir) if resume else None)
config = parsl.Config(
    executors=[HighThroughputExecutor(label="htex", max_workers_per_node=2, address="127.0.0.1",
                                      provider=LocalProvider(init_blocks=1, min_blocks=1, max_blocks=1))],
    run_dir=run_dir, memoizer=memoizer)
with parsl.load(config):
    [f.result() for f in [work(-i) for i in range(1, 101)]]
    started = time.perf_counter()
    results = [f.result() for f in [work(i) for i in range(tasks)]]
    seconds = time.perf_counter() - started
assert results == list(range(tasks))
print(json.dumps({"seconds": seconds}))
"""


def run_in_session(argv: list[str], path: str, cwd: str | None = None, env: dict | None = None,
                   while_running: Callable[[subprocess.Popen], None] | None = None) -> str:
    """Run ``argv`` (its interpreter's directory first on ``path``) in a session of its own,
    killed after with whatever it left behind (Parsl's worker pool); its stdout."""
    env = dict(os.environ if env is None else env, PATH=os.path.dirname(argv[0]) + os.pathsep + path)
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               cwd=cwd, start_new_session=True)
    try:
        if while_running is not None:
            while_running(process)
        out, err = process.communicate(timeout=1800)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if process.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed:\n{err[-3000:]}")
    return out


def run_side(python: str, package: str, tasks: int, cached: bool, run_dir: str, resume: bool,
             path: str) -> float:
    flags = ["1" if cached else "0", run_dir, "1" if resume else "0"]
    out = run_in_session([python, "-c", SCRIPT, package, str(tasks), *flags], path)
    return json.loads(out.strip().splitlines()[-1])["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parsl-venv", required=True)
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this file")
    settings = parser.parse_args()
    sides = {"dask_parsl": (sys.executable, "dask_parsl"),
             "parsl": (os.path.join(os.path.abspath(settings.parsl_venv), "bin", "python"), "parsl")}
    path = os.environ.get("PATH", "")
    seconds: dict = {kind: {side: [] for side in sides} for kind in KINDS}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(settings.repeats):
            order = list(sides) if repeat % 2 == 0 else list(sides)[::-1]
            for side in order:
                python, package = sides[side]
                base = os.path.join(scratch, f"{side}-{repeat}")
                seconds["uncached"][side].append(
                    run_side(python, package, settings.tasks, False, base + "-uncached", False, path))
                seconds["first run"][side].append(
                    run_side(python, package, settings.tasks, True, base + "-cached", False, path))
                seconds["resume"][side].append(
                    run_side(python, package, settings.tasks, True, base + "-cached", True, path))
            latest = (f"{kind} {side} {seconds[kind][side][-1]:.2f} s" for kind in KINDS for side in sides)
            print(f"repeat {repeat + 1}: " + ", ".join(latest), flush=True)
    print(f"\n{settings.tasks} calls of 2 ms, medians of {settings.repeats}")
    print(f"{'run':<12}{'dask_parsl (s)':>16}{'Parsl (s)':>12}{'Parsl/dp':>10}")
    figures = {}
    for kind in KINDS:
        dp, parsl = statistics.median(seconds[kind]["dask_parsl"]), statistics.median(seconds[kind]["parsl"])
        ratio = statistics.median(p / d for p, d in zip(seconds[kind]["parsl"], seconds[kind]["dask_parsl"],
                                                        strict=True))
        figures[kind] = {"dask_parsl": dp, "parsl": parsl, "parsl_over_dask_parsl": ratio}
        print(f"{kind:<12}{dp:16.2f}{parsl:12.2f}{ratio:10.2f}")
    first, resume = figures["first run"], figures["resume"]
    print(f"resume / first run: dask_parsl {100 * resume['dask_parsl'] / first['dask_parsl']:.1f} %, "
          f"Parsl {100 * resume['parsl'] / first['parsl']:.1f} %")
    if settings.json:
        with open(settings.json, "w") as out:
            json.dump({"tasks": settings.tasks, "seconds": seconds, "figures": figures}, out, indent=1)


if __name__ == "__main__":
    main()

"""What WorkflowPlugin costs, and how fast a finished cached workflow resumes.

Run by hand:  python bench/plugin_and_resume.py [--tasks 10000] [--resume-tasks 5000]

* plugin on vs off: no-op app throughput on two LocalClusters (2 worker
  processes x 1 thread), one with WorkflowPlugin registered and one without,
  run alternately; the median of the per-pair ratios.
* resume: a cached workflow (half first-stage tasks, half second-stage tasks
  each taking a first-stage future) run once with checkpoint_mode="task_exit",
  then again in a new run that finds every result in the checkpoints. Parsl's
  HighThroughputExecutor (2 workers) runs the same workflow with its own
  checkpoints when ``parsl`` is importable. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

import dask.config
from distributed import LocalCluster

import dask_parsl
from dask_parsl import Config, DaskExecutor

sys.path.insert(0, os.path.dirname(__file__))
from throughput import app_map  # noqa: E402


def first_stage(i):
    return i * i


def second_stage(earlier, i):
    return earlier + i


def local_cluster() -> LocalCluster:
    saturation = float(dask.config.get("parsl.local-cluster.worker-saturation"))
    with dask.config.set({"distributed.scheduler.worker-saturation": saturation}):
        return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address=":0")


def time_map_on(cluster: LocalCluster, n: int, plugin: bool, run_dir: str) -> float:
    with dask.config.set({"parsl.scheduler-plugin": plugin}):
        with dask_parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)):
            app_map(200)
            return app_map(n)


def plugin_overhead(n: int, runs: int, run_dir: str) -> tuple[float, float, float]:
    with local_cluster() as with_plugin, local_cluster() as without_plugin:
        pairs = []
        for run in range(runs):  # alternate which goes first: this machine drifts
            if run % 2:
                on = time_map_on(with_plugin, n, True, run_dir)
                off = time_map_on(without_plugin, n, False, run_dir)
            else:
                off = time_map_on(without_plugin, n, False, run_dir)
                on = time_map_on(with_plugin, n, True, run_dir)
            pairs.append((off, on))
    offs, ons = zip(*pairs, strict=True)
    return statistics.median(offs), statistics.median(ons), statistics.median(off / on for off, on in pairs)


def run_workflow(first, second, n: int) -> tuple[float, list]:
    """Time from the first call to the last result of ``n`` cached tasks."""
    started = time.perf_counter()
    firsts = [first(i) for i in range(n // 2)]
    finals = [second(f, i) for i, f in enumerate(firsts)]
    results = [f.result() for f in finals]
    return time.perf_counter() - started, results


def dask_parsl_resume(n: int, root: str, resumes: int = 5) -> tuple[float, float, float, float]:
    """The first run, then the median of ``resumes`` runs resuming from its checkpoints
    (the median: a resume is short enough that one garbage collection more or less shows)."""
    first = dask_parsl.python_app(first_stage, cache=True)
    second = dask_parsl.python_app(second_stage, cache=True)
    times = []
    with local_cluster() as cluster:
        for _ in range(1 + resumes):
            loading = time.perf_counter()
            config = Config(executors=[DaskExecutor(cluster=cluster)], run_dir=root,
                            checkpoint_mode="task_exit")
            with dask_parsl.load(config) as dfk:
                load_s = time.perf_counter() - loading
                elapsed, results = run_workflow(first, second, n)
                hits = sum(dfk.memoizer.hits.values())
            times.append((load_s, elapsed, results, hits))
    load1, first_s, results1, _ = times[0]
    for _, _, results, hits in times[1:]:
        assert results == results1 and hits == n, (hits, n)
    return (load1, first_s, statistics.median(t[0] for t in times[1:]),
            statistics.median(t[1] for t in times[1:]))


def parsl_resume(n: int, root: str) -> tuple[float, float, float, float] | None:
    try:
        import parsl
        from parsl.dataflow.memoization import BasicMemoizer
        from parsl.executors import HighThroughputExecutor
        from parsl.providers import LocalProvider
    except ImportError:
        return None
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    first = parsl.python_app(first_stage, cache=True)
    second = parsl.python_app(second_stage, cache=True)
    times = []
    for _ in range(2):
        config = parsl.Config(
            executors=[HighThroughputExecutor(
                label="htex", max_workers_per_node=2, address="127.0.0.1",
                provider=LocalProvider(init_blocks=1, min_blocks=1, max_blocks=1))],
            memoizer=BasicMemoizer(checkpoint_mode="task_exit"), run_dir=root)
        loading = time.perf_counter()
        with parsl.load(config):
            load_s = time.perf_counter() - loading
            elapsed, results = run_workflow(first, second, n)
        times.append((load_s, elapsed, results))
    (load1, first_s, results1), (load2, resume_s, results2) = times
    assert results1 == results2
    return load1, first_s, load2, resume_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--resume-tasks", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--skip-plugin", action="store_true", help="only measure the resume")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="dask_parsl_bench_")
    try:
        if not args.skip_plugin:
            off, on, ratio = plugin_overhead(args.tasks, args.runs, os.path.join(scratch, "plugin"))
            print(f"no-op x{args.tasks}: plugin off {off:.2f} s, on {on:.2f} s -> with the plugin "
                  f"{ratio:.3f} x the throughput without (median of {args.runs} pairs; bar >= 0.95)")
        load1, first_s, load2, resume_s = dask_parsl_resume(args.resume_tasks, os.path.join(scratch, "dp"))
        print(f"dask_parsl, {args.resume_tasks} cached tasks: first run {first_s:.2f} s, resume "
              f"{resume_s:.3f} s (median of 5) = {100 * resume_s / first_s:.1f} % of the first run "
              "(bar <= 5 %); "
              f"load() {load1:.3f} s / {load2:.3f} s")
        parsl_times = parsl_resume(args.resume_tasks, os.path.join(scratch, "parsl"))
        if parsl_times is None:
            print("parsl is not installed: Parsl comparison skipped (pip install parsl)")
        else:
            p_load1, p_first, p_load2, p_resume = parsl_times
            print(f"Parsl HTEX (2 workers), same workflow: first run {p_first:.2f} s, resume "
                  f"{p_resume:.3f} s = {100 * p_resume / p_first:.1f} %; load() {p_load1:.2f} s / "
                  f"{p_load2:.2f} s -> dask_parsl resumes {p_resume / resume_s:.1f} x faster; "
                  f"with load(): {(p_load2 + p_resume) / (load2 + resume_s):.1f} x")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

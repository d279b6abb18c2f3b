"""What walltime renewal and lost-job watching cost the scheduler each second, as the
cluster grows.

Usage::

    python bench/job_bookkeeping.py [--workers 16 64 256 1024] [--per-job 1 8] [--tasks 0 100000]

``JobRenewal`` and ``LostJobs`` each run a check once a second in the scheduler's
process. A check reads the scheduler's workers and the cluster's jobs, never its tasks,
so it should cost O(workers + jobs) whatever the number of tasks. This bench times one
check of each (median of 2,000) on a stand-in for a dask-jobqueue cluster: ``--workers``
workers in jobs of ``--per-job`` workers (named as dask-jobqueue names them), with
``--tasks`` tasks on the scheduler. Only the bookkeeping is measured; the real
clusters run in tests/slurm.
"""
from __future__ import annotations

import argparse
import statistics
import time
from types import SimpleNamespace

from distributed.core import Status

from dask_parsl.executors.job_renewal import JobRenewal
from dask_parsl.executors.lost_jobs import LostJobs


def stand_in_cluster(workers: int, per_job: int, tasks: int) -> SimpleNamespace:
    jobs = workers // per_job
    group = ["-" + str(process) for process in range(per_job)] if per_job > 1 else [""]
    names = [f"cluster-{job}" for job in range(jobs)]
    scheduler = SimpleNamespace(
        workers={f"tcp://10.0.{i // 250}.{i % 250}:4000": SimpleNamespace(name=f"{name}{suffix}")
                 for i, (name, suffix) in enumerate((n, s) for n in names for s in group)},
        tasks={f"task-{i}": None for i in range(tasks)})
    submitted = {name: SimpleNamespace(job_id=str(1000 + i)) for i, name in enumerate(names)}
    return SimpleNamespace(scheduler=scheduler, status=Status.running, workers=submitted,
                           worker_spec={name: {"group": group} for name in names})


def median_seconds(check, repeats: int = 2000) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        check()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run_to_end(coroutine) -> None:
    """Run a coroutine that never waits (a check with nothing to ask the batch system)."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    raise AssertionError("the check waited for something")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[16, 64, 256, 1024])
    parser.add_argument("--per-job", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--tasks", type=int, nargs="+", default=[0, 100_000])
    settings = parser.parse_args()
    for per_job in settings.per_job:
        for workers in settings.workers:
            for tasks in settings.tasks:
                cluster = stand_in_cluster(workers, per_job, tasks)
                renewal = JobRenewal(cluster, walltime=3600 * 24, margin="5m", adaptive=True)
                lost = LostJobs(cluster, listing=lambda user: set())
                renewal_us = 1e6 * median_seconds(renewal._check)
                lost_us = 1e6 * median_seconds(lambda lost=lost: run_to_end(lost._check()))
                print(f"{workers:5d} workers, {per_job} per job, {tasks:6d} tasks: walltime renewal "
                      f"{renewal_us:6.1f} us, lost jobs {lost_us:6.1f} us per check", flush=True)


if __name__ == "__main__":
    main()

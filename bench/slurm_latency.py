"""Latency on a real Slurm: load() to the first task finished, and recovery after scancel.

Run by hand, with Slurm up (sudo bash ci/start_slurm.sh):
    python bench/slurm_latency.py [--repeats 3] [--parsl-venv /path/to/venv-with-parsl]

Each figure is the median of ``--repeats`` runs, for dask_parsl and for raw
dask-jobqueue (a SLURMCluster and a Client) in the same run; with
``--parsl-venv``, Parsl's HighThroughputExecutor on the same Slurm too (its
workers need Parsl installed: the venv's activate script is their worker_init).
Recovery is the time from ``scancel`` of the job running a 3 s task until that
task's result arrives, minus the 3 s it needs to run again on the other job.
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

import dask.config
import dask_jobqueue  # noqa: F401  (its config defaults, before ours)
from distributed import Client

import dask_parsl
from dask_parsl import Config, HighThroughputExecutor
from dask_parsl.providers import SlurmProvider

TASK_SECONDS = 3.0


def job_of_this_worker(mark_file=None, seconds=0.0):
    import os
    import time

    if mark_file:
        with open(mark_file, "w") as mark:
            mark.write(os.environ["SLURM_JOB_ID"])
    time.sleep(seconds)
    return os.environ["SLURM_JOB_ID"]


app = dask_parsl.python_app(job_of_this_worker)


def provider(jobs: int) -> SlurmProvider:
    return SlurmProvider(partition="debug", cores_per_node=1, mem_per_node=1, init_blocks=jobs,
                         max_blocks=jobs, walltime="00:10:00", exclusive=False)


def scancel_the_job_in(mark_file: str) -> float:
    while not os.path.exists(mark_file) or not open(mark_file).read():
        time.sleep(0.01)
    subprocess.run(["scancel", open(mark_file).read()], check=True)
    return time.monotonic()


def dask_parsl_first_task(run_dir: str) -> float:
    started = time.monotonic()
    with dask_parsl.load(Config(executors=[HighThroughputExecutor(provider=provider(1))], run_dir=run_dir)):
        app().result()
        return time.monotonic() - started


def dask_parsl_recovery(run_dir: str) -> float:
    with dask_parsl.load(Config(executors=[HighThroughputExecutor(provider=provider(2))], run_dir=run_dir,
                                retries=1)):
        app().result()
        mark = os.path.join(run_dir, "mark")
        future = app(mark, TASK_SECONDS)
        cancelled = scancel_the_job_in(mark)
        future.result()
        return time.monotonic() - cancelled - TASK_SECONDS


def jobqueue_cluster(jobs: int):
    cluster = dask_jobqueue.SLURMCluster(cores=1, processes=1, memory="1GB", queue="debug",
                                         walltime="00:10:00", scheduler_options={"dashboard_address": ":0"})
    cluster.scale(jobs=jobs)
    return cluster


def raw_first_task(run_dir: str) -> float:
    started = time.monotonic()
    with jobqueue_cluster(1) as cluster, Client(cluster) as client:
        client.submit(job_of_this_worker, pure=False).result()
        return time.monotonic() - started


def raw_recovery(run_dir: str) -> float:
    with jobqueue_cluster(2) as cluster, Client(cluster) as client:
        client.wait_for_workers(2)
        mark = os.path.join(run_dir, "mark")
        future = client.submit(job_of_this_worker, mark, TASK_SECONDS, pure=False)
        cancelled = scancel_the_job_in(mark)
        future.result()
        return time.monotonic() - cancelled - TASK_SECONDS


def parsl_first_task(run_dir: str, venv: str) -> float:
    code = f"""
import time
started = time.monotonic()
import parsl
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import SlurmProvider
provider = SlurmProvider(partition="debug", cores_per_node=1, mem_per_node=1, init_blocks=1, max_blocks=1,
                         walltime="00:10:00", exclusive=False, worker_init="source {venv}/bin/activate")
executor = HighThroughputExecutor(address="127.0.0.1", provider=provider, max_workers_per_node=1)
with parsl.load(Config(executors=[executor], run_dir={run_dir!r})):
    parsl.python_app(lambda: 1)().result()
    print(time.monotonic() - started)
"""
    bin_dir = os.path.join(venv, "bin")  # Parsl starts its interchange from PATH
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    out = subprocess.run([os.path.join(bin_dir, "python"), "-c", code], capture_output=True, text=True,
                         check=True, timeout=300, env=env)
    return float(out.stdout.split()[-1])


def median(runs: int, measure, *args) -> float:
    def one() -> float:
        with tempfile.TemporaryDirectory() as run_dir:
            figure = measure(run_dir, *args)
        while subprocess.run(["squeue", "-h"], capture_output=True, text=True).stdout.strip():
            time.sleep(0.2)  # the next run starts on an empty queue
        return figure

    return statistics.median(one() for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parsl-venv", help="a virtualenv with parsl installed")
    args = parser.parse_args()
    job_logs = tempfile.mkdtemp(prefix="dask-parsl-bench-")  # not slurm-NNN.out files in the cwd
    dask.config.set({"jobqueue.slurm.interface": "lo", "jobqueue.slurm.log-directory": job_logs})
    first = median(args.repeats, dask_parsl_first_task)
    raw_first = median(args.repeats, raw_first_task)
    print(f"load() to the first task finished: dask_parsl {first:.2f} s, "
          f"raw dask-jobqueue {raw_first:.2f} s ({first / raw_first:.2f}x)")
    if args.parsl_venv:
        parsl_first = median(args.repeats, parsl_first_task, args.parsl_venv)
        print(f"  Parsl HighThroughputExecutor: {parsl_first:.2f} s ({first / parsl_first:.2f}x)")
    recovery = median(args.repeats, dask_parsl_recovery)
    raw_recovery_time = median(args.repeats, raw_recovery)
    print(f"scancel to recovery (beyond re-running the {TASK_SECONDS:.0f} s task): "
          f"dask_parsl {recovery:.2f} s, raw dask-jobqueue {raw_recovery_time:.2f} s")


if __name__ == "__main__":
    sys.exit(main())

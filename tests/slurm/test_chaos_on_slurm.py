"""Chaos on the real Slurm: worker processes SIGKILLed at random and one of the two jobs
cancelled while the chaos suite's 2,000-task workflow runs with retries=0."""
import os
import subprocess
import sys
import threading
import time

import pytest
from batch_helpers import wait_until
from slurm_helpers import squeue_jobs

import dask_parsl as parsl
from dask_parsl import Config, HighThroughputExecutor
from dask_parsl.providers import SlurmProvider

pytestmark = pytest.mark.slurm

CHAOS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "chaos")
sys.path.insert(0, CHAOS)
from workflow import (  # noqa: E402
    CALLS,
    ChaosMonkey,
    bodies_run,
    bodies_run_after_their_checkpoint,
    run_workflow,
)


def test_random_worker_kills_and_a_cancelled_job(tmp_path, run_dir, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", CHAOS)  # the jobs' workers import the workflow's apps
    log_dir = tmp_path / "bodies"
    log_dir.mkdir()
    provider = SlurmProvider(partition="debug", cores_per_node=1, mem_per_node=1, init_blocks=2, max_blocks=2,
                             walltime="00:10:00", exclusive=False)
    started = time.monotonic()
    with parsl.load(Config(executors=[HighThroughputExecutor(label="slurm", provider=provider)],
                           run_dir=run_dir, checkpoint_mode="task_exit")) as dfk:
        checkpoint_dir = os.path.join(dfk.run_dir, "checkpoint")
        wait_until(lambda: len(squeue_jobs()) == 2, 60, "two jobs")
        cancel = threading.Timer(4.0, lambda: subprocess.run(["scancel", squeue_jobs()[0]], check=True))
        with ChaosMonkey(low=4.0, high=8.0) as monkey:  # a worker restarts in its job in ~2 s
            cancel.start()
            cached, uncached = run_workflow(str(log_dir))
            results = [f.result(timeout=600) for f in uncached]
        cancel.join()
    seconds = time.monotonic() - started
    assert results == [3 * x + 1 for x in range(CALLS)]
    futures = cached + uncached
    lost = [entry for f in futures for entry in f.task_record.get("lost_tries", ())]
    print(f"\nchaos on Slurm: {monkey.kills} worker processes killed and one job cancelled, "
          f"{len(lost)} tries lost and run again (jobs {sorted({e['job'] for e in lost})}), "
          f"{bodies_run(str(log_dir)) - CALLS}"
          f" cached bodies rerun (killed before their checkpoint), {seconds:.1f} s")
    assert all(f.task_record["fail_count"] == 0 for f in futures)
    assert bodies_run_after_their_checkpoint(str(log_dir), cached, checkpoint_dir) == 0
    assert all(entry["job"] for entry in lost)  # every batch worker reports its job

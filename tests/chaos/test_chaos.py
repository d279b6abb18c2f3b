"""Chaos on the embedded default: worker processes SIGKILLed at random while a 2,000-task
workflow of cached and uncached calls runs with the defaults a user has (retries=0).
Every result is right, no call whose checkpoint was written runs again, and no try is
charged for the lost workers; a rerun resumes everything from the checkpoints."""
import os
import time

from workflow import CALLS, ChaosMonkey, bodies_run, bodies_run_after_their_checkpoint, run_workflow

import dask_parsl as parsl
from dask_parsl import Config, get_all_checkpoints


def test_random_worker_kills_on_the_embedded_default(tmp_path):
    run_dir, log_dir = str(tmp_path / "runinfo"), tmp_path / "bodies"
    log_dir.mkdir()
    started = time.monotonic()
    with parsl.load(Config(run_dir=run_dir, checkpoint_mode="task_exit")) as dfk:
        checkpoint_dir = os.path.join(dfk.run_dir, "checkpoint")
        with ChaosMonkey() as monkey:
            cached, uncached = run_workflow(str(log_dir))
            results = [f.result(timeout=600) for f in uncached]
    seconds = time.monotonic() - started
    assert results == [3 * x + 1 for x in range(CALLS)]
    futures = cached + uncached
    lost = sum(len(f.task_record.get("lost_tries", ())) for f in futures)
    print(f"\nchaos: {monkey.kills} worker processes killed, {lost} tries lost and run again, "
          f"{bodies_run(str(log_dir)) - CALLS}"
          f" cached bodies rerun (killed before their checkpoint), {seconds:.1f} s")
    assert monkey.kills >= 3
    assert all(f.task_record["fail_count"] == 0 for f in futures)
    assert bodies_run_after_their_checkpoint(str(log_dir), cached, checkpoint_dir) == 0

    before = bodies_run(str(log_dir))
    config = Config(run_dir=run_dir, checkpoint_files=get_all_checkpoints(run_dir))
    with parsl.load(config):
        cached, uncached = run_workflow(str(log_dir))
        assert [f.result(timeout=600) for f in uncached] == results
    assert bodies_run(str(log_dir)) == before  # every cached call resumed from its checkpoint
    assert all(f.task_record["from_memo"] for f in cached)

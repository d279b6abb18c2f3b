"""Resume after a crash: the client is killed with SIGKILL halfway through a cached
workflow; running the same script again finishes it without running any task whose
result was written to a checkpoint entry, committed or still pending (every mode but
``task_exit`` commits later: when the period ends, when the user asks, at exit), and
gives the same results."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from checkpoint_files import written_entries

from dask_parsl.memo.store import read_entry

SCRIPT = os.path.join(os.path.dirname(__file__), "resume_workflow.py")
TASKS = 500


def start(run_dir, log, results, mode):
    return subprocess.Popen([sys.executable, SCRIPT, run_dir, log, results, mode], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def checkpointed_tasks(checkpoint_dir):
    return {read_entry(entry)["task"] for part in ("segments", "pending")
            for entry in written_entries(checkpoint_dir, part)}


def started(log):
    with open(log) as file:
        return [line.strip() for line in file]


@pytest.mark.parametrize("mode", ["task_exit", "periodic", "manual", "dfk_exit"])
def test_a_killed_workflow_resumes_without_repeating_finished_tasks(tmp_path, mode):
    run_dir, log = str(tmp_path / "runinfo"), str(tmp_path / "started.log")
    results = str(tmp_path / "results.json")
    checkpoint = os.path.join(run_dir, "000", "checkpoint")
    part = "segments" if mode == "task_exit" else "pending"
    first = start(run_dir, log, results, mode)
    try:
        deadline = time.monotonic() + 240
        while len(written_entries(checkpoint, part)) < TASKS // 2:
            assert first.poll() is None, "the workflow ended before it could be killed"
            assert time.monotonic() < deadline, "the workflow made no progress"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)  # the client process, mid-workflow
        first.wait(30)
    finally:
        kill_group(first)  # its orphaned worker processes
    assert not os.path.exists(results)
    finished = checkpointed_tasks(checkpoint)
    assert TASKS // 2 <= len(finished) < TASKS
    if mode != "task_exit":
        assert not written_entries(checkpoint, "segments"), "an entry was committed before the kill"
    before = len(started(log))

    second = start(run_dir, log, results, mode)
    try:
        assert second.wait(240) == 0
    finally:
        kill_group(second)
    rerun = started(log)[before:]
    assert not finished & set(rerun), "a checkpointed task ran again"
    assert len(rerun) == len(set(rerun))
    assert finished | set(rerun) == {f"{stage} {i}" for stage in ("first", "second") for i in range(250)}
    expected = [{"task": f"second {i}", "value": i * i + i} for i in range(250)]
    with open(results) as file:
        assert json.load(file) == expected

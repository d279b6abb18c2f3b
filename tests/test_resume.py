"""Resume after a crash: the client is killed with SIGKILL halfway through a cached
workflow; running the same script again finishes it without running any task whose
result was checkpointed, and gives the same results."""
import json
import os
import signal
import subprocess
import sys
import time

from dask_parsl.memo.store import read_entry

SCRIPT = os.path.join(os.path.dirname(__file__), "resume_workflow.py")
TASKS = 500


def start(run_dir, log, results):
    return subprocess.Popen([sys.executable, SCRIPT, run_dir, log, results], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def checkpointed_tasks(checkpoint_dir):
    entries = os.path.join(checkpoint_dir, "entries")
    # a write the kill interrupted leaves a temporary file, never an entry
    return {read_entry(os.path.join(entries, name))["task"] for name in os.listdir(entries)
            if not name.endswith(".tmp")}


def started(log):
    with open(log) as file:
        return [line.strip() for line in file]


def test_a_killed_workflow_resumes_without_repeating_finished_tasks(tmp_path):
    run_dir, log = str(tmp_path / "runinfo"), str(tmp_path / "started.log")
    results = str(tmp_path / "results.json")
    index = os.path.join(run_dir, "000", "checkpoint", "index")
    first = start(run_dir, log, results)
    try:
        deadline = time.monotonic() + 240
        while not (os.path.isdir(index) and len(os.listdir(index)) >= TASKS // 2):
            assert first.poll() is None, "the workflow ended before it could be killed"
            assert time.monotonic() < deadline, "the workflow made no progress"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)  # the client process, mid-workflow
        first.wait(30)
    finally:
        kill_group(first)  # its orphaned worker processes
    assert not os.path.exists(results)
    finished = checkpointed_tasks(os.path.join(run_dir, "000", "checkpoint"))
    assert TASKS // 2 <= len(finished) < TASKS
    before = len(started(log))

    second = start(run_dir, log, results)
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

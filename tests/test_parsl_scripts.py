"""Unmodified Parsl scripts under ``dask-parsl run``, compared with the real Parsl installed beside it.

Each script in tests/parsl_scripts/ runs twice in a subprocess, as its user would run it:
``python script.py`` (the real Parsl) and ``dask-parsl run script.py`` (dask_parsl),
each in a directory of its own; what they print must be the same.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent / "parsl_scripts"
BIN = Path(sys.executable).parent


def run(command, directory, *args, runs=1, check=True):
    """Run a script in ``directory`` ``runs`` times, with ``python`` (real Parsl) or ``dask-parsl run``."""
    directory.mkdir(parents=True, exist_ok=True)
    argv = {"python": [sys.executable], "dask-parsl": [str(BIN / "dask-parsl"), "run"]}[command]
    # Parsl starts its worker pool by name, from PATH
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    outputs = []
    for _ in range(runs):
        done = subprocess.run([*argv, *map(str, args)], cwd=directory, env=env, capture_output=True,
                              text=True, timeout=240)
        if check:
            assert done.returncode == 0, f"{command} {args}:\n{done.stderr[-3000:]}"
        outputs.append(done)
    return outputs


@pytest.mark.parametrize("script, args, runs", [
    ("threads_tutorial.py", [], 1),
    ("htex_tutorial.py", [6], 1),
    ("bash_files.py", [], 1),
    ("retry_handler.py", [], 1),
    ("custom_executor.py", [], 1),
    ("checkpointing.py", [], 2),
])
def test_same_output_as_parsl(tmp_path, script, args, runs):
    path = SCRIPTS / script
    parsl = run("python", tmp_path / "parsl", path, *args, runs=runs)
    ours = run("dask-parsl", tmp_path / "dask_parsl", path, *args, runs=runs)
    assert [done.stdout for done in ours] == [done.stdout for done in parsl]
    assert ours[-1].stdout.strip()  # each script prints what it computed


def test_python_still_gets_the_real_parsl_and_dask_parsl_run_aliases_it_on_workers(tmp_path):
    script = SCRIPTS / "real_or_aliased.py"
    [parsl] = run("python", tmp_path / "parsl", script, "a", "--b")
    [ours] = run("dask-parsl", tmp_path / "dask_parsl", script, "a", "--b")
    assert parsl.stdout.splitlines() == ["script: parsl ['a', '--b']", "worker: parsl"]
    assert ours.stdout.splitlines() == ["script: dask_parsl ['a', '--b']", "worker: dask_parsl",
                                        "global: dask_parsl"]


def test_a_parsl_name_dask_parsl_lacks_is_named_with_what_to_use_instead(tmp_path):
    [done] = run("dask-parsl", tmp_path, SCRIPTS / "needs_missing_name.py", check=False)
    assert done.returncode == 1
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line == ("dask_parsl.errors.ParslNameNotProvided: dask_parsl does not provide Parsl's name "
                         "parsl.executors.WorkQueueExecutor: use HighThroughputExecutor or DaskExecutor: "
                         "every app runs on Dask workers")


def test_the_script_exit_status_is_the_command_exit_status(tmp_path):
    [done] = run("dask-parsl", tmp_path, SCRIPTS / "exits.py", 3, check=False)
    assert done.returncode == 3
    [done] = run("dask-parsl", tmp_path, tmp_path / "no_such_script.py", check=False)
    assert done.returncode == 2
    assert "no such script" in done.stderr


def test_a_scheduler_and_workers_started_apart_see_the_aliases_too(tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    dask = str(BIN / "dask")
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(scheduler_file)], stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([dask, "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1",
                               "--no-dashboard"], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            assert time.monotonic() < deadline and scheduler.poll() is None, "the scheduler did not start"
            time.sleep(0.1)
        [done] = run("dask-parsl", tmp_path / "run", SCRIPTS / "remote_scheduler.py", scheduler_file)
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)
    assert done.stdout.splitlines() == ["worker: dask_parsl.staging.files",
                                        "scheduler: dask_parsl.apps.python"]

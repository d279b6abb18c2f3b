"""The Grid Engine tests run on the real Son of Grid Engine started by ci/start_sge.sh (tox -e sge)."""
import os
import shutil
import subprocess

import dask.config
import dask_jobqueue  # noqa: F401  (its config defaults, before the fixtures set some)
import pytest
from batch_helpers import wait_until
from sge_helpers import queued_jobs


@pytest.fixture(scope="session", autouse=True)
def grid_engine_is_running():
    os.environ.setdefault("SGE_ROOT", "/var/lib/gridengine")
    os.environ.setdefault("SGE_CELL", "default")
    if shutil.which("qsub") is None:
        pytest.fail("Grid Engine is not installed: run sudo bash ci/start_sge.sh first")
    queues = subprocess.run(["qstat", "-f"], capture_output=True, text=True)
    # a queue instance that reports a load and has no state flags accepts jobs
    up = [line for line in queues.stdout.splitlines()
          if len(line.split()) == 5 and "@" in line and line.split()[3] != "-NA-"]
    if queues.returncode != 0 or not up:
        seen = queues.stderr.strip() or "no queue instance is up"
        pytest.fail(f"Grid Engine is not running ({seen}): run sudo bash ci/start_sge.sh first")


@pytest.fixture(autouse=True)
def jobs_talk_over_loopback(tmp_path):
    """Workers reach the scheduler on 127.0.0.1; job logs go to the test's directory."""
    with dask.config.set({"jobqueue.sge.interface": "lo",
                          "jobqueue.sge.log-directory": str(tmp_path / "job-logs")}):
        yield
    wait_until(lambda: not queued_jobs(), 60, "the test's jobs to leave the queue")

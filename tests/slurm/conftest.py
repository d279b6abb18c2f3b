"""The batch tests run on the real Slurm started by ci/start_slurm.sh (tox -e slurm)."""
import shutil
import subprocess

import dask.config
import dask_jobqueue  # noqa: F401  (its config defaults, before the fixtures set some)
import pytest
from batch_helpers import wait_until
from slurm_helpers import squeue_jobs


@pytest.fixture(scope="session", autouse=True)
def slurm_is_running():
    if shutil.which("sinfo") is None:
        pytest.fail("Slurm is not installed: run sudo bash ci/start_slurm.sh first")
    state = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
    if state.returncode != 0 or not {"idle", "mix", "alloc"} & set(state.stdout.split()):
        seen = state.stdout.strip() or state.stderr.strip()
        pytest.fail(f"Slurm is not running or its node is not up ({seen}): "
                    "run sudo bash ci/start_slurm.sh first")


@pytest.fixture(autouse=True)
def jobs_talk_over_loopback(tmp_path):
    """Workers reach the scheduler on 127.0.0.1; job logs go to the test's directory."""
    with dask.config.set({"jobqueue.slurm.interface": "lo",
                          "jobqueue.slurm.log-directory": str(tmp_path / "job-logs")}):
        yield
    wait_until(lambda: not squeue_jobs(), 60, "the test's jobs to leave the queue")

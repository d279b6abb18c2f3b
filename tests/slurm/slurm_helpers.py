"""Helpers of the Slurm tests."""
import subprocess
import time

from dask_parsl import python_app


@python_app
def job_of_this_worker(seconds=0.0):
    """The Slurm job the app ran in (after sleeping ``seconds``)."""
    import os
    import time

    time.sleep(seconds)
    return os.environ["SLURM_JOB_ID"]


def squeue_jobs():
    """Job ids in the queue (any state)."""
    out = subprocess.run(["squeue", "-h", "-o", "%A"], capture_output=True, text=True, check=True).stdout
    return out.split()


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.2)

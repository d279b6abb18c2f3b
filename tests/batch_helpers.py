"""Apps and waiting, shared by the tests on batch systems (real and stand-in)."""
import time

from dask_parsl import python_app


@python_app
def job_of_this_worker(seconds=0.0):
    """The batch job the app ran in (Slurm's or Grid Engine's job id), after sleeping ``seconds``."""
    import os
    import time

    time.sleep(seconds)
    return os.environ.get("SLURM_JOB_ID") or os.environ["JOB_ID"]


@python_app
def node_of_this_worker():
    """The Slurm node the app ran on (``SLURMD_NODENAME``: the nodes share one host here)."""
    import os

    return os.environ["SLURMD_NODENAME"]


@python_app
def add(x, y, seconds=0.0):
    import time

    time.sleep(seconds)
    return x + y


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)

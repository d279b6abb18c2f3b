"""Helpers of the Slurm tests."""
import subprocess


def squeue_jobs():
    """Job ids in the queue (any state)."""
    out = subprocess.run(["squeue", "-h", "-o", "%A"], capture_output=True, text=True, check=True).stdout
    return out.split()

"""Helpers of the Slurm tests."""
import subprocess


def squeue_jobs():
    """Job ids in the queue (any state)."""
    out = subprocess.run(["squeue", "-h", "-o", "%A"], capture_output=True, text=True, check=True).stdout
    return out.split()


def assert_lost_in_job(futures, job):
    """Some try ended with ``job``, free of charge; no task was charged for it."""
    lost = [entry for f in futures for entry in f.task_record.get("lost_tries", [])]
    assert lost and {entry["job"] for entry in lost} == {job}
    assert not any(entry["charged"] for entry in lost)
    assert all(f.task_record["fail_count"] == 0 for f in futures)

"""Helpers of the Grid Engine tests."""
import subprocess

from batch_helpers import wait_until


def queued_jobs():
    """Ids of the jobs in the queue (any state)."""
    out = subprocess.run(["qstat", "-u", "*"], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines()[2:] if line.strip()]


def accounting_of(job_id, timeout=30):
    """``qacct``'s record of a finished job, as {field: value}."""
    record = {}
    wait_until(lambda: record.update(_qacct(job_id)) or record, timeout, f"accounting of job {job_id}")
    return record


def _qacct(job_id):
    out = subprocess.run(["qacct", "-j", job_id], capture_output=True, text=True).stdout
    return dict(line.split(None, 1) for line in out.splitlines() if len(line.split(None, 1)) == 2)

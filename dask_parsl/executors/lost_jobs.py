"""Replacing batch jobs that ended under their workers, as soon as the batch system says so.

When a job of a dask-jobqueue cluster ends early (``scancel``, preemption, a node
failure), Dask keeps it on the cluster's books for
``distributed.deploy.lost-worker-timeout`` (15 s), in case a nanny restarts its
worker; meanwhile adaptive scaling counts it as one of its jobs and submits no
replacement. ``LostJobs`` watches for jobs whose workers have all left, asks the
batch system whether those jobs still exist (one queue listing of the user's jobs,
only then), and takes the ended ones off the books, so the cluster submits their
replacements at once: adaptive clusters stay at their minimum, fixed ones at their size.
Batch systems without a listing here (``QUEUE_LISTINGS``) keep Dask's timeout.
"""
from __future__ import annotations

import asyncio
import getpass
import logging
import subprocess
from typing import Any

from distributed.core import Status
from tornado.ioloop import PeriodicCallback

from ..internals import start_missing_jobs
from .batch import worker_names_of_job

logger = logging.getLogger(__name__)

_CHECK_INTERVAL_MS = 1000
_CALLBACK_NAME = "dask-parsl-lost-jobs"


def _slurm_jobs(user: str) -> set[str]:
    out = _run(["squeue", "-h", "-u", user, "-o", "%i %T"])
    return {job for job, state in (line.split() for line in out.splitlines() if line.strip())
            if state not in ("COMPLETING", "COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "PREEMPTED",
                             "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE")}


def _sge_jobs(user: str) -> set[str]:
    out = _run(["qstat", "-u", user])
    return {fields[0] for fields in (line.split() for line in out.splitlines())
            if len(fields) > 4 and fields[0].isdigit() and "d" not in fields[4]}  # "dr": being deleted


def _run(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=30).stdout


#: batch system (dask-jobqueue's config name) -> the ids of the user's jobs it still runs or queues
QUEUE_LISTINGS = {"slurm": _slurm_jobs, "sge": _sge_jobs}


def watch_for_lost_jobs(cluster: Any) -> LostJobs | None:
    """Start a ``LostJobs`` on a dask-jobqueue ``cluster`` whose batch system can be asked
    (None for other clusters)."""
    system = getattr(getattr(cluster, "job_cls", None), "config_name", None)
    listing = QUEUE_LISTINGS.get(system)
    if listing is None or not hasattr(cluster, "worker_spec"):
        return None
    return LostJobs(cluster, listing).start()


class LostJobs:
    """Takes the jobs of ``cluster`` that ended early off its books, so that they are replaced."""

    def __init__(self, cluster: Any, listing: Any) -> None:
        self.cluster = cluster
        self.listing = listing
        self._connected_once: set[str] = set()  # jobs whose workers connected
        self._checking = False

    def start(self) -> LostJobs:
        self._callback = PeriodicCallback(self._check, _CHECK_INTERVAL_MS)
        self.cluster.periodic_callbacks[_CALLBACK_NAME] = self._callback
        self.cluster.loop.add_callback(self._callback.start)
        return self

    def stop(self) -> None:
        """Stop watching (the cluster outlives the workflow)."""
        if self.cluster.periodic_callbacks.pop(_CALLBACK_NAME, None) is not None:
            self.cluster.loop.add_callback(self._callback.stop)

    async def _check(self) -> None:
        if self._checking or self.cluster.status != Status.running:
            return
        connected = {str(ws.name) for ws in self.cluster.scheduler.workers.values()}
        gone = []
        for name, job in list(self.cluster.workers.items()):
            if not connected.isdisjoint(worker_names_of_job(self.cluster, name)):
                self._connected_once.add(name)
            elif name in self._connected_once and getattr(job, "job_id", None):
                gone.append(name)
        if not gone:
            return
        self._checking = True
        try:
            alive = await asyncio.get_running_loop().run_in_executor(None, self.listing, getpass.getuser())
            ended = [name for name in gone if self.cluster.workers[name].job_id not in alive]
            if ended and self.cluster.status == Status.running:
                await self._replace(ended)
        except Exception as error:
            logger.warning("Could not ask the batch system about jobs %s: %s", gone, error)
        finally:
            self._checking = False

    async def _replace(self, ended: list[str]) -> None:
        spec = self.cluster.worker_spec
        for name in ended:
            job = self.cluster.workers.pop(name)
            job.status = Status.closed  # ended in the batch system: nothing to cancel
            self._connected_once.discard(name)
            if name in spec:  # a new name while the old one is taken: Dask's own cleanup of the
                spec.update(self.cluster.new_worker_spec())  # old name, later, must not touch it
                del spec[name]
            logger.warning("Batch job %s (%s) ended while its workers ran; submitting a replacement",
                           job.job_id, name)
        await start_missing_jobs(self.cluster)

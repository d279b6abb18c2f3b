"""Retiring batch jobs before their walltime, and replacing them while work remains.

A batch system kills a job at its walltime, with the tasks its workers run and
the results they hold. ``JobRenewal`` watches the jobs of a cluster built by
dask_parsl. Once a job is within ``parsl.batch.walltime-margin`` of its
walltime (counted from when its first worker connected), it

1. submits a replacement job, if the scheduler still has tasks (pending, or
   results held) or the cluster has a fixed number of jobs;
2. drains the old job's workers once the replacement's workers have connected
   (or half the margin has passed): they take no new task, and the results
   they hold move to other workers;
3. closes them once their running tasks have finished, or when a quarter of
   the margin is left, whichever comes first; the job then ends.

A task still running at that point starts again on another worker, without
costing a retry; if that happens to it twice, it fails with ``WalltimeReached``
(it needs longer than a job can give it).
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import dask.config
from dask.utils import parse_timedelta
from tornado.ioloop import PeriodicCallback

from ..durations import clock_seconds
from ..internals import fail_task, tasks_executing_on
from ..scheduler.errors import WalltimeReached
from .batch import submit_jobs, worker_names_of_job

logger = logging.getLogger(__name__)

_CHECK_INTERVAL_MS = 1000


def walltime_seconds(batch_system: str, walltime: Any) -> float | None:
    """A job walltime in seconds, as the batch system reads it: ``[D-]HH:MM:SS``,
    ``HH:MM`` (LSF) or ``MM:SS`` (Slurm), or a number (minutes for Slurm and
    LSF, seconds elsewhere). None when no walltime is set."""
    if walltime is None or walltime == "":
        return None
    if isinstance(walltime, (int, float)) or re.fullmatch(r"\d+", str(walltime)):
        unit = 60 if batch_system in ("slurm", "lsf") else 1
        return float(walltime) * unit
    try:
        return clock_seconds(walltime, "hours:minutes" if batch_system == "lsf" else "minutes:seconds")
    except ValueError:
        raise ValueError(f"cannot read the walltime {walltime!r}: give it as [D-]HH:MM:SS") from None


def renew_jobs_before_walltime(cluster: Any, batch_system: str, options: dict, margin: Any,
                               adaptive: bool) -> JobRenewal | None:
    """Start a ``JobRenewal`` for ``cluster``, whose jobs were built from ``options``
    (or the ``jobqueue.<batch_system>`` config); None when jobs have no walltime or
    ``margin`` is false."""
    walltime = options.get("walltime", dask.config.get(f"jobqueue.{batch_system}.walltime", None))
    seconds = walltime_seconds(batch_system, walltime)
    if not seconds or not margin:
        return None
    return JobRenewal(cluster, seconds, margin, adaptive).start()


class JobRenewal:
    """Retires the jobs of a dask-jobqueue ``cluster`` before ``walltime`` seconds,
    replacing them while work remains (always, unless ``adaptive``: then only while
    the scheduler has tasks)."""

    def __init__(self, cluster: Any, walltime: float, margin: Any, adaptive: bool) -> None:
        self.cluster = cluster
        self.walltime = walltime
        self.margin = min(parse_timedelta(margin), walltime / 3)
        self.adaptive = adaptive
        self._started: dict[str, float] = {}  # job name -> when its first worker connected
        self._retired: set[str] = set()  # jobs whose retirement has begun (it happens once)
        self._interrupted: set = set()  # keys of tasks a job's walltime has interrupted
        self._tasks: set[asyncio.Task] = set()

    def start(self) -> JobRenewal:
        callback = PeriodicCallback(self._check, _CHECK_INTERVAL_MS)
        self.cluster.periodic_callbacks["dask-parsl-job-renewal"] = callback
        self.cluster.loop.add_callback(callback.start)
        logger.info("Jobs are retired %.0f s before their walltime of %.0f s", self.margin, self.walltime)
        return self

    def _check(self) -> None:
        now = time.monotonic()
        for name in list(self._started):
            if name not in self.cluster.workers:
                del self._started[name]
                self._retired.discard(name)
        connected = {str(ws.name) for ws in self.cluster.scheduler.workers.values()}
        for name in list(self.cluster.workers):
            if name not in self._started and not connected.isdisjoint(
                    worker_names_of_job(self.cluster, name)):
                self._started[name] = now
        for name, started in self._started.items():
            if name not in self._retired and now >= started + self.walltime - self.margin:
                self._retired.add(name)
                task = asyncio.ensure_future(self._retire(name, started))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _retire(self, name: str, started: float) -> None:
        scheduler = self.cluster.scheduler
        try:
            if not self.adaptive or scheduler.tasks:
                replacement = await self._submit_replacement(name)
                drain_by = started + self.walltime - self.margin / 2
                while replacement and not self._workers_of(replacement) and time.monotonic() < drain_by:
                    await asyncio.sleep(0.2)
            addresses = [ws.address for ws in self._workers_of(name)]
            # closing_gracefully: no new tasks; the results held move to other workers
            await scheduler.retire_workers(workers=addresses, close_workers=False, remove=False)
            close_by = started + self.walltime - self.margin / 4
            while time.monotonic() < close_by and any(map(tasks_executing_on, self._workers_of(name))):
                await asyncio.sleep(0.2)
            self._interrupt_running_tasks(name)
            retired = await scheduler.retire_workers(workers=addresses, close_workers=True, remove=True)
            if len(retired) < len(addresses):
                logger.warning("Job %s reaches its walltime holding results no other worker could take",
                               name)
                return
            self.cluster.worker_spec.pop(name, None)
            logger.info("Job %s retired before its walltime", name)
        except Exception:
            if self.cluster.status.name not in ("closing", "closed"):
                logger.exception("Retiring job %s before its walltime failed", name)

    def _interrupt_running_tasks(self, name: str) -> None:
        """Tasks still running now start again elsewhere; a task interrupted this way
        before fails, as it cannot finish within any job."""
        for ws in self._workers_of(name):
            for ts in tasks_executing_on(ws):
                if ts.key in self._interrupted:
                    fail_task(self.cluster.scheduler, ts, WalltimeReached(ts.key, name))
                else:
                    self._interrupted.add(ts.key)
                    logger.warning("%s is still running as job %s nears its walltime: it starts again "
                                   "on another worker", ts.key, name)

    async def _submit_replacement(self, name: str) -> str | None:
        try:
            (replacement,) = await submit_jobs(self.cluster, len(self.cluster.worker_spec) + 1)
        except Exception as error:
            logger.error("Could not submit a job to replace %s before its walltime: %s", name, error)
            return None
        logger.info("Job %s nears its walltime: submitted %s to replace it", name, replacement)
        return replacement

    def _workers_of(self, name: str) -> list:
        """The scheduler's WorkerStates of job ``name`` (one per worker process)."""
        names = worker_names_of_job(self.cluster, name)
        return [ws for ws in self.cluster.scheduler.workers.values() if str(ws.name) in names]

"""What the scheduler knows about a worker that died: which app tasks it had started
(``LossWitness``, on each worker), its batch job, and whether its nanny stopped it
for using too much memory.

A lost worker is not its task's failure (``WorkflowPlugin`` reschedules the task
free of charge), unless the task itself killed it: a nanny that stops its worker
at ``distributed.worker.memory.terminate`` logs an event first. That event usually
reaches the scheduler before the worker's stream closes, but may come after the
removal; ``LossLedger`` keeps both sides for a while so the two meet either way.
"""
from __future__ import annotations

import os
import time
from typing import Any, Mapping

import dask.config
from dask.utils import format_bytes
from distributed.diagnostics.plugin import WorkerPlugin

from .task_logs import is_app_task

#: the worker metric (sent with each heartbeat) that holds the worker's batch job id
JOB_METRIC = "dask-parsl-batch-job"
#: a worker's message that it started an app task
TASK_STARTED_OP = "dask-parsl-task-started"
#: a worker's message naming its batch job, as it starts (a worker killed before its first
#: heartbeat is still known by its job)
BATCH_JOB_OP = "dask-parsl-batch-job"
#: environment variables holding the job id, by batch system
_JOB_ID_VARIABLES = ("SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", "OAR_JOB_ID", "JOB_ID")
#: how long a memory report and a removal wait for each other
_PAIRING_SECONDS = 30.0


def batch_job_id(environ: Mapping[str, str] = os.environ) -> str | None:
    """The id of the batch job this process runs in, if any."""
    for name in _JOB_ID_VARIABLES:
        if environ.get(name):
            return environ[name]
    return None


class LossWitness(WorkerPlugin):
    """Tells the scheduler what it needs to know about a worker that may die: its batch
    job id (a metric sent with each heartbeat) and each app task it starts (a message
    on its stream, op ``TASK_STARTED_OP``): a task merely queued on a dead worker did
    not lose a try, and the scheduler's own view of what runs (heartbeats) lags."""

    name = "dask-parsl-loss-witness"
    idempotent = True

    def setup(self, worker: Any) -> None:
        self.worker = worker
        job = batch_job_id()
        if job is not None:
            worker.metrics[JOB_METRIC] = lambda _worker: job
            worker.batched_send({"op": BATCH_JOB_OP, "job": job})

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish == "executing" and is_app_task(self.worker.state.tasks.get(key)):
            self.worker.batched_send({"op": TASK_STARTED_OP, "key": key})


def note_batch_job(scheduler: Any, job: str | None = None, worker: str = "", **_: Any) -> None:
    """Record the batch job a worker named as it started, until its heartbeats carry it."""
    ws = scheduler.workers.get(worker)
    if ws is not None and job is not None:
        ws.metrics.setdefault(JOB_METRIC, job)


def job_of(ws: Any) -> str | None:
    """The batch job id a worker reported (None: not a batch worker, or no heartbeat yet)."""
    return ws.metrics.get(JOB_METRIC)


def memory_cause(report: dict, memory_limit: int | None) -> str:
    """Why a nanny stopped its worker, from its ``worker-restart-memory`` event."""
    fraction = dask.config.get("distributed.worker.memory.terminate")
    limit = f" of {format_bytes(memory_limit)}" if memory_limit else ""
    return (f"its nanny stopped it at {format_bytes(report.get('rss') or 0)}, past "
            f"{fraction:.0%} of its memory limit{limit} (distributed.worker.memory.terminate)")


class LossLedger:
    """Memory kills that nannies reported, and the app tasks of recently removed workers."""

    def __init__(self) -> None:
        self._memory_kills: dict[str, tuple[float, str]] = {}  # worker -> (when, cause)
        self._lost: dict[str, tuple[float, str | None, list]] = {}  # worker -> (when, job, tasks)

    def memory_killed(self, worker: str, cause: str) -> tuple[str | None, list]:
        """Note that ``worker`` was stopped for memory; returns ``(job, tasks)`` if it was
        removed already with app tasks on it (those tasks killed it), else ``(None, [])``."""
        self._prune()
        lost = self._lost.pop(worker, None)
        if lost is None:
            self._memory_kills[worker] = (time.monotonic(), cause)
            return None, []
        return lost[1], lost[2]

    def cause_of_removal(self, worker: str) -> str | None:
        """Why ``worker``, being removed now, died, if its nanny said so."""
        noted = self._memory_kills.pop(worker, None)
        return None if noted is None else noted[1]

    def lost(self, worker: str, job: str | None, tasks: list) -> None:
        """``tasks`` were running on ``worker`` when it was removed, for no known reason."""
        self._prune()
        self._lost[worker] = (time.monotonic(), job, tasks)

    def _prune(self) -> None:
        oldest = time.monotonic() - _PAIRING_SECONDS
        for notes in (self._memory_kills, self._lost):
            for worker in [worker for worker, note in notes.items() if note[0] < oldest]:
                del notes[worker]

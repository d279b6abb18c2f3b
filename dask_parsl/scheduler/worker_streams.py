"""How long the scheduler and the workers hold their messages to each other.

Dask batches them: the scheduler's to a worker for 5 ms, so a task whose inputs just
finished may wait up to that long to start, and a worker's for 2 ms after its last
send, so a completion that follows another closely waits too: along a chain of calls,
most of each hop. Sending at once (``parsl.worker-streams.interval: 0``) runs a chain
up to twice as fast, and cost no scheduler CPU that bench/control_plane.py could
measure up to 256 workers; batching is meant to save it with many more, so clusters of
more than ``parsl.worker-streams.max-workers`` workers keep Dask's interval.

A worker left with nothing to run sends the completion of its last task at once
(``IdleWorkersReportAtOnce``); busy workers batch as Dask makes them, which is what
saves work when completions come in bursts. An idle worker sends no more messages
than before, only sooner.
"""
from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin

from ..internals import DASK_WORKER_STREAM_INTERVAL, send_at_once_if_idle, set_worker_stream_interval


class WorkerStreams(SchedulerPlugin):
    """Sets the interval of the scheduler's stream to each worker as workers come and go."""

    name = "dask-parsl-worker-streams"
    idempotent = True  # the first kernel's settings hold for the scheduler

    def __init__(self, interval: float, max_workers: int) -> None:
        self.interval = interval
        self.max_workers = max_workers

    async def start(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        self.chosen = DASK_WORKER_STREAM_INTERVAL  # what the scheduler's streams have now
        self._choose()

    def add_worker(self, scheduler: Any, worker: str) -> None:
        if not self._choose():
            set_worker_stream_interval(scheduler, self.chosen, [worker])

    def remove_worker(self, scheduler: Any, worker: str, **kwargs: Any) -> None:
        self._choose()

    def _choose(self) -> bool:
        """Set every stream's interval if the cluster's size changes it; whether it did."""
        small = len(self.scheduler.workers) <= self.max_workers
        chosen = self.interval if small else DASK_WORKER_STREAM_INTERVAL
        if chosen == self.chosen:
            return False
        self.chosen = chosen
        set_worker_stream_interval(self.scheduler, chosen)
        return True


class IdleWorkersReportAtOnce(WorkerPlugin):
    """A worker that finishes a task and has no other to run reports it at once."""

    name = "dask-parsl-idle-workers-report-at-once"

    def setup(self, worker: Any) -> None:
        self.worker = worker

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if start == "executing":
            send_at_once_if_idle(self.worker)

"""How long the scheduler holds its messages to each worker before sending them.

Dask batches them for 5 ms, so a task whose inputs just finished may wait up to that
long to start: along a chain of calls, much of each hop. Sending at once
(``parsl.worker-streams.interval: 0``) runs a chain up to twice as fast, and cost no
scheduler CPU that bench/control_plane.py could measure up to 256 workers; batching is
meant to save it with many more, so clusters of more than
``parsl.worker-streams.max-workers`` workers keep Dask's interval.
"""
from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import SchedulerPlugin

from ..internals import DASK_WORKER_STREAM_INTERVAL, set_worker_stream_interval


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

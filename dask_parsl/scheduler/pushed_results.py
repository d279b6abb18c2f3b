"""Small results come back with their task's completion.

A client learns that a task finished from the scheduler ("key-in-memory"), and then
fetches the value from the worker in a round trip of its own. For a small value, that
round trip costs more than the value: ``ResultPusher`` (on each worker) pickles the
result of each app task up to ``max_size`` bytes and sends it on the worker's stream,
just before the worker's own "task-finished"; ``WorkflowPlugin`` passes the bytes on,
unread, to the kernels holding the task that asked for results (``SUBSCRIBE_OP`` with
``results``). Both streams batch, so a burst of completions brings its values in a few
writes, and the value reaches the client before its completion. The worker keeps its
copy: dependents still get their inputs worker to worker.
"""
from __future__ import annotations

import logging
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin
from distributed.protocol import pickle

from .task_logs import is_app_task

logger = logging.getLogger(__name__)

#: a worker's message with the pickled result of an app task, passed on to its kernels
RESULT_OP = "dask-parsl-result"


class PushedResult:
    """The pickled value of a finished task, and its size in memory as its worker measured it."""

    __slots__ = ("payload", "nbytes")

    def __init__(self, payload: bytes, nbytes: int) -> None:
        self.payload = payload
        self.nbytes = nbytes

    def load(self) -> Any:
        return pickle.loads(self.payload)


class ResultPusher(WorkerPlugin):
    """Sends the result of each app task of at most ``max_size`` bytes to the scheduler."""

    name = "dask-parsl-result-pusher"

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size

    def setup(self, worker: Any) -> None:
        self.worker = worker

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish != "memory" or start not in ("executing", "long-running"):
            return
        worker = self.worker
        ts = worker.state.tasks.get(key)
        if ts is None or ts.nbytes is None or ts.nbytes > self.max_size or not is_app_task(ts):
            return
        try:
            payload = pickle.dumps(worker.data[key])
        except Exception:  # fetched as usual instead, where the error (if any) shows
            logger.debug("Could not pickle the result of %s to send it along", key, exc_info=True)
            return
        worker.batched_send({"op": RESULT_OP, "key": key, "payload": payload, "nbytes": ts.nbytes})

"""Shipping app calls to the scheduler as one graph per burst, not one message per call."""
from __future__ import annotations

import collections
import logging
import threading
import time
import uuid
from typing import Callable

from dask._expr import LLGExpr
from distributed import Client
from distributed.spans import SpanMetadata

from .completions import CompletionListener
from .errors import SerializationError

logger = logging.getLogger(__name__)


class GraphBatcher:
    """Collects ``(key, task, app_future)`` items and submits them in batches.

    ``put`` costs a deque append. A background thread wakes, then waits in
    steps of ``interval`` for as long as more calls keep arriving (at most
    ``max_wait``), and sends everything queued (at most ``max_size`` tasks) as
    one ``update-graph`` message: a lone call waits one ``interval``; a loop
    making thousands of calls becomes a few large graphs.
    """

    def __init__(
        self,
        client: Client,
        listener: CompletionListener,
        on_unsendable: Callable,
        interval: float,
        max_wait: float,
        max_size: int,
    ) -> None:
        self._client = client
        self._listener = listener
        self._on_unsendable = on_unsendable
        self._interval = interval
        self._max_wait = max_wait
        self._max_size = max_size
        self._queue: collections.deque = collections.deque()
        self._wake = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="dask-parsl-submit", daemon=True)
        self._thread.start()

    def put(self, key: str, task, app_future, resources: dict | None = None) -> None:
        self._queue.append((key, task, app_future, resources))
        if not self._wake.is_set():
            self._wake.set()

    def close(self) -> None:
        self._closing = True
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wait_for_the_burst_to_end()
            self._wake.clear()
            while self._queue:
                self._send_next_batch()
            if self._closing:  # checked after clear(): close() may have set _wake meanwhile
                return

    def _send_next_batch(self) -> None:
        # a method of its own, so no frame keeps the batch (and its futures) alive
        batch = []
        while self._queue and len(batch) < self._max_size:
            batch.append(self._queue.popleft())
        try:
            self._send(batch)
        except Exception:  # never let the thread die with work queued
            logger.exception("Submitting a batch of %d tasks failed", len(batch))

    def _wait_for_the_burst_to_end(self) -> None:
        """Let calls gather while the caller keeps making them (up to ``max_wait``)."""
        deadline = time.monotonic() + self._max_wait
        queued = -1
        while queued != len(self._queue) and len(self._queue) < self._max_size:
            queued = len(self._queue)
            if time.monotonic() >= deadline:
                break
            time.sleep(self._interval)

    def _send(self, batch: list) -> None:
        with self._listener.lock:
            pending = self._listener.pending
            for key, _, app_future, _ in batch:
                pending[key] = app_future
            try:
                futures = submit_in_call_order(self._client, _graph(batch), [item[0] for item in batch])
            except Exception:
                futures = None
            if futures is not None:
                for item, dask_future in zip(batch, futures, strict=True):
                    item[2]._remote = dask_future
                return
        # Something in the batch cannot be serialized: send the tasks one by
        # one so the offending calls fail with a clear error and the rest run.
        for item in batch:
            key, task, app_future, _ = item
            with self._listener.lock:
                try:
                    (app_future._remote,) = submit_in_call_order(self._client, _graph([item]), [key])
                    continue
                except Exception as error:
                    pending.pop(key, None)
                    failure = error
            self._on_unsendable(app_future, task, failure)


def submit_in_call_order(client: Client, graph: LLGExpr, keys: list) -> list:
    """Submit ``graph``; its tasks run in the order of ``keys`` (the order of the app
    calls), after those of earlier graphs, as ``client.map`` orders its tasks.

    ``Client.get`` would leave the order to ``dask.order`` on the scheduler, which
    runs a burst of independent calls last-called first (it orders ties by key).
    """
    in_order = {key: position for position, key in enumerate(keys)}
    span = SpanMetadata(collections=[{"type": "low-level-graph"}])
    futures = client._graph_to_futures(graph, keys, span_metadata=span, internal_priority=in_order,
                                       fifo_timeout=0)
    return [futures[key] for key in keys]


def _graph(batch: list) -> LLGExpr:
    """The batch's tasks as a graph expression named by a random token.

    ``Client.get`` given a plain dict names it by tokenizing every task, which
    hashes every argument: most of the cost of a batch. App calls are never
    deduplicated, so a random name is right (``client.map`` does the same).
    """
    tasks = {key: task for key, task, _, _ in batch}
    resources = {key: needs for key, _, _, needs in batch if needs}
    if resources:
        return TasksWithResources(tasks, {"resources": resources}, _determ_token=uuid.uuid4().hex)
    return LLGExpr(tasks, _determ_token=uuid.uuid4().hex)


class TasksWithResources(LLGExpr):
    """A graph whose tasks carry Dask resource restrictions, by key (unpickled on
    the scheduler, which applies them as annotations)."""

    _parameters = ["dsk", "annotations"]

    def __dask_annotations__(self) -> dict:
        return self.operand("annotations")


def describe_unpicklable(app_name: str, task, error: Exception) -> SerializationError:
    """Name the argument of ``task`` that cannot be pickled."""
    import cloudpickle

    user_args = task.args[getattr(task.func, "leading_args", 0):]
    for position, value in enumerate(user_args):
        try:
            cloudpickle.dumps(value)
        except Exception as reason:
            what = f"positional argument {position} ({type(value).__name__})"
            return SerializationError(app_name, what, str(reason))
    for name, value in task.kwargs.items():
        try:
            cloudpickle.dumps(value)
        except Exception as reason:
            what = f"keyword argument '{name}' ({type(value).__name__})"
            return SerializationError(app_name, what, str(reason))
    return SerializationError(app_name, "the app function or its arguments", str(error))

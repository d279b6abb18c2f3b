"""Shipping app calls to the scheduler as one graph per burst, not one message per call."""
from __future__ import annotations

import collections
import functools
import logging
import threading
import time
from typing import Callable

from distributed import Client

from ..dataflow.errors import SerializationError
from ..internals import DaskInternalsMissing, submit_graph, user_arguments
from ..serialize import dumps
from .completions import CompletionListener

logger = logging.getLogger(__name__)


class GraphBatcher:
    """Collects ``(key, task, app_future, options)`` items and submits them in batches.

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
        self._cancel_when_sent: set = set()  # app futures cancelled while queued here
        self._wake = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="dask-parsl-submit", daemon=True)
        self._thread.start()

    def put(self, key: str, task, app_future, options: dict | None = None) -> None:
        """Queue a task; ``options`` are its Dask annotations (``resources``, ``priority``)."""
        self._queue.append((key, task, app_future, options))
        if not self._wake.is_set():
            self._wake.set()

    def cancel(self, app_future) -> None:
        """Cancel the Dask task of ``app_future``: now if it was sent, else once it is."""
        with self._listener.lock:  # the lock under which ``_send`` sets ``_remote``
            remote = app_future._remote
            if remote is None:
                self._cancel_when_sent.add(app_future)
                return
        remote.cancel()

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
            pending, submitted = self._listener.pending, self._listener.submitted
            for key, task, app_future, options in batch:
                pending[key] = app_future
                submitted[key] = (task, options)
            try:
                futures = _submit(self._client, batch)
            except Exception:
                futures = None
            if futures is not None:
                for item, dask_future in zip(batch, futures, strict=True):
                    item[2]._remote = dask_future
                    item[2]._inputs_held = None  # the scheduler has their keys now
        if futures is not None:
            self._cancel_those_cancelled()
            return
        # Something in the batch cannot be serialized: send the tasks one by
        # one so the offending calls fail with a clear error and the rest run.
        for item in batch:
            key, task, app_future, _ = item
            with self._listener.lock:
                try:
                    (app_future._remote,) = _submit(self._client, [item])
                    continue
                except Exception as error:
                    pending.pop(key, None)
                    submitted.pop(key, None)
                    failure = error
                finally:
                    app_future._inputs_held = None
            if isinstance(failure, DaskInternalsMissing):  # not the call's fault: say what is
                self._on_unsendable(app_future, functools.partial(_same, failure))
                continue
            name = app_future.task_record["func_name"]
            self._on_unsendable(app_future, functools.partial(describe_unpicklable, name, task, failure))
        self._cancel_those_cancelled()

    def _cancel_those_cancelled(self) -> None:
        """Cancel the Dask tasks of calls cancelled while they were queued here."""
        if not self._cancel_when_sent:  # the usual case: one test per batch
            return
        with self._listener.lock:
            sent = [future for future in self._cancel_when_sent if future._remote is not None]
            self._cancel_when_sent.difference_update(sent)
        self._client.cancel([future._remote for future in sent])


def _submit(client: Client, batch: list) -> list:
    """Submit a batch as one graph; its tasks run in call order (see ``submit_graph``)."""
    tasks = {key: task for key, task, _, _ in batch}
    annotations: dict[str, dict] = {}
    for key, _, _, options in batch:
        for name, value in (options or _NONE).items():
            annotations.setdefault(name, {})[key] = value
    return submit_graph(client, tasks, list(tasks), annotations)


_NONE: dict = {}


def _same(error: BaseException) -> BaseException:
    return error


def describe_unpicklable(app_name: str, task, error: Exception) -> SerializationError:
    """Name the argument of ``task`` that cannot be pickled."""
    args, kwargs = user_arguments(task, getattr(task.func, "leading_args", 0))
    for position, value in enumerate(args):
        try:
            dumps(value)
        except Exception as reason:
            what = f"positional argument {position} ({type(value).__name__})"
            return SerializationError(app_name, what, str(reason))
    for name, value in kwargs.items():
        try:
            dumps(value)
        except Exception as reason:
            what = f"keyword argument '{name}' ({type(value).__name__})"
            return SerializationError(app_name, what, str(reason))
    return SerializationError(app_name, "the app function or its arguments", str(error))

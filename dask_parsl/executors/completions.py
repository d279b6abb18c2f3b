"""Learning, in bulk and cheaply, when the client's tasks finish.

``distributed`` tells a client about each finished key on its batched stream
("key-in-memory", "task-erred", "cancelled-keys"). ``Future.add_done_callback``
would cost a coroutine and a thread hop per task; instead a hook after each of
those three messages (``internals.after_client_stream_handler``) puts the key on
a queue, and one thread drains the queue in batches and completes the app
futures. Reports about running tasks (tries and run times from
``WorkflowPlugin``, memoization from workers) and small results pushed by workers
(``scheduler.pushed_results``) arrive on the same stream, through the same queue,
before the completion they belong to.

While the client reconnects to its scheduler (``reconnects``), its tasks stay
pending; after ``reconnect_timeout`` seconds without a connection they fail with
``ExecutorLost``, as they do at once when the client closes.
"""
from __future__ import annotations

import logging
import queue
import threading
import time

from distributed import Client

from ..internals import add_client_stream_handler, after_client_stream_handler
from ..scheduler.events import EVENTS_OP
from ..scheduler.pushed_results import RESULT_OP, PushedResult
from .base import TaskListener

logger = logging.getLogger(__name__)


class CompletionListener:
    """Calls ``listener.task_finished(app_future, succeeded, pushed)`` once per finished
    pending key (``pushed``: its ``PushedResult``, if its worker sent one), and
    ``listener.task_event(app_future, event)`` for each report about one.

    Reports about a task reach the client before its completion (the scheduler and
    the worker send them first, on the same streams), so they find it pending."""

    def __init__(self, client: Client, listener: TaskListener, topics: tuple = (),
                 reconnect_timeout: float = 30.0) -> None:
        self.pending: dict = {}
        #: key -> (task, options) of each pending task, to submit again after a reconnection
        self.submitted: dict = {}
        self._pushed: dict = {}  # key -> the PushedResult of a pending task, until it finishes
        self.reconnect_timeout = reconnect_timeout
        self._disconnected_since: float | None = None
        #: set when the scheduler is lost for good: pending and later tasks fail with ExecutorLost
        self.lost = False
        # held while keys are registered and their dask futures attached, so a
        # completion is never processed before its future is fully wired up
        self.lock = threading.Lock()
        self._client = client
        self._listener = listener
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        put = self._events.put
        after_client_stream_handler(client, "key-in-memory", lambda key, **_: put((key, True)))
        after_client_stream_handler(client, "task-erred", lambda key, **_: put((key, False)))
        after_client_stream_handler(client, "cancelled-keys",
                                    lambda keys, **_: [put((key, False)) for key in keys])
        add_client_stream_handler(client, EVENTS_OP, self._put_plugin_events)
        add_client_stream_handler(client, RESULT_OP, self._put_pushed)
        for topic in topics:
            self.subscribe(topic)
        self._thread = threading.Thread(
            target=self._run, name="dask-parsl-completions", daemon=True
        )
        self._thread.start()

    def subscribe(self, topic: str) -> None:
        """Also read reports about running tasks from the workers' event ``topic``."""
        self._client.subscribe_topic(topic, self._put_event)

    def _put_event(self, event: tuple) -> None:
        _, message = event
        self._events.put((message["key"], message))

    def _put_pushed(self, key: object, payload: bytes | None = None, nbytes: int = 0,
                    report: dict | None = None, **_: object) -> None:
        if report is not None:
            self._events.put((key, report))
        if payload is not None:
            self._events.put((key, PushedResult(payload, nbytes)))

    def _put_plugin_events(self, events: list, **_: object) -> None:
        for message in events:
            self._events.put((message["key"], message))

    def _run(self) -> None:
        get = self._events.get
        while True:
            try:
                first = get(timeout=1.0)
                if first is None:  # close() wakes us up
                    return
                events = [first]
            except queue.Empty:
                if self._closed:
                    return
                self._check_connection()
                continue
            while True:
                try:
                    event = self._events.get_nowait()
                except queue.Empty:
                    break
                if event is None:
                    self._closed = True
                    break
                events.append(event)
            self._complete(events)
            if self._disconnected_since is not None or self.lost:
                self._check_connection()

    def _complete(self, events: list) -> None:
        # a method of its own, so no frame keeps finished futures alive afterwards
        found = []
        with self.lock:
            pending, submitted, pushed = self.pending, self.submitted, self._pushed
            for key, outcome in events:
                if key not in pending:
                    continue
                if outcome.__class__ is bool:  # finished
                    found.append((pending.pop(key), outcome, pushed.pop(key, None) if pushed else None))
                    del submitted[key]
                elif outcome.__class__ is PushedResult:
                    pushed[key] = outcome
                else:
                    found.append((pending[key], outcome, None))
        for app_future, outcome, result in found:
            try:
                if outcome.__class__ is bool:
                    self._listener.task_finished(app_future, outcome, result)
                else:
                    self._listener.task_event(app_future, outcome)
            except Exception:
                logger.exception("Handling %r of task %s failed", outcome, app_future.tid)

    def _check_connection(self) -> None:
        status = self._client.status
        if self.lost or status in ("closing", "closed", "failed"):
            self.fail_all_pending()
        elif status == "connecting":
            now = time.monotonic()
            if self._disconnected_since is None:
                self._disconnected_since = now
            elif now - self._disconnected_since > self.reconnect_timeout:
                self.fail_all_pending()
        else:
            self._disconnected_since = None

    def fail_all_pending(self) -> None:
        """Fail every pending task with ``ExecutorLost`` (``TaskListener.connection_lost``)."""
        with self.lock:
            lost = list(self.pending.values())
            self.pending.clear()
            self.submitted.clear()
            self._pushed.clear()
        for app_future in lost:
            self._listener.connection_lost(app_future)

    def close(self) -> None:
        self._closed = True
        self._events.put(None)
        self._thread.join(timeout=5)

"""Learning, in bulk and cheaply, when the client's tasks finish.

``distributed`` tells a client about each finished key on its batched stream
("key-in-memory", "task-erred", "cancelled-keys"). ``Future.add_done_callback``
would cost a coroutine and a thread hop per task; instead the handlers of
those three messages are wrapped to put the key on a queue, and one thread
drains the queue in batches and completes the app futures. Reports about
running tasks (failed tries from ``WorkflowPlugin``, memoization from workers)
arrive as events on subscribed topics, through the same queue and in order.

The handler table is internal to ``distributed`` (tested on 2026.8.0, the
lower bound in setup.cfg); this module is the only place that touches it.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from distributed import Client

logger = logging.getLogger(__name__)

_WRAPPED_OPS = {"key-in-memory": True, "task-erred": False}


class CompletionListener:
    """Calls ``on_done(app_future, succeeded)`` once per finished pending key, and
    ``on_event(app_future, event)`` for each report about a pending key."""

    def __init__(self, client: Client, on_done: Callable, on_client_lost: Callable,
                 on_event: Callable, topics: tuple = ()) -> None:
        self.pending: dict = {}
        # held while keys are registered and their dask futures attached, so a
        # completion is never processed before its future is fully wired up
        self.lock = threading.Lock()
        self._client = client
        self._on_done = on_done
        self._on_client_lost = on_client_lost
        self._on_event = on_event
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._wrap_handlers(client)
        for topic in topics:
            client.subscribe_topic(topic, self._put_event)
        self._thread = threading.Thread(
            target=self._run, name="dask-parsl-completions", daemon=True
        )
        self._thread.start()

    def _wrap_handlers(self, client: Client) -> None:
        handlers = client._stream_handlers
        put = self._events.put
        for op, succeeded in _WRAPPED_OPS.items():
            original = handlers[op]

            def handler(*, _original=original, _ok=succeeded, **msg):
                _original(**msg)
                put((msg["key"], _ok))

            handlers[op] = handler

        original_cancel = handlers["cancelled-keys"]

        def cancelled(**msg):
            original_cancel(**msg)
            for key in msg["keys"]:
                put((key, False))

        handlers["cancelled-keys"] = cancelled

    def _put_event(self, event: tuple) -> None:
        _, message = event
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
                if self._client.status in ("closing", "closed", "failed"):
                    self._fail_all_pending()
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

    def _complete(self, events: list) -> None:
        # a method of its own, so no frame keeps finished futures alive afterwards
        with self.lock:
            pending = self.pending
            found = [(pending.pop(key) if outcome.__class__ is bool else pending[key], outcome)
                     for key, outcome in events if key in pending]
        for app_future, outcome in found:
            try:
                if outcome.__class__ is bool:
                    self._on_done(app_future, outcome)
                else:
                    self._on_event(app_future, outcome)
            except Exception:
                logger.exception("Handling %r of task %s failed", outcome, app_future.tid)

    def _fail_all_pending(self) -> None:
        with self.lock:
            lost = list(self.pending.values())
            self.pending.clear()
        for app_future in lost:
            self._on_client_lost(app_future)

    def close(self) -> None:
        self._closed = True
        self._events.put(None)
        self._thread.join(timeout=5)

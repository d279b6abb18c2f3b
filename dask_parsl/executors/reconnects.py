"""Finishing a workflow's tasks after its client reconnects to the scheduler.

``distributed``'s client cancels every future it holds when its connection drops, and
connects again under the same id. ``WorkflowPlugin`` has kept the kernel's keys
meanwhile (``scheduler.reconnects``), so once connected this side binds new futures to
the keys of its pending tasks and of the results still on workers, and asks for them
back; the plugin names the keys it never received, whose tasks are submitted again.

A scheduler that is not the one the client lost (restarted at the same address) has
none of the workflow: the executor is lost, its pending and later tasks fail with
``ExecutorLost`` (in the completion thread, within a second), and so do later reads of
results that were on its workers.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from distributed import Client, Future

from ..dataflow.errors import ExecutorLost
from ..dataflow.futures import ON_WORKER
from ..dataflow.held_results import failed_future
from ..internals import (
    add_client_stream_handler,
    after_client_reconnects,
    cancel_locally,
    scheduler_id,
    send_to_scheduler,
)
from ..scheduler.reconnects import RECLAIM_OP, UNKNOWN_KEYS_OP
from .base import TaskListener
from .completions import CompletionListener

logger = logging.getLogger(__name__)


class Reconnection:
    """Takes back a kernel's tasks each time its client reconnects.

    ``subscriptions`` are the messages that told the scheduler's plugin about this
    kernel, sent again first; ``resubmit(key, task, app_future, options)`` submits a
    task again; ``plugin``: whether the scheduler kept the keys (its ``WorkflowPlugin``
    is registered)."""

    def __init__(self, executor: Any, client: Client, completions: CompletionListener, tasks: TaskListener,
                 resubmit: Callable, subscriptions: list[dict], plugin: bool) -> None:
        self._executor = executor
        self._client = client
        self._completions = completions
        self._tasks = tasks
        self._resubmit = resubmit
        self._subscriptions = subscriptions
        self._plugin = plugin
        self._scheduler = scheduler_id(client)
        self._held: dict = {}  # key -> the finished future whose result it is, while asked back
        after_client_reconnects(client, self._reclaim)
        add_client_stream_handler(client, UNKNOWN_KEYS_OP, self._submit_unknown)

    def _reclaim(self) -> None:
        held = self._tasks.results_held_by(self._executor)
        if not self._plugin or scheduler_id(self._client) != self._scheduler:
            logger.warning("Executor %s reconnected to a scheduler that does not have its tasks: "
                           "they fail with ExecutorLost", self._executor.label)
            self._completions.lost = True
            for future in held:
                self._lose_result(future)
            return
        for message in self._subscriptions:
            send_to_scheduler(self._client, message)
        keys = []
        with self._completions.lock:
            for key, future in self._completions.pending.items():
                if future._remote is not None:  # (else its batch is being sent)
                    future._remote = Future(key, self._client)
                    keys.append(key)
        for future in held:
            key = future._remote.key
            future._remote = Future(key, self._client)
            self._held[key] = future
            keys.append(key)
        logger.info("Executor %s reconnected: asking for %d keys back", self._executor.label, len(keys))
        send_to_scheduler(self._client, {"op": RECLAIM_OP, "keys": keys})

    def _submit_unknown(self, keys: list, **_: Any) -> None:
        """The scheduler never had ``keys``: submit their tasks again (in call order)."""
        held, self._held = self._held, {}
        again = []
        with self._completions.lock:
            for key in keys:
                future = self._completions.pending.get(key)
                if future is not None:
                    again.append((key, *self._completions.submitted[key], future))
                elif key in held:
                    self._lose_result(held[key])
                    cancel_locally(self._client, key)  # a reader waiting on it turns to the replacement
        if again:
            logger.info("Executor %s: submitting %d tasks again, lost with the connection",
                        self._executor.label, len(again))
        for key, task, options, future in again:
            self._resubmit(key, task, future, options)

    def _lose_result(self, future: Any) -> None:
        """The workers lost the result of ``future``: reading it raises ``ExecutorLost``, unless
        it was read here already; then later calls take that value instead."""
        if future._stored_result() is ON_WORKER:
            future._replacement = failed_future(ExecutorLost(future.tid, self._executor.label))
        else:
            future._key = None

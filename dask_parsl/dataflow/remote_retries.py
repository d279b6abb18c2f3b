"""A ``retry_handler`` for tasks on Dask clusters, run by the kernel on the full task record.

The task's arguments never reach the scheduler, so when the kernel has a handler
``WorkflowPlugin`` holds each failed try and sends it here (a ``"decide"`` event).
The handler runs in the kernel's thread pool, never on the scheduler's event loop;
the answer goes back to the plugin, which re-queues or fails the task. After a
reconnection the plugin asks again about every try it still holds (an answer may
have been lost with the connection): a try is charged once, and answered again
the same way.
"""
from __future__ import annotations

import concurrent.futures
import logging
from typing import TYPE_CHECKING

from distributed.protocol import pickle

from .retries import charge_try_here, note_lost_try

if TYPE_CHECKING:
    from .futures import AppFuture
    from .graph import GraphBuilder
    from .outcomes import Outcomes

logger = logging.getLogger(__name__)


class RemoteRetries:
    """Decides the retries of failed Dask tasks with the kernel's ``retry_handler``."""

    def __init__(self, pool: concurrent.futures.ThreadPoolExecutor, graph: GraphBuilder,
                 outcomes: Outcomes) -> None:
        self.pool = pool
        self.graph = graph
        self.outcomes = outcomes

    def decide(self, future: AppFuture, event: dict) -> None:
        """A failed try of ``future``'s task waits on the scheduler for a decision."""
        record = future.task_record
        asked = record.get("last_retry_decision")
        if asked is not None and asked[0] == event.get("ask"):  # asked again after a reconnection
            if asked[1] is not None:  # (else the answer is on its way)
                self._answer(future, event, *asked[1])
            return
        record["last_retry_decision"] = (event.get("ask"), None)
        try:
            self.pool.submit(self._decide, future, event)
        except RuntimeError:  # the kernel is shutting down: no retry
            record["last_retry_decision"] = (event.get("ask"), (False, None))
            self._answer(future, event, False)

    def _decide(self, future: AppFuture, event: dict) -> None:
        record = future.task_record
        retry, replaced = False, None
        try:
            if record.unfinished_future() is None:  # failed meanwhile (cleanup, connection lost)
                return
            error = _exception_of(event)
            if "lost" in event:  # its worker died, and (parsl.worker-loss: charge) that costs a try
                note_lost_try(record, event["lost"], charged=True)
            final = charge_try_here(self.graph.retry_policy(record.app), record, error)
            retry = final is None
            self.outcomes.events.try_failed(record, {**event, "retry": retry, "error": repr(error)})
            if retry:
                record.begin_next_try()
            else:  # the scheduler fails the task next: its last try is counted already
                future._final_try_counted = True
                replaced = None if final is error else _pickled(final)
        finally:  # the scheduler holds the task until it hears back
            record["last_retry_decision"] = (event.get("ask"), (retry, replaced))
            self._answer(future, event, retry, replaced)

    def _answer(self, future: AppFuture, event: dict, retry: bool, replaced: bytes | None = None) -> None:
        record = future.task_record
        try:
            future._executor.retry_decided(event["key"], event.get("run_id"), retry, replaced,
                                           record.fail_cost, record.fail_count)
        except Exception:
            logger.exception("Could not send the retry decision of task %s", record.id)


def _exception_of(event: dict) -> BaseException:
    try:
        error = pickle.loads(event["exception"])
    except Exception as cannot_load:
        return RuntimeError(f"{event.get('error')} (its exception could not be loaded: {cannot_load!r})")
    return error if isinstance(error, BaseException) else RuntimeError(repr(error))


def _pickled(error: BaseException) -> bytes:
    try:
        return pickle.dumps(error)
    except Exception:
        return pickle.dumps(RuntimeError(repr(error)))

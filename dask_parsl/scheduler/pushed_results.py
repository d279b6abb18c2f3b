"""Small results, and what cached calls memoized, come back with their task's completion.

A client learns that a task finished from the scheduler ("key-in-memory"), and then
fetches the value from the worker in a round trip of its own. For a small value, that
round trip costs more than the value: ``ResultPusher`` (on each worker) pickles the
result of each app task up to ``max_size`` bytes and sends it on the worker's stream,
just before the worker's own "task-finished"; ``WorkflowPlugin`` passes the bytes on,
unread, to the kernels holding the task that asked for results (``SUBSCRIBE_OP`` with
``results``). Both streams batch, so a burst of completions brings its values in a few
writes, and the value reaches the client before its completion. The worker keeps its
copy: dependents still get their inputs worker to worker.

The report of a cached call (its hashsum and result token, ``memo.cached_call``) goes in
the same message, to every kernel holding the task, rather than as an event of its own.
"""
from __future__ import annotations

import logging
from typing import Any

from distributed import get_worker
from distributed.comm import CommClosedError
from distributed.diagnostics.plugin import WorkerPlugin
from distributed.protocol import pickle

from ..internals import running_task_key
from .events import MEMO_TOPIC
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
    """Sends the result of each app task of at most ``max_size`` bytes (0: none), and the
    reports kept for it (``report_with_completion``), to the scheduler as it finishes."""

    name = "dask-parsl-result-pusher"

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size

    def setup(self, worker: Any) -> None:
        from ..apps.call import take_result_pickles  # the apps import the scheduler's plugins

        self.worker = worker
        self.reports: dict = {}  # key -> the report of a running task, sent with its completion
        self.pickles: dict = {}  # key -> the pickled result of a task, made as its app checked it
        take_result_pickles(_keep_result_pickle)

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if start not in ("executing", "long-running"):
            return
        report = self.reports.pop(key, None) if self.reports else None
        pickled = self.pickles.pop(key, None) if self.pickles else None
        if finish != "memory":
            return
        message = {"op": RESULT_OP, "key": key}
        if report is not None:
            message["report"] = report
        worker = self.worker
        ts = worker.state.tasks.get(key)
        if ts is not None and ts.nbytes is not None and ts.nbytes <= self.max_size and is_app_task(ts):
            try:
                message["payload"] = pickled if pickled is not None else pickle.dumps(worker.data[key])
                message["nbytes"] = ts.nbytes
            except Exception:  # fetched as usual instead, where the error (if any) shows
                logger.debug("Could not pickle the result of %s to send it along", key, exc_info=True)
        if len(message) > 2:
            worker.batched_send(message)


def _keep_result_pickle(pickled: bytes) -> None:
    """In a task's thread: keep the pickle of its result, if small enough to send."""
    try:
        pusher = get_worker().plugins.get(ResultPusher.name)
    except ValueError:  # not on a worker
        return
    if pusher is not None and len(pickled) <= pusher.max_size:
        pusher.pickles[running_task_key()] = pickled


def report_with_completion(worker: Any, key: Any, report: dict) -> bool:
    """Have ``report`` about the running task ``key`` sent with its completion; False if the
    worker has no ``ResultPusher`` to send it (the scheduler has no ``WorkflowPlugin``).
    Called from the task's thread: a dict item is all it sets."""
    pusher = worker.plugins.get(ResultPusher.name)
    if pusher is None:
        return False
    pusher.reports[key] = report
    return True


def pass_on(scheduler: Any, key: Any, message: dict, kernels: set, result_takers: set) -> None:
    """On the scheduler: a worker's ``RESULT_OP`` message about ``key``, unread, to the
    ``kernels`` holding the task (its result only to ``result_takers``); a memo report to
    other clients as an event (a kernel without ``WorkflowPlugin`` reads those)."""
    ts = scheduler.tasks.get(key)
    if ts is None:
        return
    message["op"], message["key"] = RESULT_OP, key
    if ts.dependents:  # an input of later calls (along a chain, in a pipeline): rarely read here
        message = _without_result(message)
        if message is None:
            return
    comms, logged = scheduler.client_comms, False
    for client in ts.who_wants or ():
        name = client.client_key
        if name not in kernels:
            if "report" in message and not logged:
                scheduler.log_event(MEMO_TOPIC, message["report"])
                logged = True
            continue
        sent = message if name in result_takers else _without_result(message)
        comm = comms.get(name)
        if comm is not None and sent is not None:
            try:
                comm.send(sent)
            except CommClosedError:  # it reads the result from the worker once reconnected
                pass


def _without_result(message: dict) -> dict | None:
    """``message`` without the result; None if nothing else is in it."""
    if "payload" not in message:
        return message
    if "report" not in message:
        return None
    return {"op": message["op"], "key": message["key"], "report": message["report"]}

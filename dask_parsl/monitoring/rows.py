"""The rows of one run, made from the kernel's task events as Parsl fills its tables.

``RunRows.add(event, batch)`` keeps the task and try rows of unfinished tasks up to
date and puts what changed in ``batch``; a finished task's rows are forgotten once
handed over. Times are seconds since the epoch here; the writer stores them as
Parsl does (naive local time).
"""
from __future__ import annotations

import collections
import datetime
import getpass
import os
import socket
from typing import Any
from urllib.parse import urlsplit

from ..dataflow.futures import AppFuture, DataFuture
from ..dataflow.routing import JOIN_EXECUTOR
from ..staging.files import File
from .schema import FINAL_STATES

#: the executor label Parsl gives join apps in its tables
PARSL_JOIN_EXECUTOR = "_parsl_internal"
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "")
_HOSTNAME = socket.gethostname()
#: the gap (seconds) that keeps worker times strictly inside their try's client times
_STEP = 1e-5


class RowBatch:
    """Rows to write: the latest task and try rows by key, every status and resource row
    (status rows as tuples, in the table's column order: there are many)."""

    __slots__ = ("workflows", "tasks", "tries", "statuses", "resources")

    def __init__(self) -> None:
        self.workflows: dict[tuple, dict] = {}
        self.tasks: dict[tuple, dict] = {}
        self.tries: dict[tuple, dict] = {}
        self.statuses: list[tuple] = []
        self.resources: list[dict] = []

    def __bool__(self) -> bool:
        return bool(self.workflows or self.tasks or self.tries or self.statuses or self.resources)


def workflow_row(run_id: str, name: str, version: str | None, rundir: str, began: float) -> dict:
    version = version or str(datetime.datetime.fromtimestamp(began).replace(microsecond=0))
    return {"run_id": run_id, "workflow_name": name, "workflow_version": version,
            "time_began": began, "time_completed": None, "host": _HOSTNAME, "user": getpass.getuser(),
            "rundir": os.path.abspath(rundir), "tasks_failed_count": 0, "tasks_completed_count": 0}


def resource_row(run_id: str, event: Any) -> dict:
    """The resource row of a sample (``event.info``) of the worker running a try."""
    sample = {name: value for name, value in event.info.items() if name.startswith(("psutil_", "resource_"))}
    return {"try_id": event.try_id, "task_id": event.task_id, "run_id": run_id, "timestamp": event.time,
            **sample}


class RunRows:
    """The task and try rows of a run's unfinished tasks, and its workflow counts.

    ``running`` and ``running_ended`` are the worker's times: they are held until their
    try ends and then written within the try's launch and return times, so that a
    clock between worker and client that disagrees by a few milliseconds never puts a
    task's start after its end.
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.completed = 0  # exec_done, as Parsl counts
        self.failed = 0  # failed (not dep_fail), as Parsl counts
        self._tasks: dict[int, dict] = {}
        self._tries: dict[int, dict[int, dict]] = {}  # task id -> try id -> row
        self._ran: dict[tuple[int, int], list[tuple[str, float]]] = {}
        #: the latest finished tasks: a report that comes after the end (a try that returns as
        #: cleanup fails its task) changes nothing
        self._finished: collections.OrderedDict = collections.OrderedDict()

    def add(self, event: Any, batch: RowBatch) -> None:
        """Put in ``batch`` the rows that ``event`` adds or changes."""
        state, record, task_id, try_id = event.state, event.record, event.task_id, event.try_id
        if task_id in self._finished:
            return
        task = self._tasks.get(task_id)
        if task is None or state in FINAL_STATES:
            task = self._tasks[task_id] = self._task_row(record)
        else:  # what changes while a task runs, as Parsl updates it on every state change
            task["task_depends"] = _ids(record.depends)
            task["task_hashsum"] = record.hashsum
            task["task_fail_count"], task["task_fail_cost"] = record.fail_count, float(record.fail_cost)
        batch.tasks[task_id, self.run_id] = task
        tries = self._tries.get(task_id)
        if tries is None:
            tries = self._tries[task_id] = {}
        attempt = tries.get(try_id)
        if attempt is None:
            attempt = tries[try_id] = self._try_row(task_id, try_id, record)
        batch.tries[try_id, task_id, self.run_id] = attempt
        if state == "running" or state == "running_ended":
            self._ran.setdefault((task_id, try_id), []).append((state, event.time))
            if state == "running":
                attempt["hostname"] = _host_of((event.info or {}).get("worker"))
            return
        when = event.time
        if state == "launched":
            attempt["task_try_time_launched"] = when
            attempt["task_executor"] = _executor_label(record)  # chosen after ``pending``
        elif state in ("fail_retryable", "failed", "dep_fail"):
            attempt["task_try_time_returned"] = attempt["task_try_time_returned"] or when
            attempt["task_fail_history"] = (event.info or {}).get("error") or ""
        elif state == "joining":
            attempt["task_try_time_returned"] = when
            attempt["task_fail_history"] = attempt["task_fail_history"] or ""
            joins = record.joins
            attempt["task_joins"] = _ids(joins if isinstance(joins, list) else [joins])
        elif state == "exec_done" or state == "memo_done":
            attempt["task_try_time_returned"] = attempt["task_try_time_returned"] or when
            attempt["task_fail_history"] = attempt["task_fail_history"] or ""
            if state == "memo_done":  # Parsl stamps the launch attempt that found the memo
                attempt["task_try_time_launched"] = attempt["task_try_time_launched"] or when
        if state in _TRY_ENDS:
            self._try_ended(task_id, try_id, attempt, when, batch)
        batch.statuses.append((task_id, state, when, self.run_id, try_id))
        if state in FINAL_STATES:
            self.completed += state == "exec_done"
            self.failed += state == "failed"
            del self._tasks[task_id], self._tries[task_id]
            self._finished[task_id] = None
            if len(self._finished) > _FINISHED_KEPT:
                self._finished.popitem(last=False)

    def _try_ended(self, task_id: int, try_id: int, attempt: dict, ended: float, batch: RowBatch) -> None:
        """The held ``running``/``running_ended`` rows of a try, within its launch and end."""
        ran = self._ran.pop((task_id, try_id), None)
        if not ran:
            return
        launched = attempt["task_try_time_launched"]
        earliest = (ended - 1.0 if launched is None else launched) + _STEP
        latest = max(ended - _STEP, earliest + 2 * _STEP)  # launched < running < running_ended < end
        started = earliest
        for state, seconds in sorted(ran, key=lambda item: item[0] != "running"):
            if state == "running":
                when = started = min(max(seconds, earliest), latest - _STEP)
                attempt["task_try_time_running"] = when
            else:
                when = min(max(seconds, started + _STEP), latest)
            batch.statuses.append((task_id, state, when, self.run_id, try_id))

    def _task_row(self, record: Any) -> dict:
        kwargs = record.kwargs
        return {
            "task_id": record.id, "run_id": self.run_id, "task_depends": _ids(record.depends),
            "task_func_name": record.func_name, "task_memoize": "1" if record.memoize else "0",
            "task_hashsum": record.hashsum, "task_inputs": str(kwargs.get("inputs")),
            "task_outputs": str(kwargs.get("outputs")), "task_stdin": kwargs.get("stdin"),
            "task_stdout": _stream(kwargs.get("stdout")), "task_stderr": _stream(kwargs.get("stderr")),
            "task_time_invoked": record._time_invoked, "task_time_returned": record._time_returned,
            "task_fail_count": record.fail_count, "task_fail_cost": float(record.fail_cost),
        }

    def _try_row(self, task_id: int, try_id: int, record: Any) -> dict:
        return {"try_id": try_id, "task_id": task_id, "run_id": self.run_id, "block_id": None,
                "hostname": None, "task_executor": _executor_label(record), "task_try_time_launched": None,
                "task_try_time_running": None, "task_try_time_returned": None, "task_fail_history": None,
                "task_joins": None}


_TRY_ENDS = frozenset(("fail_retryable", "joining", *FINAL_STATES))
_FINISHED_KEPT = 10_000


def _executor_label(record: Any) -> str:
    """The label Parsl's tables show for a task's executor (before one is chosen, or for a
    call that failed before: the first one its app asks for)."""
    executor = record.executor
    if executor == JOIN_EXECUTOR:
        return PARSL_JOIN_EXECUTOR
    if executor is None:
        asked = record.app.executors
        return asked[0] if asked != "all" and asked else ""
    return executor


def _ids(futures: Any) -> str:
    """Task ids of app and data futures (or of finished tasks' ids), comma-joined."""
    ids = []
    for dep in futures or ():
        if isinstance(dep, AppFuture):
            ids.append(str(dep.tid))
        elif isinstance(dep, DataFuture) and dep.tid is not None:
            ids.append(str(dep.tid))
        elif isinstance(dep, int) and not isinstance(dep, bool):
            ids.append(str(dep))
    return ",".join(ids)


def _stream(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, File):
        return value.url
    if isinstance(value, (tuple, list)) and value:
        value = value[0]
    return os.fspath(value) if isinstance(value, (str, os.PathLike)) else ""


def _host_of(worker: Any) -> str | None:
    """The host of a worker address (this machine's name for a loopback address)."""
    if not worker:
        return None
    host = urlsplit(worker).hostname if "://" in str(worker) else str(worker)
    return _HOSTNAME if host in _LOCAL_HOSTS or host is None else host

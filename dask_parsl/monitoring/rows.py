"""The rows of one run, made from the kernel's task events as Parsl fills its tables.

``RunRows.add(event)`` keeps the task and try rows of unfinished tasks up to date
and returns what changed; a finished task's rows are forgotten once written. Times are
naive local datetimes, as Parsl stores them.
"""
from __future__ import annotations

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


def local_time(seconds: float | None) -> datetime.datetime | None:
    return None if seconds is None else datetime.datetime.fromtimestamp(seconds)


def workflow_row(run_id: str, name: str, version: str | None, rundir: str, began: float) -> dict:
    began_at = local_time(began)
    return {"run_id": run_id, "workflow_name": name,
            "workflow_version": version or str(began_at.replace(microsecond=0)),
            "time_began": began_at, "time_completed": None, "host": _HOSTNAME, "user": getpass.getuser(),
            "rundir": os.path.abspath(rundir), "tasks_failed_count": 0, "tasks_completed_count": 0}


def task_row(run_id: str, record: Any) -> dict:
    kwargs = record.kwargs
    return {
        "task_id": record.id, "run_id": run_id, "task_depends": _ids(record.depends),
        "task_func_name": record.func_name, "task_memoize": "1" if record.memoize else "0",
        "task_hashsum": record.hashsum, "task_inputs": str(kwargs.get("inputs")),
        "task_outputs": str(kwargs.get("outputs")), "task_stdin": kwargs.get("stdin"),
        "task_stdout": _stream(kwargs.get("stdout")), "task_stderr": _stream(kwargs.get("stderr")),
        "task_time_invoked": local_time(record._time_invoked),
        "task_time_returned": local_time(record._time_returned),
        "task_fail_count": record.fail_count, "task_fail_cost": float(record.fail_cost),
    }


def try_row(run_id: str, task_id: int, try_id: int, executor: str | None) -> dict:
    return {"try_id": try_id, "task_id": task_id, "run_id": run_id, "block_id": None, "hostname": None,
            "task_executor": _executor_label(executor),
            "task_try_time_launched": None, "task_try_time_running": None, "task_try_time_returned": None,
            "task_fail_history": "", "task_joins": None}


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
        self._launched: dict[tuple[int, int], float] = {}
        self._ran: dict[tuple[int, int], list[tuple[str, float]]] = {}

    def add(self, event: Any) -> tuple[dict, dict, list[dict]]:
        """The task row, try row and status rows that ``event`` changes."""
        state, record = event.state, event.record
        task = self._tasks.get(event.task_id)
        if task is None or state in FINAL_STATES:
            task = self._tasks[event.task_id] = task_row(self.run_id, record)
        tries = self._tries.setdefault(event.task_id, {})
        attempt = tries.get(event.try_id)
        if attempt is None:
            attempt = tries[event.try_id] = try_row(self.run_id, event.task_id, event.try_id, record.executor)
        elif attempt["task_executor"] is None or state == "launched":  # chosen after ``pending``
            attempt["task_executor"] = _executor_label(record.executor)
        key, when = (event.task_id, event.try_id), local_time(event.time)
        statuses = []
        info = event.info or {}
        if state in ("running", "running_ended"):
            self._ran.setdefault(key, []).append((state, event.time))
            if state == "running":
                attempt["hostname"] = _host_of(info.get("worker"))
        else:
            if state == "launched":
                attempt["task_try_time_launched"] = when
                self._launched[key] = event.time
            elif state in ("fail_retryable", "failed", "dep_fail"):
                attempt["task_try_time_returned"] = attempt["task_try_time_returned"] or when
                attempt["task_fail_history"] = info.get("error") or ""
            elif state == "joining":
                attempt["task_try_time_returned"] = when
                joins = record.joins
                attempt["task_joins"] = _ids(joins if isinstance(joins, list) else [joins])
            elif state in ("exec_done", "memo_done"):
                attempt["task_try_time_returned"] = attempt["task_try_time_returned"] or when
                if state == "memo_done":  # Parsl stamps the launch attempt that found the memo
                    attempt["task_try_time_launched"] = attempt["task_try_time_launched"] or when
            if state in ("fail_retryable", "joining", *FINAL_STATES):
                statuses += self._try_ended(key, attempt, event.time)
            statuses.append(self._status(event.task_id, event.try_id, state, when))
        if state in FINAL_STATES:
            self.completed += state == "exec_done"
            self.failed += state == "failed"
            del self._tasks[event.task_id]
            for try_id in self._tries.pop(event.task_id):
                self._launched.pop((event.task_id, try_id), None)
                self._ran.pop((event.task_id, try_id), None)
        return dict(task), dict(attempt), statuses

    def _try_ended(self, key: tuple[int, int], attempt: dict, ended: float) -> list[dict]:
        """The held ``running``/``running_ended`` rows of a try, within its launch and end."""
        ran = self._ran.pop(key, None)
        if not ran:
            return []
        earliest = self._launched.get(key, float("-inf")) + _STEP
        latest = max(ended - _STEP, earliest)
        rows = []
        for state, seconds in ran:
            when = local_time(min(max(seconds, earliest), latest - (_STEP if state == "running" else 0)))
            if state == "running":
                attempt["task_try_time_running"] = when
            rows.append(self._status(key[0], key[1], state, when))
        return rows

    def _status(self, task_id: int, try_id: int, state: str, when: Any) -> dict:
        return {"task_id": task_id, "task_status_name": state, "timestamp": when,
                "run_id": self.run_id, "try_id": try_id}


def _executor_label(executor: str | None) -> str | None:
    return PARSL_JOIN_EXECUTOR if executor == JOIN_EXECUTOR else executor


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

"""What ``dask-parsl monitor`` reads from a monitoring database: workflows, a per-app
summary, failed tasks, and the tries a report plots."""
from __future__ import annotations

import datetime
import os
from collections import defaultdict
from typing import Any, NamedTuple

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine

from .schema import FINAL_STATES, status, task, try_, workflow
from .writer import with_installed_driver


def database_url(location: str | None) -> str:
    """A SQLAlchemy URL from what a user types: a URL, a database file, or a run directory
    (default ``runinfo``) holding ``monitoring.db``."""
    location = location or "runinfo"
    if "://" in location:
        if location.startswith("sqlite:///") and not os.path.exists(location[len("sqlite:///"):]):
            raise FileNotFoundError(f"no monitoring database at {location}")
        return with_installed_driver(location)
    if os.path.isdir(location):
        inside = os.path.join(location, "monitoring.db")
        above = os.path.join(os.path.dirname(os.path.abspath(location)), "monitoring.db")
        location = inside if os.path.exists(inside) or not os.path.exists(above) else above  # runinfo/000
    if not os.path.exists(location):
        raise FileNotFoundError(f"no monitoring database at {location}: give its path, its run directory, "
                                "or a SQLAlchemy URL")
    return f"sqlite:///{os.path.abspath(location)}"


def open_database(location: str | None) -> Engine:
    return create_engine(database_url(location))


def workflows(engine: Engine, limit: int = 20) -> list[dict]:
    """The latest ``limit`` workflows, newest first."""
    query = select(workflow).order_by(workflow.c.time_began.desc()).limit(limit)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def chosen_run(engine: Engine, run_id: str | None) -> str:
    """``run_id`` (a prefix is enough), or the latest workflow's."""
    with engine.connect() as connection:
        query = select(workflow.c.run_id).order_by(workflow.c.time_began.desc())
        if run_id:
            query = query.where(workflow.c.run_id.startswith(run_id))
        found = connection.execute(query.limit(1)).scalar()
    if found is None:
        raise LookupError(f"no workflow {run_id!r} in this database" if run_id
                          else "this database has no workflow")
    return found


class AppSummary(NamedTuple):
    app: str
    states: dict[str, int]
    tries: int
    retries: int
    memo_hits: int
    mean_seconds: float | None
    max_seconds: float | None


def app_summaries(engine: Engine, run_id: str) -> list[AppSummary]:
    """Per app of one run: tasks by final state, tries that ran, retries, memo hits, run times."""
    states_query = (select(task.c.task_func_name, status.c.task_status_name, func.count())
                    .join(status, (status.c.task_id == task.c.task_id) & (status.c.run_id == task.c.run_id))
                    .where(task.c.run_id == run_id, status.c.task_status_name.in_(FINAL_STATES))
                    .group_by(task.c.task_func_name, status.c.task_status_name))
    tries_query = (select(task.c.task_func_name, try_.c.try_id, try_.c.task_try_time_running,
                          try_.c.task_try_time_returned)
                   .join(try_, (try_.c.task_id == task.c.task_id) & (try_.c.run_id == task.c.run_id))
                   .where(task.c.run_id == run_id))
    states: dict[str, dict[str, int]] = defaultdict(dict)
    tries: dict[str, int] = defaultdict(int)
    retries: dict[str, int] = defaultdict(int)
    durations: dict[str, list[float]] = defaultdict(list)
    with engine.connect() as connection:
        for app, state, count in connection.execute(states_query):
            states[app][state] = count
        for app, try_id, running, returned in connection.execute(tries_query):
            if running is None:  # answered from the memo, or its dependency failed: it never ran
                continue
            tries[app] += 1
            retries[app] += try_id > 0
            if returned is not None:
                durations[app].append((_datetime(returned) - _datetime(running)).total_seconds())
    summaries = []
    for app in sorted(set(states) | set(tries)):
        times = durations.get(app) or []
        mean, longest = (sum(times) / len(times), max(times)) if times else (None, None)
        summaries.append(AppSummary(app, states.get(app, {}), tries.get(app, 0), retries.get(app, 0),
                                    states.get(app, {}).get("memo_done", 0), mean, longest))
    return summaries


class FailedTask(NamedTuple):
    task_id: int
    app: str
    state: str
    tries: int
    error: str
    stdout: str | None
    stderr: str | None


def failed_tasks(engine: Engine, run_id: str) -> list[FailedTask]:
    """Each task of one run that ended ``failed`` or ``dep_fail``, with its last error."""
    joined = (status.c.task_id == task.c.task_id) & (status.c.run_id == task.c.run_id)
    failed = (select(task.c.task_id, task.c.task_func_name, status.c.task_status_name, task.c.task_stdout,
                     task.c.task_stderr)
              .join(status, joined)
              .where(task.c.run_id == run_id, status.c.task_status_name.in_(("failed", "dep_fail"))))
    with engine.connect() as connection:
        ended = {row.task_id: row for row in connection.execute(failed)}
        if not ended:
            return []
        attempts: dict[int, list] = defaultdict(list)
        tries_of_run = select(try_.c.task_id, try_.c.try_id, try_.c.task_fail_history).where(
            try_.c.run_id == run_id)
        for task_id, try_id, history in connection.execute(tries_of_run):
            if task_id in ended:
                attempts[task_id].append((try_id, history or ""))
    result = []
    for task_id in sorted(ended):
        row, tries = ended[task_id], sorted(attempts.get(task_id, []))
        error = tries[-1][1] if tries else ""
        result.append(FailedTask(task_id, row.task_func_name, row.task_status_name, len(tries), error,
                                 row.task_stdout or None, row.task_stderr or None))
    return result


def try_spans(engine: Engine, run_id: str) -> list[dict]:
    """Each try of one run that ran: app, task, try, start and end (for a report)."""
    query = (select(task.c.task_func_name, try_.c.task_id, try_.c.try_id, try_.c.task_try_time_running,
                    try_.c.task_try_time_returned, try_.c.task_fail_history)
             .join(try_, (try_.c.task_id == task.c.task_id) & (try_.c.run_id == task.c.run_id))
             .where(task.c.run_id == run_id, try_.c.task_try_time_running.is_not(None)))
    with engine.connect() as connection:
        return [{"app": app, "task_id": task_id, "try_id": try_id, "start": _datetime(start),
                 "end": _datetime(end or start), "failed": bool(history)}
                for app, task_id, try_id, start, end, history in connection.execute(query)]


def state_changes(engine: Engine, run_id: str) -> list[tuple[datetime.datetime, int, str]]:
    """Every status row of one run, ``(time, task id, state)``, in time order."""
    query = (select(status.c.timestamp, status.c.task_id, status.c.task_status_name)
             .join(task, (status.c.task_id == task.c.task_id) & (status.c.run_id == task.c.run_id))
             .where(task.c.run_id == run_id).order_by(status.c.timestamp))
    with engine.connect() as connection:
        return [(_datetime(when), task_id, state) for when, task_id, state in connection.execute(query)]


def _datetime(value: Any) -> datetime.datetime:
    return value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(str(value))

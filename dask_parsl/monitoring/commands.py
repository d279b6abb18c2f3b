"""``dask-parsl monitor summary|failures|report``: a monitoring database, read."""
from __future__ import annotations

import sys

from sqlalchemy.exc import DatabaseError

from .queries import app_summaries, chosen_run, failed_tasks, open_database, workflows


def monitor_command(action: str, database: str | None, run_id: str | None, output: str) -> int:
    try:
        engine = open_database(database)
        run = chosen_run(engine, run_id)
    except (FileNotFoundError, LookupError, ImportError) as error:
        print(f"dask-parsl monitor: {error}", file=sys.stderr)
        return 1
    except DatabaseError as error:
        print(f"dask-parsl monitor: {database or 'runinfo'} is not a monitoring database ({error.orig})",
              file=sys.stderr)
        return 1
    if action == "summary":
        print_summary(engine, run)
    elif action == "failures":
        print_failures(engine, run)
    else:
        from .report import write_report

        write_report(engine, run, output)
        print(f"wrote {output}")
    return 0


def print_summary(engine, run: str) -> None:
    print("workflows (newest first):")
    for flow in workflows(engine):
        ended = flow["time_completed"] or "running"
        print(f"  {flow['run_id']}  {flow['workflow_name']}  began {flow['time_began']:%Y-%m-%d %H:%M:%S}  "
              f"ended {ended if isinstance(ended, str) else f'{ended:%Y-%m-%d %H:%M:%S}'}  "
              f"{flow['tasks_completed_count']} completed, {flow['tasks_failed_count']} failed")
    print(f"\nrun {run}, per app:")
    header = ("app", "tasks", "done", "memo", "failed", "dep_fail", "tries", "retries", "mean s", "max s")
    rows = [(s.app, sum(s.states.values()), s.states.get("exec_done", 0), s.memo_hits,
             s.states.get("failed", 0), s.states.get("dep_fail", 0), s.tries, s.retries,
             _seconds(s.mean_seconds), _seconds(s.max_seconds)) for s in app_summaries(engine, run)]
    _print_table(header, rows)


def print_failures(engine, run: str) -> None:
    failures = failed_tasks(engine, run)
    if not failures:
        print(f"run {run}: no failed task")
        return
    print(f"run {run}: {len(failures)} failed task(s)")
    for failure in failures:
        print(f"\ntask {failure.task_id} ({failure.app}): {failure.state} after {failure.tries} "
              f"tr{'y' if failure.tries == 1 else 'ies'}")
        print(f"  error:  {failure.error or '(none recorded)'}")
        for name, path in (("stdout", failure.stdout), ("stderr", failure.stderr)):
            if path:
                print(f"  {name}: {path}")


def _print_table(header: tuple, rows: list) -> None:
    widths = [max(len(str(value)) for value in column) for column in zip(header, *rows, strict=False)]
    for row in (header, *rows):
        print("  " + "  ".join(str(value).rjust(width) if index else str(value).ljust(width)
                               for index, (value, width) in enumerate(zip(row, widths, strict=True))))


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"

"""HTML for Jupyter: what a ``DataFlowKernel``, an ``AppFuture`` and a ``Config`` show in a notebook."""
from __future__ import annotations

import html
from typing import Any


def _table(rows: list[tuple[str, str]]) -> str:
    left = "style='text-align:left'"
    cells = "".join(f"<tr><th {left}>{name}</th><td {left}>{value}</td></tr>" for name, value in rows)
    return f"<table>{cells}</table>"


def _text(value: Any) -> str:
    return html.escape(str(value))


def _link(url: str | None, text: str | None = None) -> str:
    return f"<a href='{html.escape(url)}' target='_blank'>{html.escape(text or url)}</a>" if url else "-"


def _dashboard_links(executor: Any) -> str:
    """The executor's dashboard and, if it shows the workflow, its Workflow page."""
    url = getattr(executor, "dashboard_link", None)
    if url and getattr(executor, "shows_workflow", False) and url.endswith("/status"):
        return f"{_link(url)} ({_link(url.removesuffix('/status') + '/workflow', 'Workflow page')})"
    return _link(url)


def kernel_html(dfk: Any) -> str:
    """A kernel: its run, its executors (with their dashboards), its tasks by state."""
    executors = "<br>".join(f"{_text(label)} ({_text(type(executor).__name__)}): {_dashboard_links(executor)}"
                            for label, executor in dfk.executors.items())
    counts = {state.name: count for state, count in dfk.task_state_counts.items() if count}
    states = ", ".join(f"{_text(name)}: {count}" for name, count in counts.items()) or "none yet"
    status = "cleaned up" if dfk.cleanup_called else "running"
    return (f"<h4>DataFlowKernel ({status})</h4>"
            + _table([("run", _text(dfk.run_id)), ("run directory", _text(dfk.run_dir)),
                      ("executors", executors or "-"), ("tasks", f"{dfk.task_count}"),
                      ("tasks by state", states)]))


def future_html(future: Any) -> str:
    """An app call: its app, task id, state, executor, and the exception if it failed."""
    record = future.task_record
    rows = [("app", _text(record.get("func_name", "?"))), ("task", _text(future.tid)),
            ("state", _text(record["status"].name)), ("executor", _text(record.get("executor") or "-"))]
    if record["fail_count"]:
        rows.append(("failed tries", _text(record["fail_count"])))
    if future.done() and future.exception() is not None:
        rows.append(("exception", f"<pre>{_text(repr(future.exception()))}</pre>"))
    return "<h4>AppFuture</h4>" + _table(rows)


def config_html(config: Any) -> str:
    """A configuration: its executors and the settings that change how tasks run."""
    executors = "<br>".join(f"{_text(executor.label)} ({_text(type(executor).__name__)})"
                            for executor in config.executors)
    rows = [("executors", executors), ("retries", _text(config.retries)), ("run_dir", _text(config.run_dir)),
            ("checkpoint_mode", _text(config.checkpoint_mode)), ("app_cache", _text(config.app_cache)),
            ("monitoring", _text(config.monitoring.url_for(config.run_dir) if config.monitoring else None))]
    return "<h4>Config</h4>" + _table(rows)

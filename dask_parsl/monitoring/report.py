"""``dask-parsl monitor report``: one self-contained HTML page of plots of a run, made
with Bokeh (which Dask's dashboard already needs), its JavaScript inlined."""
from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy.engine import Engine

from .queries import app_summaries, state_changes, try_spans, workflows

#: how task states are grouped in "tasks by state over time"
STATE_GROUPS = {"pending": "waiting", "launched": "launched", "running": "running",
                "running_ended": "running", "fail_retryable": "waiting", "joining": "running",
                "exec_done": "done", "memo_done": "done", "failed": "failed", "dep_fail": "failed"}
_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
_GROUP_COLOURS = {"waiting": "#bbbbbb", "launched": "#9ecae1", "running": "#1f77b4", "done": "#2ca02c",
                  "failed": "#d62728"}


def write_report(engine: Engine, run_id: str, path: str) -> None:
    """Write the report of run ``run_id`` to ``path``."""
    from bokeh.embed import file_html
    from bokeh.layouts import column
    from bokeh.models import Div
    from bokeh.resources import INLINE

    spans = try_spans(engine, run_id)
    run = next((w for w in workflows(engine, limit=1000) if w["run_id"] == run_id), {})
    summary = app_summaries(engine, run_id)
    title = f"{run.get('workflow_name', 'workflow')} {run_id}"
    header = Div(text=f"<h2>{title}</h2><p>{_summary_table(summary)}</p>")
    states = _states_over_time(state_changes(engine, run_id))
    page = column(header, _task_stream(spans), _run_times(spans), states, sizing_mode="stretch_width")
    with open(path, "w") as out:
        out.write(file_html(page, INLINE, title=title))


def _task_stream(spans: list[dict]) -> Any:
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure

    apps = sorted({span["app"] for span in spans})
    colours = {app: _COLOURS[i % len(_COLOURS)] for i, app in enumerate(apps)}
    source = ColumnDataSource({
        "app": [s["app"] for s in spans], "start": [s["start"] for s in spans],
        "end": [s["end"] for s in spans], "task": [s["task_id"] for s in spans],
        "try": [s["try_id"] for s in spans],
        "colour": ["#d62728" if s["failed"] else colours[s["app"]] for s in spans]})
    plot = figure(title="Task stream (each try, from start to end; failed tries in red)", y_range=apps,
                  x_axis_type="datetime", height=max(200, 40 * len(apps) + 80), sizing_mode="stretch_width")
    plot.hbar(y="app", left="start", right="end", height=0.7, color="colour", source=source, alpha=0.8)
    plot.add_tools(HoverTool(tooltips=[("task", "@task"), ("try", "@try"), ("app", "@app")]))
    return plot


def _run_times(spans: list[dict]) -> Any:
    import numpy as np
    from bokeh.plotting import figure

    plot = figure(title="Run time per app (seconds)", height=300, sizing_mode="stretch_width",
                  x_axis_label="seconds", y_axis_label="tries")
    every = [(s["end"] - s["start"]).total_seconds() for s in spans]
    edges = np.linspace(0, max(every, default=0) or 1, 31)  # one set of bins: the apps compare
    for index, app in enumerate(sorted({span["app"] for span in spans})):
        seconds = [(s["end"] - s["start"]).total_seconds() for s in spans if s["app"] == app]
        counts, _ = np.histogram(seconds, bins=edges)
        plot.quad(top=counts, bottom=0, left=edges[:-1], right=edges[1:], alpha=0.5,
                  color=_COLOURS[index % len(_COLOURS)], legend_label=app)
    return plot


def _states_over_time(changes: list[tuple]) -> Any:
    from bokeh.plotting import figure

    current: dict[int, str] = {}
    counts: Counter = Counter()
    series: dict[str, tuple[list, list]] = {group: ([], []) for group in _GROUP_COLOURS}
    for when, task_id, state in changes:
        group = STATE_GROUPS.get(state)
        if group is None:
            continue
        previous = current.get(task_id)
        if previous is not None:
            counts[previous] -= 1
        current[task_id] = group
        counts[group] += 1
        for name in {group, previous} - {None}:
            times, values = series[name]
            times.append(when)
            values.append(counts[name])
    plot = figure(title="Tasks by state over time", x_axis_type="datetime", height=300,
                  sizing_mode="stretch_width", y_axis_label="tasks")
    for group, (times, values) in series.items():
        if times:
            plot.step(times, values, mode="after", color=_GROUP_COLOURS[group], legend_label=group,
                      line_width=2)
    return plot


def _summary_table(summary: list) -> str:
    rows = "".join(
        f"<tr><td>{s.app}</td><td>{sum(s.states.values())}</td><td>{s.states.get('exec_done', 0)}</td>"
        f"<td>{s.memo_hits}</td><td>{s.states.get('failed', 0)}</td><td>{s.states.get('dep_fail', 0)}</td>"
        f"<td>{s.tries}</td><td>{s.retries}</td><td>{_seconds(s.mean_seconds)}</td>"
        f"<td>{_seconds(s.max_seconds)}</td></tr>" for s in summary)
    return ("<table><tr><th>app</th><th>tasks</th><th>done</th><th>memo</th><th>failed</th><th>dep_fail</th>"
            "<th>tries</th><th>retries</th><th>mean s</th><th>max s</th></tr>" + rows + "</table>")


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"

"""The Workflow page: a workflow's tasks by app and state, its failures, its progress.

Drawn with bokeh, as Dask's own pages are, from the scheduler's ``WorkflowBoard``.
A refresh redraws only when the board changed, and then sends a row per app,
the failures not shown yet and the new points of the progress line: its cost
does not grow with the number of tasks.
"""
from __future__ import annotations

import datetime
import html
from typing import Any

from bokeh.layouts import column
from bokeh.models import ColumnDataSource, DatetimeTickFormatter, Div
from bokeh.plotting import figure

from ..dataflow.status import status_interval
from ..internals.dashboard import dashboard_template
from ..scheduler.board import PLUGIN_NAME, STATES, RunStatus, WorkflowBoard

COLORS = {
    "pending": "#c7c7c7", "launched": "#9ecae1", "running": "#3182bd", "joining": "#9467bd",
    "exec_done": "#31a354", "memo_done": "#a1d99b", "failed": "#d62728", "dep_fail": "#fd8d3c",
}
_TABLE_STYLE = ("<style>table.workflow {border-collapse: collapse; font-size: 13px; width: 100%}"
                "table.workflow td, table.workflow th {padding: 2px 10px; text-align: right; "
                "border-bottom: 1px solid #ddd} table.workflow .text {text-align: left}</style>")


class WorkflowPage:
    """The page's models (``root``), and ``update`` to redraw them from the board."""

    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        self._version = -1
        self._run: RunStatus | None = None
        self._shown_until = 0.0  # time of the last point of the progress line drawn

        self.title = Div(text="", name="workflow-title", sizing_mode="stretch_width")
        self.counts = ColumnDataSource(_empty_counts(), name="workflow-counts")
        self.bars = figure(title="Tasks by app and state", y_range=[], height=120, x_axis_label="tasks",
                           tools="", toolbar_location=None, sizing_mode="stretch_width", name="workflow-bars")
        self.bars.hbar_stack(list(STATES), y="app", height=0.8, source=self.counts,
                             color=[COLORS[state] for state in STATES], legend_label=list(STATES))
        self.bars.legend.orientation = "horizontal"
        self.bars.legend.location = "top_left"
        self.bars.add_layout(self.bars.legend[0], "above")
        # tables are HTML: bokeh's DataTable does not redraw rows whose values change in place
        self.table = Div(text="", name="workflow-table", sizing_mode="stretch_width")
        self.finished = ColumnDataSource({"time": [], "finished": []}, name="workflow-finished")
        self.progress = figure(title="Tasks finished", x_axis_type="datetime", height=200, tools="",
                               toolbar_location=None, sizing_mode="stretch_width")
        self.progress.step("time", "finished", source=self.finished, mode="after", line_width=2)
        self.progress.xaxis.formatter = DatetimeTickFormatter(
            milliseconds="%H:%M:%S.%3N", seconds="%H:%M:%S", minsec="%H:%M:%S", minutes="%H:%M",
            hourmin="%H:%M")
        self.failures = Div(text="", name="workflow-failures", sizing_mode="stretch_width")
        self._failures_shown = None
        self.root = column(self.title, self.bars, self.table, self.progress, self.failures,
                           sizing_mode="stretch_width")

    @property
    def board(self) -> WorkflowBoard | None:
        plugin = self.scheduler.plugins.get(PLUGIN_NAME)
        return getattr(plugin, "board", None)

    def update(self) -> None:
        """Redraw what changed since the last call."""
        board = self.board
        if board is None:
            self.title.text = _NO_WORKFLOW
            return
        if board.version == self._version:
            return
        self._version = board.version
        run = board.latest()
        if run is None:
            self.title.text = _NO_WORKFLOW
            return
        if run is not self._run:
            self._run, self._shown_until, self._failures_shown = run, 0.0, None
            self.finished.data = {"time": [], "finished": []}
        table = run.by_app()
        self.counts.data = _counts(table)
        self.bars.y_range.factors = list(reversed(table))  # top to bottom, as in the table
        self.bars.height = 130 + 30 * max(len(table), 1)
        self.table.text = _html_table(("app", "total", *STATES, "retries"), _counts(table))
        self.title.text = _title(run, table)
        self._draw_new(run)

    def _draw_new(self, run: RunStatus) -> None:
        points = []
        for when, finished in reversed(run.finished):
            if when <= self._shown_until:
                break
            points.append((when, finished))
        if points:
            points.reverse()
            self._shown_until = points[-1][0]
            self.finished.stream({"time": [when * 1000 for when, _ in points],
                                  "finished": [finished for _, finished in points]},
                                 rollover=run.finished.maxlen)
        latest = run.failures[-1] if run.failures else None
        if latest is not self._failures_shown:
            self._failures_shown = latest
            failures = list(reversed(run.failures))  # newest first
            columns = ("time", "task", "app", "try", "then", "error")
            self.failures.text = "<b>Latest failures</b>" + _html_table(columns, {
                "time": [_clock(failure[0]) for failure in failures],
                "task": [failure[1] for failure in failures],
                "app": [failure[2] for failure in failures],
                "try": [failure[3] for failure in failures],
                "then": ["retried" if failure[5] else "failed" for failure in failures],
                "error": [failure[4] for failure in failures],
            })


_NO_WORKFLOW = ("<h3>Workflow</h3><p>No dask_parsl workflow has reported to this scheduler yet. "
                "Run one with this cluster (<code>dask_parsl.load(Config(executors=[DaskExecutor("
                "cluster=...)]))</code>) and its apps appear here.</p>")


def _empty_counts() -> dict:
    return {"app": [], "total": [], **{state: [] for state in STATES}, "retries": []}


def _counts(table: dict[str, dict[str, int]]) -> dict:
    data = _empty_counts()
    for app, row in table.items():
        data["app"].append(app)
        data["total"].append(sum(row[state] for state in STATES))
        for name in (*STATES, "retries"):
            data[name].append(row[name])
    return data


def _html_table(columns: tuple[str, ...], data: dict[str, list]) -> str:
    rows = zip(*(data[name] for name in columns), strict=True)
    texts = {"app", "error"}

    def cell(tag: str, name: str, value: Any) -> str:
        return f"<{tag} class='{'text' if name in texts else ''}'>{html.escape(str(value))}</{tag}>"

    head = "".join(cell("th", name, name.replace("_", " ")) for name in columns)
    body = "".join("<tr>" + "".join(cell("td", name, value) for name, value in zip(columns, row, strict=True))
                   + "</tr>" for row in rows)
    return f"{_TABLE_STYLE}<table class='workflow'><tr>{head}</tr>{body}</table>"


def _title(run: RunStatus, table: dict[str, dict[str, int]]) -> str:
    totals = {state: sum(row[state] for row in table.values()) for state in (*STATES, "retries")}
    parts = ", ".join(f"{totals[state]} {state.replace('_', ' ')}" for state in (*STATES, "retries")
                      if totals[state])
    status = "running" if run.connected else "ended"
    tasks = sum(totals[state] for state in STATES)
    return (f"<h3>Workflow {html.escape(run.run_id)}</h3><p>{tasks} tasks ({status}, "
            f"reported {_clock(run.updated)}): {parts or 'none yet'}</p>")


def _clock(when: float) -> str:
    return datetime.datetime.fromtimestamp(when).strftime("%H:%M:%S")


def workflow_doc(scheduler: Any, extra: dict, doc: Any) -> None:
    """The page in the dashboard's frame (menu and theme of Dask's pages)."""
    _add_page(scheduler, doc)
    doc.template, doc.theme = dashboard_template()
    doc.template_variables.update(extra)


def individual_workflow_doc(scheduler: Any, extra: dict, doc: Any) -> None:
    """The page alone (a JupyterLab panel of dask-labextension)."""
    _add_page(scheduler, doc)
    doc.theme = dashboard_template()[1]


def _add_page(scheduler: Any, doc: Any) -> WorkflowPage:
    page = WorkflowPage(scheduler)
    page.update()
    doc.add_periodic_callback(page.update, int(status_interval() * 1000))
    doc.add_root(page.root)
    doc.title = "Dask: Workflow"
    return page

"""``progress``: a live progress bar per app, for a list of futures or a whole workflow.

In a Jupyter kernel it is an ipywidgets bar per app, shown at once while the
cell goes on (as ``distributed.progress`` does); in a terminal it is text,
redrawn until everything has finished. Futures are counted as they finish (a
done callback each), a workflow from its kernel's counts by app: a redraw
costs the same at 100 tasks and at 100,000.
"""
from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from typing import Any, Iterable

from .dataflow.futures import AppFuture
from .dataflow.states import FINAL_FAILURE_STATES, FINAL_STATES

_FINAL = tuple(state.name for state in FINAL_STATES)
_FAILED = tuple(state.name for state in FINAL_FAILURE_STATES)


class _FutureCounts:
    """Counts ``futures`` by app as they finish."""

    def __init__(self, futures: Iterable[AppFuture]) -> None:
        futures = list(futures)
        if not all(isinstance(future, AppFuture) for future in futures):
            others = sorted({type(f).__name__ for f in futures if not isinstance(f, AppFuture)})
            raise TypeError("progress() takes AppFutures (what calling an app returns) or a "
                            f"DataFlowKernel, not {others}")
        self._lock = threading.Lock()
        self._total = Counter(future.task_record["func_name"] for future in futures)
        self._done: Counter[str] = Counter()
        self._failed: Counter[str] = Counter()
        for future in futures:
            future.add_done_callback(self._finished)

    def _finished(self, future: AppFuture) -> None:
        app = future.task_record["func_name"]
        failed = future.exception() is not None
        with self._lock:
            self._done[app] += 1
            if failed:
                self._failed[app] += 1

    def __call__(self) -> dict[str, tuple[int, int, int]]:
        with self._lock:
            return {app: (self._done[app], self._failed[app], total)
                    for app, total in sorted(self._total.items())}


class _KernelCounts:
    """Counts a kernel's tasks by app, from its state counts."""

    def __init__(self, dfk: Any) -> None:
        self.dfk = dfk

    def __call__(self) -> dict[str, tuple[int, int, int]]:
        counts = {}
        for app, states in sorted(self.dfk.state_log.counts_by_app().items()):
            done = sum(states.get(state, 0) for state in _FINAL)
            failed = sum(states.get(state, 0) for state in _FAILED)
            counts[app] = (done, failed, sum(states.values()))
        return counts


class ProgressBars:
    """What ``progress`` shows: ``counts()`` is ``{app: (finished, failed, total)}``."""

    def __init__(self, counts: Any, interval: float) -> None:
        self.counts = counts
        self.interval = interval

    def complete(self) -> bool:
        """Whether every task counted has finished."""
        return all(done == total for done, _, total in self.counts().values())


class TextBars(ProgressBars):
    """Lines of text in a terminal, redrawn in place (printed once when not a terminal)."""

    def __init__(self, counts: Any, interval: float, stream: Any = None) -> None:
        super().__init__(counts, interval)
        self.stream = stream or sys.stdout
        self._drawn = 0

    def run(self) -> None:
        """Draw until every task has finished."""
        live = getattr(self.stream, "isatty", lambda: False)()
        while not self.complete():
            if live:
                self.draw()
            time.sleep(self.interval)
        self.draw()

    def draw(self) -> None:
        lines = [_text_bar(app, *counts) for app, counts in self.counts().items()]
        up = f"\x1b[{self._drawn}F" if self._drawn else ""
        self.stream.write(up + "".join(line + "\x1b[K\n" if up else line + "\n" for line in lines))
        self.stream.flush()
        self._drawn = len(lines)


class WidgetBars(ProgressBars):
    """ipywidgets in a notebook: per app a bar, redrawn by a thread until all have finished
    (for a kernel: until it is cleaned up)."""

    def __init__(self, counts: Any, interval: float, until_cleanup: Any = None) -> None:
        try:
            import ipywidgets
        except ImportError as error:
            raise ImportError("progress() in a notebook draws ipywidgets: pip install 'dask_parsl["
                              "notebook]', or call progress(..., notebook=False) for text") from error

        super().__init__(counts, interval)
        self._widgets = ipywidgets
        self._until_cleanup = until_cleanup
        self._rows: dict[str, tuple[Any, Any]] = {}
        self.widget = ipywidgets.VBox([])
        self.draw()

    def start(self) -> None:
        threading.Thread(target=self._run, name="dask-parsl-progress", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            self.draw()
            kernel = self._until_cleanup
            if (kernel.cleanup_called if kernel is not None else self.complete()):
                return

    def draw(self) -> None:
        widgets, new = self._widgets, False
        for app, (done, failed, total) in self.counts().items():
            row = self._rows.get(app)
            if row is None:
                bar = widgets.IntProgress(min=0, description=app, style={"description_width": "12em"},
                                          layout=widgets.Layout(width="60%"))
                label = widgets.HTML()
                row = self._rows[app] = (bar, label)
                new = True
            bar, label = row
            bar.max, bar.value = max(total, 1), done
            bar.bar_style = "danger" if failed else ("success" if done == total else "")
            label.value = f"{done} / {total}" + (f", {failed} failed" if failed else "")
        if new:
            self.widget.children = [widgets.HBox(row) for row in self._rows.values()]


def progress(target: Any = None, *, notebook: bool | None = None, interval: float = 0.5) -> None:
    """Show a live progress bar per app.

    Parameters
    ----------
    target
        AppFutures (a list, or one), or a DataFlowKernel; by default the loaded one.
    notebook
        ipywidgets (True) or text (False); by default, widgets in a Jupyter kernel.
    interval
        Seconds between redraws.

    In a notebook the bars are shown at once and go on updating while the cell goes
    on; in a terminal, ``progress`` returns once every task has finished.
    """
    from .dataflow.kernel import DataFlowKernel
    from .dataflow.loader import dfk as loaded

    kernel = loaded() if target is None else target if isinstance(target, DataFlowKernel) else None
    if kernel is not None:
        counts: Any = _KernelCounts(kernel)
    else:
        counts = _FutureCounts([target] if isinstance(target, AppFuture) else target)
    if notebook if notebook is not None else _in_jupyter_kernel():
        from IPython.display import display

        bars = WidgetBars(counts, interval, until_cleanup=kernel)
        display(bars.widget)
        bars.start()
    else:
        TextBars(counts, interval).run()


def _in_jupyter_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def _text_bar(app: str, done: int, failed: int, total: int, width: int = 30) -> str:
    filled = width * done // total if total else width
    failures = f", {failed} failed" if failed else ""
    return f"{app:<24} [{'#' * filled}{' ' * (width - filled)}] {done}/{total}{failures}"

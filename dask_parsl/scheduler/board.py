"""What the scheduler knows of the workflows that use it, for the Workflow page.

Each kernel sends its task counts by app and state (exactly its
``task_state_counts``, split by app), its retries and its latest failed tries,
every half second while anything changes (``dataflow.status``). The scheduler
adds what only it sees: how many tasks of each app are running on a worker now,
counted as tasks enter and leave ``processing``. Nothing here is ever a scan of
all tasks: the page's refresh costs the same at 100 tasks and at 100,000.
"""
from __future__ import annotations

import collections
import logging
import time
from collections import Counter
from typing import Iterable

from ..dataflow.states import FINAL_STATES as _FINAL

logger = logging.getLogger(__name__)

#: the name of ``WorkflowPlugin`` on a scheduler, whose ``board`` the page reads
PLUGIN_NAME = "dask-parsl-workflow"
#: the states the page shows, in order (``launched`` being those not running yet)
STATES = ("pending", "launched", "running", "joining", "exec_done", "memo_done", "failed", "dep_fail")
FINAL_STATES = tuple(state.name for state in _FINAL)
#: how many workflows a scheduler remembers once they are gone
KEPT_RUNS = 5
_HISTORY = 3600  # points of "tasks finished over time" (a point per report that changed it)


class RunStatus:
    """One workflow as its kernel last reported it, plus what its scheduler saw."""

    def __init__(self, run_id: str, started: float) -> None:
        self.run_id = run_id
        self.started = started
        self.updated = self.started
        self.apps: dict[str, dict[str, int]] = {}  # the kernel's counts: app -> state -> n
        self.retried: dict[str, int] = {}
        self.running: Counter[str] = Counter()  # app tasks on a worker now, by app (the scheduler's)
        self.failures: collections.deque[tuple] = collections.deque(maxlen=50)
        self.finished: collections.deque[tuple[float, int]] = collections.deque([(self.started, 0)],
                                                                                maxlen=_HISTORY)
        self.connected = True

    def report(self, apps: dict, retried: dict, failures: Iterable[tuple], when: float) -> None:
        """Take in a kernel's report."""
        self.apps, self.retried, self.updated = apps, retried, when
        self.failures.extend(failures)
        finished = sum(counts.get(state, 0) for counts in apps.values() for state in FINAL_STATES)
        if self.finished[-1][1] != finished:
            self.finished.append((when, finished))

    def by_app(self) -> dict[str, dict[str, int]]:
        """Tasks per app and page state (every state present); of the tasks the kernel
        counts as ``launched``, those a worker runs now are ``running``."""
        table = {}
        for app, counts in sorted(self.apps.items()):
            row = dict.fromkeys(STATES, 0)
            for state, n in counts.items():
                if state in row:
                    row[state] += n
            on_worker = min(max(self.running.get(app, 0), 0), row["launched"])
            row["running"] += on_worker
            row["launched"] -= on_worker
            row["retries"] = self.retried.get(app, 0)
            table[app] = row
        return table


class WorkflowBoard:
    """The workflows reporting to one scheduler, by the client each kernel uses."""

    def __init__(self) -> None:
        self.runs: dict[str, RunStatus] = {}
        self._running: dict[str, Counter[str]] = {}  # client -> app -> tasks in processing
        self.version = 0  # advances with each change, so a page redraws only after one

    def report(self, client: str = "", run_id: str = "", apps: dict | None = None,
               retried: dict | None = None, failures: list | None = None, reported: float | None = None,
               started: float | None = None, **_: object) -> None:
        """A kernel's report (``WORKFLOW_STATUS_OP``), from its ``client`` (times are the
        kernel's clock). Whatever a kernel sends, its stream (so its workflow) must not break."""
        try:
            when = reported or time.time()
            run = self.runs.get(client)
            if run is None or run.run_id != run_id:
                run = self._add(client, run_id, started or when)
            if not run.connected or run.running is not self._running.get(client):
                run.connected = True
                run.running = self._running.setdefault(client, Counter())
            run.report(apps or {}, retried or {}, [tuple(failure) for failure in failures or ()], when)
            self.version += 1
        except Exception:
            logger.exception("Could not show a workflow's status from client %s", client)

    def task_moved(self, clients: Iterable[str], app: str, change: int) -> None:
        """An app task of ``clients`` entered (``change`` 1) or left (-1) ``processing``."""
        for client in clients:
            running = self._running.get(client)
            if running is None:
                running = self._running[client] = Counter()
            running[app] += change
        self.version += 1

    def disconnected(self, client: str) -> None:
        """The kernel using ``client`` is gone: its workflow is kept as it last reported."""
        self._running.pop(client, None)
        run = self.runs.get(client)
        if run is not None:
            run.connected = False
            run.running = Counter()
            self.version += 1

    def latest(self) -> RunStatus | None:
        """The workflow that reported last (a connected one first)."""
        runs = sorted(self.runs.values(), key=lambda run: (run.connected, run.updated))
        return runs[-1] if runs else None

    def _add(self, client: str, run_id: str, started: float) -> RunStatus:
        self.runs[client] = run = RunStatus(run_id, started)
        gone = [name for name, other in self.runs.items() if not other.connected]
        for name in sorted(gone, key=lambda name: self.runs[name].updated)[:max(0, len(gone) - KEPT_RUNS)]:
            del self.runs[name]
        return run

"""Per-app task counts on the scheduler, kept as events arrive (never a scan of all tasks).

``WorkflowPlugin`` counts what the scheduler sees of app tasks: how many wait
for a worker (``launched``), run (``running``), and have finished (``exec_done``,
``failed``, ``dep_fail``), plus failed tries (``retried``, ``worker_lost``). The
kernel adds what only it knows: calls answered without a Dask task
(``memo_done``), dependency failures decided before launch, join apps. A result
the scheduler has to compute again (its worker died) counts again.
"""
from __future__ import annotations

from collections import Counter

#: scheduler states of a task waiting for, or running on, a worker -> Parsl's state name
_IN_FLIGHT = {"waiting": "launched", "queued": "launched", "no-worker": "launched", "processing": "running"}


def changes_counts(start: str, finish: str) -> bool:
    """Whether a transition from ``start`` to ``finish`` changes any count."""
    return start in _IN_FLIGHT or finish in _IN_FLIGHT or finish == "erred"


class AppCounters:
    """Counts of app tasks by app name and state."""

    def __init__(self) -> None:
        self.by_app: dict[str, Counter] = {}

    def count(self, app: str, state: str, amount: int = 1) -> None:
        counts = self.by_app.get(app)
        if counts is None:
            counts = self.by_app[app] = Counter()
        counts[state] += amount

    def transition(self, app: str, start: str, finish: str, failed_itself: bool) -> None:
        """A task of ``app`` moved from scheduler state ``start`` to ``finish``
        (``failed_itself``: it erred, rather than a task it depends on)."""
        left = _IN_FLIGHT.get(start)
        if left is not None:
            self.count(app, left, -1)
        entered = _IN_FLIGHT.get(finish)
        if entered is not None:
            self.count(app, entered)
        elif finish == "memory" and start == "processing":
            self.count(app, "exec_done")
        elif finish == "erred":
            self.count(app, "failed" if failed_itself else "dep_fail")

    def snapshot(self) -> dict[str, dict[str, int]]:
        """A copy: app name -> state -> count (states never reached are left out)."""
        return {app: {state: n for state, n in counts.items() if n} for app, counts in self.by_app.items()}

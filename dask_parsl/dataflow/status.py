"""The kernel's side of the Workflow page: its tasks by app and state, sent to its schedulers.

A ``dask-parsl-status`` thread compares, every ``dashboard.interval``, the
kernel's counts by app (``StateLog.counts_by_app``: exactly its
``task_state_counts``, split by app), its retries and the serial of its last
failed try with what it sent before, and sends a report to each Dask executor's
scheduler when anything changed. A report is a few hundred bytes per app,
whatever the number of tasks.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Iterable

from dask.utils import parse_timedelta

from .. import settings

logger = logging.getLogger(__name__)


def status_interval() -> float:
    """``parsl.dashboard.interval`` in seconds (at least 0.1)."""
    return max(parse_timedelta(settings.get("dashboard.interval")), 0.1)


class StatusReporter:
    """Sends a kernel's status to the Workflow page of each scheduler it uses."""

    def __init__(self, run_id: str, state_log: Any, events: Any, senders: Iterable[Callable[[dict], None]],
                 interval: float = 0.5, started: float | None = None) -> None:
        self.run_id = run_id
        self.started = started or time.time()
        self._state_log = state_log
        self._events = events
        self._senders = list(senders)
        self._sent: tuple | None = None
        self._last_failure = 0  # serial of the last failed try sent
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), name="dask-parsl-status",
                                        daemon=True)
        self._thread.start()

    def send(self) -> None:
        """Send the status now if it changed since the last report."""
        with self._lock:
            apps = self._state_log.counts_by_app()
            retried = dict(self._events.retried)
            failures = [f for f in list(self._events.failures) if f.serial > self._last_failure]
            if (apps, retried) == self._sent and not failures:
                return
            message = {"run_id": self.run_id, "started": self.started, "reported": time.time(),
                       "apps": apps, "retried": retried,
                       "failures": [(f.time, f.task_id, f.app, f.try_id, f.error[:2000], f.retried)
                                    for f in failures]}
            for send in self._senders:
                try:
                    send(message)
                except Exception:  # a disconnected scheduler loses its page, not the workflow
                    logger.debug("Could not send the workflow's status", exc_info=True)
            self._sent = (apps, retried)
            if failures:
                self._last_failure = failures[-1].serial

    def close(self) -> None:
        """Send the last status and stop."""
        self._closed.set()
        self._thread.join(timeout=10)
        self.send()

    def _run(self, interval: float) -> None:
        while not self._closed.wait(interval):
            try:
                self.send()
            except Exception:
                logger.exception("Reporting the workflow's status failed")

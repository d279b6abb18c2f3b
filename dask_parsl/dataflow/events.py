"""One stream of task events, for monitoring, dashboard pages and notebook reprs.

Each state change of each task is a ``TaskEvent`` named as Parsl's status rows
are (``pending``, ``launched``, ``running``, ``running_ended``, ``exec_done``,
``failed``, ``dep_fail``, ``memo_done``, ``joining``, ``fail_retryable``), with
the try it belongs to. The kernel publishes what it decides; ``WorkflowPlugin``
sends what happens on the cluster (when and where a try ran, how it failed).
Subscribers get lists of events from one thread, in order, every 0.1 s; with no
subscriber, publishing costs one test. ``running``/``running_ended`` times are
the worker's clock, the others the client's.

Not Dask's ``log_event`` topics: those keep only the last 1,000 messages.
"""
from __future__ import annotations

import collections
import logging
import threading
import time
from collections import Counter
from typing import Any, Callable, NamedTuple

#: how many of the latest failed tries a kernel keeps for its dashboard page
RECENT_FAILURES = 50

logger = logging.getLogger(__name__)


class TaskEvent(NamedTuple):
    """One state change of one task."""

    task_id: int
    app: str
    state: str
    time: float  # seconds since the epoch
    try_id: int
    executor: str | None = None
    #: what else is known: ``worker``, ``error``, ``hashsum``, ...
    info: dict | None = None
    #: the task's record (as it is when the event is read, not when it was made)
    record: Any = None


class FailedTry(NamedTuple):
    """A try that failed because of the task itself (not its dependencies)."""

    serial: int  # counts the kernel's failed tries, from 1
    time: float
    task_id: int
    app: str
    try_id: int
    error: str
    retried: bool


Subscriber = Callable[[list], None]


class EventStream:
    """Collects a kernel's task events and hands them to subscribers in batches."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        #: who gets all events (read it to skip building an event nobody wants)
        self.subscribers: list[Subscriber] = []
        self._pending: collections.deque[TaskEvent] = collections.deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._runtime_sources: list[Callable[[], None]] = []
        self._runtime_wanted = False
        #: the latest failed tries, newest last (kept whether or not anyone subscribes)
        self.failures: collections.deque[FailedTry] = collections.deque(maxlen=RECENT_FAILURES)
        #: how many failed tries were retried, by app
        self.retried: Counter[str] = Counter()
        self._failed_tries = 0

    def subscribe(self, subscriber: Subscriber, runtime: bool = True) -> Callable[[], None]:
        """Call ``subscriber(events)`` with each batch from now on; returns the
        function that unsubscribes it. With ``runtime``, executors are asked to
        report when and where each try runs (a message per task, from then until
        the kernel is cleaned up)."""
        with self._lock:
            self.subscribers = [*self.subscribers, subscriber]
            self._start_thread()
            sources = [] if self._runtime_wanted or not runtime else self._runtime_sources
            self._runtime_wanted = self._runtime_wanted or runtime
        for start_reporting in sources:
            start_reporting()

        def unsubscribe() -> None:
            with self._lock:
                self.subscribers = [s for s in self.subscribers if s is not subscriber]

        return unsubscribe

    def _start_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="dask-parsl-events", daemon=True)
            self._thread.start()

    def add_runtime_source(self, start_reporting: Callable[[], None]) -> None:
        """Register how an executor starts reporting run times; called at once if a
        subscriber already wants them, else when the first one subscribes."""
        with self._lock:
            self._runtime_sources.append(start_reporting)
            wanted = self._runtime_wanted
        if wanted:
            start_reporting()

    def state_changed(self, record: dict, **info: Any) -> None:
        """Publish ``record``'s current state."""
        if self.subscribers:  # deque.append is atomic: no lock
            self._pending.append(TaskEvent(record["id"], record["func_name"], record["status"].name,
                                           time.time(), record["try_id"], record["executor"], info or None,
                                           record))

    def task_failed(self, record: dict, error: str) -> None:
        """Note the last try of a task that failed by itself."""
        self._note_failure(record, record["try_id"], error, retried=False)

    def _note_failure(self, record: dict, try_id: int, error: str, retried: bool) -> None:
        with self._lock:
            self._failed_tries += 1
            if retried:
                self.retried[record["func_name"]] += 1
            self.failures.append(FailedTry(self._failed_tries, time.time(), record["id"], record["func_name"],
                                           try_id, error, retried))

    def try_failed(self, record: dict, report: dict) -> None:
        """Publish a failed try: when and where it ran and, if it is retried,
        ``fail_retryable``, then the next try's ``pending`` and ``launched``, as Parsl
        records a retry (the last try's ``failed`` comes as the task fails)."""
        if report["retry"]:
            self._note_failure(record, record["try_id"] - 1, report["error"], retried=True)
        if self.subscribers:
            self._try_ended(record, report, report["error"], report["retry"])

    def try_lost(self, record: dict, report: dict) -> None:
        """Publish a try whose worker died, as a retried try (not one of the app's failures)."""
        if self.subscribers:
            job = f" (job {report['job']})" if report.get("job") else ""
            self._try_ended(record, report, f"WorkerLost: worker {report['worker']}{job} died", retry=True)

    def _try_ended(self, record: dict, report: dict, error: str, retry: bool) -> None:
        try_id = record["try_id"] - (1 if retry else 0)
        if "start" in report:
            self._ran(record, report, try_id)
        if retry:
            now = time.time()
            info = {"error": error, "worker": report.get("worker")}
            for step, (state, event_try, event_info) in enumerate(
                    (("fail_retryable", try_id, info), ("pending", try_id + 1, None),
                     ("launched", try_id + 1, None))):  # 10 µs apart: they sort in order
                when = now + step * 1e-5
                self._pending.append(TaskEvent(record["id"], record["func_name"], state, when, event_try,
                                               record["executor"], event_info, record))

    def ran(self, record: dict, report: dict) -> None:
        """Publish when and where a try ran (``running``, then ``running_ended``)."""
        if self.subscribers:
            self._ran(record, report, record["try_id"])

    def resources_sampled(self, record: dict, sample: dict) -> None:
        """Publish a psutil sample of the worker running the task (state ``resource``,
        the sample in ``info``; not a state change)."""
        if self.subscribers:
            self._pending.append(TaskEvent(record["id"], record["func_name"], "resource", sample["timestamp"],
                                           record["try_id"], record["executor"], sample, record))

    def _ran(self, record: dict, report: dict, try_id: int) -> None:
        info = {"worker": report.get("worker")}
        for state, when in (("running", report["start"]), ("running_ended", report["stop"])):
            self._pending.append(TaskEvent(record["id"], record["func_name"], state, when, try_id,
                                           record["executor"], info, record))

    def flush(self) -> None:
        """Deliver what is pending now, in this thread."""
        _deliver(self._pending, self.subscribers)

    def close(self) -> None:
        """Deliver what is pending and stop."""
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self.flush()


def _deliver(pending: collections.deque, subscribers: list[Subscriber]) -> None:
    batch = [pending.popleft() for _ in range(len(pending))]
    if batch:
        _call_each(subscribers, batch)


def _call_each(subscribers: list[Callable], argument: Any) -> None:
    for subscriber in subscribers:
        try:
            subscriber(argument)
        except Exception:
            logger.exception("Task event subscriber %r failed", subscriber)

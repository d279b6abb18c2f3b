"""Parsl's ``task_state_counts`` (in all and by app) and its log of task states and
dependencies, off the submit path.

Parsl logs each state change of each task, and each dependency a task waits on,
as one INFO record whose ``extra`` carries the task (``parsl.dfk``,
``parsl.task``, ``parsl.task_state``; ``parsl.dependency_task`` or
``parsl.dependency_object``). Making and writing a record costs about 10 µs,
several times per task, so here the thread that changes a state only appends one
int to a deque (the task, its app, both states and the time, packed: an int, unlike a
tuple, is no work for the garbage collector, whose full collections grow more
frequent with every object it tracks); the ``dask-parsl-task-log`` thread takes
them in every 0.1 s, updating the counts and emitting the records (with the time
of the change, from the kernel's logger ``dask_parsl.dataflow.kernel``). Reading
the counts takes in what is queued first, so they are exact.
"""
from __future__ import annotations

import collections
import logging
import os
import threading
import time
from typing import Any, Iterable

from .futures import AppFuture
from .states import States

# a state change is queued as ((task id << 20 | app number) << 8 | previous state << 4 | new state)
# << 64 | time_ns
_STATES = {state.value: state for state in States}
_NEW = 15  # the "previous state" of a new task (states fit in 4 bits)
_NS = (1 << 64) - 1
_APP_BITS = 20
_APP_MASK = (1 << _APP_BITS) - 1
_OTHER_APPS = "(other apps)"  # counts the apps beyond the numbers there are


class StateLog:
    """Counts a kernel's tasks by state and logs their state changes and dependencies."""

    def __init__(self, run_id: str, logger: logging.Logger, interval: float = 0.1) -> None:
        self.run_id = run_id
        self.logger = logger
        self.interval = interval
        self._counts = dict.fromkeys(_STATES, 0)
        self._app_numbers: dict[str, int] = {}
        self._by_app: list[list[int]] = []  # app number -> state -> count
        self._pending: collections.deque = collections.deque()
        # one reader of the deque at a time, so records keep their order (reentrant: a
        # handler may read the counts)
        self._lock = threading.RLock()
        self._closed = threading.Event()
        self._template: dict | None = None  # the fields of a record made before
        self._thread = threading.Thread(target=self._run, name="dask-parsl-task-log", daemon=True)
        self._thread.start()

    @property
    def counts(self) -> dict[States, int]:
        """How many tasks are in each state now (Parsl's ``task_state_counts``)."""
        self.flush()
        return {state: self._counts[number] for number, state in _STATES.items()}

    def counts_by_app(self) -> dict[str, dict[str, int]]:
        """How many tasks of each app are in each state now (states with none left out)."""
        self.flush()
        with self._lock:
            return {name: {_STATES[state].name: n for state, n in enumerate(counts) if n}
                    for name, counts in zip(self._app_numbers, self._by_app, strict=True)}

    def started(self, tid: int, app: str, state: States) -> int:
        """A new task of ``app``, in ``state``; returns the app's number for ``moved``."""
        number = self._app_numbers.get(app)
        if number is None:
            number = self._number(app)
        self._pending.append(((tid << _APP_BITS | number) << 8 | _NEW << 4 | state._value_) << 64
                             | time.time_ns())
        return number

    def moved(self, tid: int, app_number: int, previous: States, state: States) -> None:
        """Task ``tid`` went from ``previous`` to ``state``."""
        self._pending.append(((tid << _APP_BITS | app_number) << 8 | previous._value_ << 4 | state._value_)
                             << 64 | time.time_ns())

    def _number(self, app: str) -> int:
        with self._lock:
            if len(self._app_numbers) >= _APP_MASK:
                app = _OTHER_APPS
            number = self._app_numbers.setdefault(app, len(self._app_numbers))
            if number == len(self._by_app):
                self._by_app.append([0] * 16)
            return number

    def depends(self, tid: int, dependencies: Iterable[Any]) -> None:
        """Task ``tid`` waits on ``dependencies`` (logged only, one record each)."""
        if self.logger.isEnabledFor(logging.INFO):
            self._pending.append((time.time(), tid, dependencies))

    def flush(self) -> None:
        """Count and log what is queued, in this thread."""
        pending = self._pending
        with self._lock:
            log = self.logger.isEnabledFor(logging.INFO)
            counts, by_app = self._counts, self._by_app
            for _ in range(len(pending)):
                try:
                    item = pending.popleft()
                except IndexError:  # taken by a handler that read the counts
                    break
                if type(item) is tuple:
                    if log:
                        self._log_dependencies(*item)
                    continue
                change = item >> 64
                previous, state = change >> 4 & 15, change & 15
                app = by_app[change >> 8 & _APP_MASK]
                if previous != _NEW:
                    counts[previous] -= 1
                    app[previous] -= 1
                counts[state] += 1
                app[state] += 1
                if log:
                    self._log_state((item & _NS) / 1e9, change >> (8 + _APP_BITS), previous, state)

    def close(self) -> None:
        """Log what is queued and stop the thread (later changes are still counted)."""
        self._closed.set()
        self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._closed.wait(self.interval):
            try:
                self.flush()
            except Exception:  # a failing handler must not stop the counts
                logging.getLogger(__name__).exception("Logging task states failed")

    def _log_state(self, when: float, tid: int, previous: int, state: int) -> None:
        name = _STATES[state].name
        extra = {"parsl.dfk": self.run_id, "parsl.task": tid, "parsl.task_state": name}
        if previous == _NEW:
            self._emit(when, "Task %s starts %s", (tid, name), extra)
        else:
            self._emit(when, "Task %s: %s -> %s", (tid, _STATES[previous].name, name), extra)

    def _log_dependencies(self, when: float, tid: int, dependencies: Iterable[Any]) -> None:
        for dependency in dependencies:
            if isinstance(dependency, AppFuture) and dependency.task_record["dfk"].run_id == self.run_id:
                self._emit(when, "Task %s depends on task %s", (tid, dependency.tid),
                           {"parsl.task": tid, "parsl.dependency_task": dependency.tid})
            else:
                described = repr(dependency)
                self._emit(when, "Task %s depends on %s", (tid, described),
                           {"parsl.task": tid, "parsl.dependency_object": described})

    def _emit(self, when: float, message: str, args: tuple, extra: dict) -> None:
        logger = self.logger
        factory = logging.getLogRecordFactory()
        if factory is logging.LogRecord:  # copying one made before costs a third of making one
            if self._template is None:
                made = logging.LogRecord(logger.name, logging.INFO, _THIS_FILE, 0, "", (), None)
                self._template = vars(made)
            record = logging.LogRecord.__new__(logging.LogRecord)
            fields = record.__dict__
            fields.update(self._template)
            fields["msg"], fields["args"] = message, args
            fields["relativeCreated"] += (when - fields["created"]) * 1000
            fields["thread"], fields["threadName"] = threading.get_ident(), threading.current_thread().name
        else:
            record = factory(logger.name, logging.INFO, _THIS_FILE, 0, message, args, None)
            fields = record.__dict__
        fields.update(extra)
        fields["created"], fields["msecs"] = when, (when - int(when)) * 1000
        logger.handle(record)


_THIS_FILE = os.path.abspath(__file__)

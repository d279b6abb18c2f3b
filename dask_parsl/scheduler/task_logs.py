"""Log records about app tasks go to the run directory, not to the terminal.

For a workflow a failed app is a result (its exception reaches ``result()``),
not an incident. distributed logs each failed task as an error on its worker
("Compute Failed", with a traceback), and the scheduler logs tasks whose
workers died. Records about app tasks are logged again under
``dask_parsl.tasks`` (on workers: ``run_dir/NNN/worker_logs/<worker>.log``; on
the scheduler: the kernel's ``parsl.log`` when the scheduler runs in its
process) and kept off the console. Records about any other task are untouched.
"""
from __future__ import annotations

import logging
import os
import re
from typing import Any, Callable

from distributed.diagnostics.plugin import WorkerPlugin

from ..apps.call import AppCall

TASK_LOGGER = "dask_parsl.tasks"
_KEY_FIRST = ("Compute Failed", "Task %s marked as failed")


def is_app_task(ts: Any) -> bool:
    """Whether a scheduler's or worker's task state runs an app call."""
    return isinstance(getattr(getattr(ts, "run_spec", None), "func", None), AppCall)


class AppTaskRecords(logging.Filter):
    """Takes records about app tasks off a logger, logging them to ``TASK_LOGGER`` instead."""

    def __init__(self, task_of_key: Callable[[Any], Any]) -> None:
        super().__init__()
        self.task_of_key = task_of_key
        self.target = logging.getLogger(TASK_LOGGER)

    def filter(self, record: logging.LogRecord) -> bool:
        keys = _keys_of(record)
        if not keys or not all(is_app_task(self.task_of_key(key)) for key in keys):
            return True
        self.target.handle(record)
        return False


def _keys_of(record: logging.LogRecord) -> list:
    message, args = record.msg, record.args
    if not isinstance(message, str):
        return []
    if message.startswith(_KEY_FIRST) and isinstance(args, tuple) and args:
        return [args[0]]
    if message.startswith("Couldn't gather keys") and isinstance(args, dict):
        return list(args)  # logging unpacks a lone dict argument
    return []


def quiet_app_tasks(logger_name: str, task_of_key: Callable[[Any], Any]) -> Callable[[], None]:
    """Filter ``logger_name``'s records about app tasks; returns the function that stops it."""
    logger = logging.getLogger(logger_name)
    records = AppTaskRecords(task_of_key)
    logger.addFilter(records)
    return lambda: logger.removeFilter(records)


class WorkerTaskLogs(WorkerPlugin):
    """On each worker, app task records go to ``<directory>/<worker>.log`` (the
    executor's ``run_dir/NNN/worker_logs``, or its ``worker_logdir_root/<label>``)."""

    name = "dask-parsl-task-logs"

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def setup(self, worker: Any) -> None:
        os.makedirs(self.directory, exist_ok=True)
        safe_name = re.sub(r"[^\w.-]+", "_", str(worker.name))
        self._handler = logging.FileHandler(os.path.join(self.directory, f"{safe_name}.log"))
        self._handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
        target = logging.getLogger(TASK_LOGGER)
        target.addHandler(self._handler)
        target.propagate = False  # never to the worker's console
        self._stop = quiet_app_tasks("distributed.worker", worker.state.tasks.get)

    def teardown(self, worker: Any) -> None:
        self._stop()
        logging.getLogger(TASK_LOGGER).removeHandler(self._handler)
        self._handler.close()

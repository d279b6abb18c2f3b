"""``MonitoringRecorder``: one run's monitoring, from its start to its cleanup.

It subscribes to the kernel's task events (with run times, which the scheduler
plugin then reports for every try) and turns each batch into rows for its
``DatabaseWriter``. It runs in the event stream's thread and does no database work
there.
"""
from __future__ import annotations

import inspect
import logging
import os
import time
from typing import TYPE_CHECKING, Any

from .rows import RowBatch, RunRows, resource_row, workflow_row
from .writer import DatabaseWriter

if TYPE_CHECKING:
    from .hub import MonitoringHub

logger = logging.getLogger(__name__)
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class MonitoringRecorder:
    """Writes one kernel's run to the monitoring database of its ``MonitoringHub``."""

    def __init__(self, hub: MonitoringHub, dfk: Any) -> None:
        self.url = hub.url_for(dfk.config.run_dir)
        if hub.monitoring_debug:
            logging.getLogger("dask_parsl.monitoring").setLevel(logging.DEBUG)
        self.writer = DatabaseWriter(self.url)
        self.rows = RunRows(dfk.run_id)
        self._workflow = workflow_row(dfk.run_id, hub.workflow_name or _script_name(), hub.workflow_version,
                                      dfk.run_dir, time.time())
        self.record([])
        self.writer.write_pending()  # the workflow row is there before any task
        self._unsubscribe = dfk.events.subscribe(self.record, runtime=True)
        try:
            if hub.resource_monitoring_enabled and hub.resource_monitoring_interval > 0:
                for executor in dfk.executors.values():
                    if hasattr(executor, "start_resource_monitoring"):
                        executor.start_resource_monitoring(hub.resource_monitoring_interval)
        except BaseException:  # the kernel does not start: its workflow ends here
            self.close()
            raise
        logger.info("Monitoring run %s to %s", dfk.run_id, self.url)

    def record(self, events: list) -> None:
        """Hand the rows of a batch of task events to the writer."""
        rows, batch = self.rows, RowBatch()
        for event in events:
            if event.record is None:
                continue
            if event.state == "resource":
                batch.resources.append(resource_row(rows.run_id, event))
            else:
                rows.add(event, batch)
        self._workflow["tasks_completed_count"] = rows.completed
        self._workflow["tasks_failed_count"] = rows.failed
        batch.workflows[rows.run_id,] = dict(self._workflow)
        self.writer.add(batch)

    def close(self) -> None:
        """Mark the run completed, with its counts, and write what is waiting."""
        self._unsubscribe()
        self._workflow["time_completed"] = time.time()
        self.record([])
        self.writer.close()


def _script_name() -> str:
    """The file name of the code that loaded the kernel (Parsl's default workflow name)."""
    for frame in inspect.stack(context=0):
        filename = frame.filename
        if not filename.startswith(_PACKAGE_DIR) and "importlib" not in filename:
            name = os.path.basename(filename)
            return "unnamed" if name.startswith("<") else name
    return "unnamed"

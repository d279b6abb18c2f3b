"""Workers that close say so without an ERROR about their own last heartbeat.

A worker closes its connections while a heartbeat may still be on its way to the
scheduler; distributed then logs "Failed to communicate with scheduler during
heartbeat" as an ERROR, with a traceback, on the user's console, at the end of an
ordinary run (dask/distributed#7105). ``QuietWorkerShutdown`` drops that record
while its worker is closing; a heartbeat failing on a running worker is logged as
before.
"""
from __future__ import annotations

import logging
import weakref
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from ..internals import HEARTBEAT_FAILED_MESSAGE, is_closing

_WORKER_LOGGER = logging.getLogger("distributed.worker")


class QuietWorkerShutdown(WorkerPlugin):
    """Drops the heartbeat ERROR a worker logs when it cut that heartbeat itself, closing."""

    name = "dask-parsl-quiet-worker-shutdown"

    def setup(self, worker: Any) -> None:
        for old in list(_WORKER_LOGGER.filters):  # registered again (by another kernel): one is enough
            if isinstance(old, _HeartbeatCutByClosing) and old.worker() in (worker, None):
                _WORKER_LOGGER.removeFilter(old)
        # kept past teardown: a closing worker removes its plugins before its connections
        _WORKER_LOGGER.addFilter(_HeartbeatCutByClosing(worker))


class _HeartbeatCutByClosing(logging.Filter):
    def __init__(self, worker: Any) -> None:
        super().__init__()
        self.worker = weakref.ref(worker)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != HEARTBEAT_FAILED_MESSAGE:
            return True
        worker = self.worker()
        return worker is None or not is_closing(worker)

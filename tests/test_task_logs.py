"""Which log records about tasks leave the console for the run directory's logs."""
import logging

import pytest

from dask_parsl.apps.call import AppCall
from dask_parsl.internals import task_type
from dask_parsl.scheduler.task_logs import TASK_LOGGER, AppTaskRecords


class TaskState:
    def __init__(self, func):
        self.run_spec = task_type()("key", func)


TASKS = {"app-1": TaskState(AppCall(print, "app")), "app-2": TaskState(AppCall(print, "app")),
         "plain-1": TaskState(print)}


def record(message, *args):
    return logging.LogRecord("distributed.scheduler", logging.ERROR, __file__, 1, message, args, None)


@pytest.mark.parametrize("message, args, kept", [
    ("Compute Failed\nKey:       %s\n", ("app-1",), False),
    ("Compute Failed\nKey:       %s\n", ("plain-1",), True),
    ("Task %s marked as failed because %d workers died while trying to run it", ("app-2", 3), False),
    ("Task %s marked as failed because %d workers died while trying to run it", ("plain-1", 3), True),
    ("Couldn't gather keys: %s", ({"app-1": "memory", "app-2": "memory"},), False),
    ("Couldn't gather keys: %s", ({"app-1": "memory", "plain-1": "memory"},), True),
    ("Worker %s left", ("tcp://127.0.0.1:1",), True),
])
def test_only_records_about_app_tasks_are_taken_off_the_console(message, args, kept):
    seen = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record)

    target = logging.getLogger(TASK_LOGGER)
    handler = Collect()
    target.addHandler(handler)
    try:
        assert AppTaskRecords(TASKS.get).filter(record(message, *args)) is kept
    finally:
        target.removeHandler(handler)
    assert len(seen) == (0 if kept else 1)

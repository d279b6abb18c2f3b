"""What a worker runs now, and when it sends (distributed 2026.8.0)."""
from __future__ import annotations

from typing import Any

from distributed.utils import thread_state as task_thread_state


def running_task_key() -> Any:
    """The key of the task this thread runs on a worker; None off a task
    (``distributed.utils.thread_state.key``)."""
    return getattr(task_thread_state, "key", None)

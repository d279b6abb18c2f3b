"""What a worker runs now, and when it sends (distributed 2026.8.0)."""
from __future__ import annotations

from typing import Any

from distributed.core import Status
from distributed.utils import thread_state as task_thread_state


def running_task_key() -> Any:
    """The key of the task this thread runs on a worker; None off a task
    (``distributed.utils.thread_state.key``)."""
    return getattr(task_thread_state, "key", None)


def send_at_once_if_idle(worker: Any) -> None:
    """If ``worker`` has no other task to run, have its next message to the scheduler
    leave at once instead of waiting out the batch interval after its last one
    (``WorkerState.executing/ready/constrained``, ``BatchedSend.next_deadline``, which
    ``send`` reads to wake the sender)."""
    state = worker.state
    if not (state.executing or state.ready or state.constrained):
        worker.batched_stream.next_deadline = None


#: what a worker logs (an ERROR, with a traceback) when its heartbeat to the scheduler
#: fails; also when the worker itself cut it by closing (``Worker.heartbeat``,
#: ``Worker.close``; tested on 2026.8.0)
HEARTBEAT_FAILED_MESSAGE = "Failed to communicate with scheduler during heartbeat."


def is_closing(worker: Any) -> bool:
    """Whether ``worker`` is closing, not yet closed (``Worker.status``)."""
    return worker.status == Status.closing

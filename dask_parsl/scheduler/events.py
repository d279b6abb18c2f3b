"""The messages between ``WorkflowPlugin`` and the kernels whose tasks it runs.

To a kernel (on its client's stream, op ``EVENTS_OP``): each failed try of its
tasks (always: the kernel keeps ``fail_count``/``fail_history`` from them), and,
once the kernel has subscribed (``SUBSCRIBE_OP``), when and on which worker each
try ran. From a kernel (op ``WORKFLOW_STATUS_OP``), twice a second while anything
changes: its tasks by app and state, its retries and latest failed tries, for the
dashboard's Workflow page. The scheduler's stream batches them.

When the kernel has a ``retry_handler``, a failed try goes to the kernel as a
``"decide"`` event with the pickled exception, while the plugin holds the task;
the kernel answers with ``RETRY_DECIDED_OP`` (retry or not, the task's cost so far,
and the handler's own exception if it raised).
"""
from __future__ import annotations

from typing import Any

EVENTS_OP = "dask-parsl-events"
SUBSCRIBE_OP = "dask-parsl-subscribe"
WORKFLOW_STATUS_OP = "dask-parsl-workflow-status"
RETRY_DECIDED_OP = "dask-parsl-retry-decided"
#: the event topic of memo reports where the scheduler has no plugin (else they come
#: with completions, ``pushed_results``)
MEMO_TOPIC = "dask-parsl-memo"


def run_times(startstops: Any) -> tuple[float, float] | None:
    """``(start, stop)`` of the compute step a worker reported, if any."""
    for step in startstops or ():
        if step.get("action") == "compute":
            return step["start"], step["stop"]
    return None

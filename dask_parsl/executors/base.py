"""``Executor``: what the DataFlowKernel needs of a place that runs app calls."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol

from .resources import nothing_offered, options_for

if TYPE_CHECKING:
    from ..dataflow.events import EventStream


class TaskListener(Protocol):
    """What an executor reports about the tasks it was given (the kernel's ``Outcomes``)."""

    def task_finished(self, future: Any, succeeded: bool, pushed: Any = None) -> None: ...

    def connection_lost(self, future: Any) -> None: ...

    def submission_failed(self, future: Any, error: Callable[[], BaseException]) -> None: ...

    def task_event(self, future: Any, event: dict) -> None: ...

    def results_held_by(self, executor: Any) -> list: ...


class Executor:
    """Base class of dask_parsl executors, chosen by ``label``."""

    label: str
    storage_access: list | None = None
    working_dir: str | None = None
    #: whether calls without a ``parsl_resource_specification`` go through ``dask_options``
    #: too (an MPI executor refuses them)
    requires_resource_specification: bool = False

    #: whether a dashboard shows the workflow, once ``send_workflow_status`` gives it
    shows_workflow = False

    def follow(self, events: EventStream) -> None:
        """Watch the kernel's task events, e.g. to ask for run times once they are wanted."""

    def cancel(self, app_future: Any) -> None:
        """Stop running the task of ``app_future``, which was cancelled."""

    def send_workflow_status(self, status: dict) -> None:
        """Show the workflow's tasks by app and state (``dataflow.status``) on a dashboard."""

    def start(self, run_dir: str, listener: TaskListener, config: Any = None) -> None:
        """Get ready to run tasks of a run whose directory is ``run_dir``; report them to
        ``listener``."""
        raise NotImplementedError

    def dask_options(self, specification: Mapping) -> dict | None:
        """What a call's ``parsl_resource_specification`` asks of Dask here
        (``{"resources": {...}, "priority": n}``, or None); ``InvalidResourceSpecification``
        for keys this executor cannot honour (here: any key)."""
        return options_for(self.label, specification, nothing_offered, priority=False)

    def submit(self, key: str, task: Any, app_future: Any, options: dict | None = None) -> None:
        """Run ``task`` (a Dask graph node) under ``key`` for ``app_future``, with the
        ``options`` of ``dask_options``."""
        raise NotImplementedError

    def gather(self, remote: Any) -> Any:
        """The value(s) of finished remote result(s)."""
        raise NotImplementedError

    def fetch(self, future: Any) -> Any:
        """The result of a finished ``AppFuture`` whose value is still remote."""
        return self.gather(future._remote)

    def compute(self, collection: Any) -> Any:
        """Start computing a Dask collection here; returns its future."""
        raise NotImplementedError

    def same_scheduler(self, dask_future: Any) -> bool:
        """Whether a Dask future lives on this executor's scheduler."""
        return False

    def shutdown(self) -> None:
        raise NotImplementedError

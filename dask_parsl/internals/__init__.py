"""Every private name of dask, distributed, dask-jobqueue and CPython that dask_parsl uses.

Not API. dask_parsl relies on a few internals that have no public equivalent:
building task graphs and releasing their futures in batches (``graphs``,
``released_futures``), seeing completions in bulk and messaging the scheduler
(``client``), deciding retries on the scheduler (``scheduler``), apps
giving up their worker slot while they wait for their own cluster
(``worker_slots``), what a worker runs and when it sends (``worker``), submitting
batch jobs and waiting for them (``batch``), and CPython's (``cpython``). Each
access is one named function, whose docstring gives the versions it was tested on,
so a Dask upgrade breaks dask_parsl in one package that lists them all; import
them from here.

At import, versions outside ``TESTED`` give one warning (``probes``); a needed
internal that a probe finds missing raises ``DaskInternalsMissing`` where it is used.
"""
from .batch import (
    example_job,
    jobs_created,
    set_worker_command,
    start_missing_jobs,
    worker_command,
    workers_per_job,
)
from .client import (
    add_client_stream_handler,
    after_client_reconnects,
    after_client_stream_handler,
    cancel_locally,
    listen_in_process,
    scheduler_id,
    send_to_scheduler,
)
from .cpython import (
    LightFuture,
    raise_in_thread,
    replace_result,
    start_dask_workers_without_main,
)
from .graphs import (
    graph_value,
    submit_graph,
    task_ref,
    task_type,
    user_arguments,
)
from .probes import (
    TESTED,
    DaskInternalsMissing,
    untested_versions,
    warn_about_untested_versions,
)
from .scheduler import (
    DASK_WORKER_STREAM_INTERVAL,
    MEMORY_KILL_TOPIC,
    before_task_erred,
    before_worker_removed,
    client_keys,
    fail_task,
    handle_task_erred,
    instead_of_dropping_a_client,
    release_closed_scheduler,
    retry_erred_task,
    retry_task_of_lost_worker,
    set_worker_stream_interval,
    stop_wanting,
    tasks_executing_on,
    tasks_probably_running_on,
    tasks_waiting_for_a_worker,
    uncount_lost_worker,
    unrunnable_since,
    want_keys,
)
from .worker import (
    HEARTBEAT_FAILED_MESSAGE,
    is_closing,
    running_task_key,
    send_at_once_if_idle,
)
from .worker_slots import (
    release_worker_slot_while_clients_wait,
)

__all__ = [
    "DASK_WORKER_STREAM_INTERVAL",
    "DaskInternalsMissing",
    "HEARTBEAT_FAILED_MESSAGE",
    "LightFuture",
    "MEMORY_KILL_TOPIC",
    "TESTED",
    "add_client_stream_handler",
    "after_client_reconnects",
    "after_client_stream_handler",
    "before_task_erred",
    "before_worker_removed",
    "cancel_locally",
    "example_job",
    "client_keys",
    "fail_task",
    "graph_value",
    "handle_task_erred",
    "instead_of_dropping_a_client",
    "is_closing",
    "jobs_created",
    "listen_in_process",
    "raise_in_thread",
    "release_closed_scheduler",
    "release_worker_slot_while_clients_wait",
    "replace_result",
    "retry_erred_task",
    "retry_task_of_lost_worker",
    "running_task_key",
    "scheduler_id",
    "send_at_once_if_idle",
    "send_to_scheduler",
    "set_worker_command",
    "set_worker_stream_interval",
    "start_dask_workers_without_main",
    "start_missing_jobs",
    "stop_wanting",
    "submit_graph",
    "task_ref",
    "task_type",
    "tasks_executing_on",
    "tasks_probably_running_on",
    "tasks_waiting_for_a_worker",
    "uncount_lost_worker",
    "unrunnable_since",
    "untested_versions",
    "user_arguments",
    "want_keys",
    "warn_about_untested_versions",
    "worker_command",
    "workers_per_job",
]

warn_about_untested_versions()

"""The scheduler's internals: erred tasks, lost workers, retries, unrunnable tasks."""
from __future__ import annotations

import asyncio
import heapq
import time
from typing import Any, Callable

from distributed.scheduler import ClientState


# -- the scheduler (distributed 2026.8.0) ------------------------------------------------
def before_task_erred(scheduler: Any, before: Callable[[Any, str, dict], bool]) -> None:
    """Call ``before(key, stimulus_id, msg)`` when a worker reports a failed task, before
    the scheduler handles it; ``before`` may change ``msg``, or return False to hold the
    report and hand it over later with ``handle_task_erred`` (the ``task-erred`` stream
    handler; tested on distributed 2026.8.0)."""
    original = scheduler.stream_handlers["task-erred"]

    def task_erred(key: Any, stimulus_id: str, **msg: Any) -> None:
        if before(key, stimulus_id, msg):
            original(key=key, stimulus_id=stimulus_id, **msg)

    scheduler.stream_handlers["task-erred"] = task_erred


def handle_task_erred(scheduler: Any, key: Any, stimulus_id: str, msg: dict) -> None:
    """Let the scheduler handle a failed-task report held by ``before_task_erred``; it
    ignores a report about a try that is no longer running (``Scheduler.handle_task_erred``;
    tested on distributed 2026.8.0)."""
    scheduler.handle_task_erred(key=key, stimulus_id=stimulus_id, **msg)


def before_worker_removed(scheduler: Any, before: Callable[[str, bool], None]) -> None:
    """Call ``before(address, expected)`` before the scheduler removes a worker, while
    its tasks are still assigned to it, whichever way it goes: its stream closed, its
    nanny's ``unregister`` call, a missed heartbeat, a retirement (``Scheduler.remove_worker``,
    which the ``unregister`` handler holds bound; tested on 2026.8.0). ``before`` runs
    in the same step of the event loop as the removal: for the second of two calls
    about one worker, the worker is gone already."""
    original = scheduler.remove_worker

    async def remove_worker(address: str, *args: Any, **kwargs: Any) -> Any:
        before(address, kwargs.get("expected", False))
        return await original(address, *args, **kwargs)

    scheduler.remove_worker = remove_worker
    scheduler.handlers["unregister"] = remove_worker


#: seconds a client registering again waits for the scheduler to end its earlier stream
OLD_STREAM_WAIT = 2.0


def instead_of_dropping_a_client(scheduler: Any, keep: Callable[[str], None]) -> None:
    """Ask ``keep(client)`` when a client's stream to the scheduler ends without the
    client closing itself, before the scheduler releases what it wanted; ``keep`` may
    make something else want those keys (``Scheduler.remove_client`` as ``add_client``
    calls it; a client closing sends ``close-client``, whose handler holds the method
    bound; tested on 2026.8.0).

    A client registering again under the same id waits until its earlier stream is gone
    (at most ``OLD_STREAM_WAIT`` seconds, then that stream is aborted): otherwise
    the earlier stream's end would remove the new connection."""
    original = scheduler.remove_client

    def remove_client(client: str, stimulus_id: str | None = None) -> None:
        if client in scheduler.clients:
            keep(client)
        original(client, stimulus_id=stimulus_id)

    register = scheduler.handlers["register-client"]

    async def register_client(comm: Any, client: str, **kwargs: Any) -> None:
        deadline = time.monotonic() + OLD_STREAM_WAIT
        while client in scheduler.client_comms:
            if time.monotonic() > deadline:
                scheduler.client_comms[client].abort()
                deadline = float("inf")
            await asyncio.sleep(0.01)
        await register(comm, client=client, **kwargs)

    scheduler.remove_client = remove_client
    scheduler.handlers["register-client"] = register_client


def client_keys(scheduler: Any, client: str) -> list:
    """The keys ``client`` wants (``ClientState.wants_what``; tested on 2026.8.0)."""
    state = scheduler.clients.get(client)
    return [ts.key for ts in state.wants_what] if state is not None else []


def want_keys(scheduler: Any, holder: str, keys: list) -> None:
    """Make ``holder`` (a name of no connected client) want ``keys``, so the scheduler keeps
    them, without reporting on them to anyone (``ClientState``, ``TaskState.who_wants``;
    ``client_desires_keys`` would report finished ones to every client wanting them,
    including one whose stream just closed; tested on 2026.8.0)."""
    state = scheduler.clients.get(holder)
    if state is None:
        state = scheduler.clients[holder] = ClientState(holder)
    for key in keys:
        ts = scheduler.tasks.get(key)
        if ts is not None:
            if ts.who_wants is None:
                ts.who_wants = set()
            ts.who_wants.add(state)
            state.wants_what.add(ts)


def stop_wanting(scheduler: Any, holder: str, keys: list) -> None:
    """Release ``keys`` on behalf of ``holder`` (a name that ``client_desires_keys`` made a
    client of), then forget ``holder`` (``Scheduler.clients``; tested on 2026.8.0)."""
    scheduler.client_releases_keys(keys=keys, client=holder, stimulus_id=f"dask-parsl-unhold-{time.time()}")
    scheduler.clients.pop(holder, None)


#: how long the scheduler holds its messages to a worker, to send them as one batch
#: (``Scheduler.add_worker``'s ``BatchedSend``; tested on 2026.8.0)
DASK_WORKER_STREAM_INTERVAL = 0.005


def set_worker_stream_interval(scheduler: Any, seconds: float, workers: Any = None) -> None:
    """Make the scheduler hold its messages to each of ``workers`` (addresses; all by
    default) for ``seconds`` before sending them as one batch (``Scheduler.stream_comms``,
    ``BatchedSend.interval``; tested on 2026.8.0)."""
    streams = scheduler.stream_comms
    for address in streams if workers is None else workers:
        stream = streams.get(address)
        if stream is not None:
            stream.interval = seconds


#: the topic of the event a nanny logs before it stops its worker for exceeding
#: ``distributed.worker.memory.terminate`` (``NannyMemoryManager``; tested on 2026.8.0)
MEMORY_KILL_TOPIC = "worker-restart-memory"


def retry_erred_task(ts: Any, retry: bool) -> None:
    """Make the scheduler re-queue (``retry``) or fail a task whose try just failed
    (``TaskState.retries``; tested on distributed 2026.8.0)."""
    ts.retries = 1 if retry else 0


def retry_task_of_lost_worker(scheduler: Any, ts: Any, retry: bool) -> None:
    """Make the scheduler reschedule (``retry``) without counting the loss, or fail with
    ``KilledWorker``, a task whose worker is being removed (``TaskState.suspicious``,
    which ``remove_worker`` increments then compares with ``allowed_failures``; tested on
    distributed 2026.8.0)."""
    if retry:
        ts.suspicious -= 1
    else:
        ts.suspicious = scheduler.allowed_failures


def uncount_lost_worker(ts: Any) -> None:
    """Take back one lost worker from the count after which the scheduler gives up on
    ``ts`` (``TaskState.suspicious``; tested on distributed 2026.8.0)."""
    ts.suspicious = max(0, ts.suspicious - 1)


def tasks_probably_running_on(ws: Any) -> set:
    """The tasks that a worker being removed was most likely running, when none told of
    its start: those its latest heartbeat reported, else its ``nthreads`` first in
    priority order, the order it starts them in (a task that kills its worker at once
    has no time to report). (``WorkerState.executing``/``long_running``/``processing``,
    ``TaskState.priority``; tested on distributed 2026.8.0)"""
    started = (set(ws.executing) | set(ws.long_running)) & ws.processing
    return started or set(heapq.nsmallest(ws.nthreads, ws.processing, key=lambda ts: ts.priority or ()))


def fail_task(scheduler: Any, ts: Any, error: BaseException) -> None:
    """Fail task ``ts`` (and its dependents) with ``error``, wherever it waits or runs
    (``Scheduler.transition`` to ``erred``; tested on distributed 2026.8.0)."""
    import time

    from distributed.protocol import pickle

    stimulus_id = f"dask-parsl-fail-{time.time()}"
    where = {"worker": ts.processing_on.address} if ts.state == "processing" else {}
    recommendations = scheduler.transition(ts.key, "erred", stimulus_id, cause=ts.key,
                                           exception=pickle.dumps(error), exception_text=str(error), **where)
    scheduler.transitions(recommendations, stimulus_id)


def tasks_waiting_for_a_worker(scheduler: Any) -> list:
    """Tasks the scheduler holds back until a suitable worker exists
    (``Scheduler.unrunnable`` and ``queued``; tested on distributed 2026.8.0)."""
    return [*scheduler.unrunnable, *scheduler.queued]


def unrunnable_since(scheduler: Any) -> list[tuple[Any, float]]:
    """``(task, since)`` for tasks no connected worker can run (tested on distributed 2026.8.0)."""
    return list(scheduler.unrunnable.items())


def tasks_executing_on(ws: Any) -> list:
    """The tasks a worker is running now (``WorkerState.executing``; tested on 2026.8.0)."""
    return list(ws.executing)


def release_closed_scheduler(scheduler: Any) -> None:
    """Drop what keeps a closed scheduler of this process alive: distributed caches, for
    good, whether each server handler takes a comm (``core._expects_comm``, keyed by
    bound methods of every server), and the template of each scheduler's dashboard
    pages (``dashboard.scheduler.template_variables``, a ``toolz.memoize`` keyed by
    scheduler). Tested on distributed 2026.8.0 and toolz 1.2."""
    import inspect

    from distributed import core

    core._expects_comm.cache_clear()  # (the live servers' entries come back on their next message)
    try:
        from distributed.dashboard import scheduler as dashboard
    except ImportError:  # no bokeh: no dashboard
        return
    memoized = getattr(dashboard.template_variables, "_dask_parsl_original", dashboard.template_variables)
    cache = inspect.getclosurevars(memoized).nonlocals.get("cache")
    if isinstance(cache, dict):
        cache.pop(scheduler, None)

"""Every private name of dask, distributed, dask-jobqueue and CPython that dask_parsl uses.

Not API. dask_parsl relies on a few internals that have no public equivalent:
building task graphs (``dask._task_spec``, ``dask._expr``), submitting one graph
with call-order priorities (``Client._graph_to_futures``), seeing completions in
bulk (the client's stream-handler table), deciding retries on the scheduler (its
``task-erred`` handler, ``remove_worker``, ``TaskState.retries``/``suspicious``),
submitting batch jobs and waiting for them (``SpecCluster._correct_state``), apps
giving up their worker slot while they wait for their own cluster
(``Worker._get_client``, the thread pool's state), a lighter
``concurrent.futures.Future``, and raising in another thread. Each access
is one named function here, whose docstring gives the versions it was tested on,
so a Dask upgrade breaks dask_parsl in one file that lists them all.

At import, versions outside ``TESTED`` give one warning; a needed internal that a
probe finds missing raises ``DaskInternalsMissing`` where it is used.
"""
from __future__ import annotations

import collections
import concurrent.futures
import ctypes
import functools
import importlib
import threading
import uuid
import warnings
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Callable

from distributed import Client, Worker, rejoin, secede
from distributed.spans import SpanMetadata
from distributed.threadpoolexecutor import thread_state as pool_thread_state
from distributed.utils import thread_state as task_thread_state

#: distribution -> (lowest, highest) version dask_parsl is tested with
TESTED = {
    "dask": ("2026.8.0", "2026.8.0"),
    "distributed": ("2026.8.0", "2026.8.0"),
    "dask-jobqueue": ("0.9.0", "0.9.0"),
}


class DaskInternalsMissing(RuntimeError):
    """An internal of dask or distributed that dask_parsl needs is missing."""


def _version_key(text: str) -> tuple:
    parts = []
    for part in text.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def untested_versions() -> list[str]:
    """The installed dask, distributed and dask-jobqueue versions outside ``TESTED``."""
    found = []
    for name, (lowest, highest) in TESTED.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue
        if not _version_key(lowest) <= _version_key(installed) <= _version_key(highest):
            found.append(f"{name} {installed} (tested: {lowest} to {highest})")
    return found


def warn_about_untested_versions() -> None:
    """Warn once if dask, distributed or dask-jobqueue is outside the tested range."""
    untested = untested_versions()
    if untested:
        warnings.warn(
            f"dask_parsl was not tested with {', '.join(untested)}; it uses internals of these "
            "packages and checks them when it needs them. Please report problems.",
            RuntimeWarning, stacklevel=2)


def _require(owner: Any, name: str, where: str, package: str = "distributed") -> Any:
    found = getattr(owner, name, None)
    if found is None:
        lowest, highest = TESTED[package]
        raise DaskInternalsMissing(
            f"{where}.{name} is missing: this version of {package} changed an internal dask_parsl "
            f"needs (tested with {lowest} to {highest}). Install a tested version, or a dask_parsl "
            "release that supports yours.")
    return found


@functools.cache
def _dask_module(name: str) -> Any:
    """A private module of dask, or ``DaskInternalsMissing`` naming it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise DaskInternalsMissing(
            f"{name} is missing: this version of dask changed an internal dask_parsl needs "
            f"(tested with {TESTED['dask'][0]} to {TESTED['dask'][1]})") from None


@functools.cache
def _task_spec(name: str) -> Any:
    return _require(_dask_module("dask._task_spec"), name, "dask._task_spec", "dask")


# -- task graphs (dask 2026.8.0) ------------------------------------------------------
def task_type() -> type:
    """The class of graph nodes that call a function: ``Task(key, func, *args, **kwargs)``
    (``dask._task_spec.Task``; tested on dask 2026.8.0)."""
    return _task_spec("Task")


def task_ref(key: Any) -> Any:
    """A reference to the result of another key, or a list of them
    (``TaskRef``, ``List``; tested on dask 2026.8.0)."""
    ref = _task_spec("TaskRef")
    if isinstance(key, list):
        return _task_spec("List")(*[ref(k) for k in key])
    return ref(key)


def graph_value(value: Any) -> Any:
    """``value`` as a graph argument, containers of graph nodes included
    (``dask._task_spec.parse_input``; tested on dask 2026.8.0)."""
    return _task_spec("parse_input")(value)


def user_arguments(task: Any, skip: int) -> tuple[tuple, dict]:
    """The positional (minus the first ``skip``) and keyword arguments of a ``task_type()`` node."""
    return task.args[skip:], task.kwargs


try:
    from dask._expr import LLGExpr as _LowLevelGraph
except ImportError:  # reported by submit_graph, where it is needed
    _LowLevelGraph = None
else:
    class _AnnotatedTasks(_LowLevelGraph):
        """A graph whose tasks carry Dask annotations (resource restrictions, priorities)
        by key (a class at module level: the scheduler unpickles it by name)."""

        _parameters = ["dsk", "annotations"]

        def __dask_annotations__(self) -> dict:
            return self.operand("annotations")


def submit_graph(client: Client, tasks: dict, keys: list, annotations: dict) -> list:
    """Submit ``tasks`` as one graph; returns the futures of ``keys``, in order.

    The tasks run in the order of ``keys`` (after those of earlier graphs), as
    ``client.map`` orders its tasks: ``Client.get`` would leave the order to
    ``dask.order``, which runs a burst of independent calls last-called first.
    The graph is named by a random token: tokenizing every task, as ``Client.get``
    does, costs most of a batch, and app calls are never deduplicated.
    ``annotations`` maps ``resources`` and ``priority`` to values by key (a
    priority annotation outranks the call order). Uses
    ``Client._graph_to_futures`` and ``dask._expr.LLGExpr`` (tested on 2026.8.0).
    """
    if _LowLevelGraph is None:  # raises, naming what is missing
        _require(_dask_module("dask._expr"), "LLGExpr", "dask._expr", "dask")
    token = uuid.uuid4().hex
    if annotations:
        graph = _AnnotatedTasks(tasks, annotations, _determ_token=token)
    else:
        graph = _LowLevelGraph(tasks, _determ_token=token)
    to_futures = _require(client, "_graph_to_futures", "distributed.Client")
    in_order = {key: position for position, key in enumerate(keys)}
    futures = to_futures(graph, keys, span_metadata=SpanMetadata(collections=[{"type": "low-level-graph"}]),
                         internal_priority=in_order, fifo_timeout=0)
    return [futures[key] for key in keys]


# -- the client's streams (distributed 2026.8.0) -----------------------------------------
def after_client_stream_handler(client: Client, op: str, after: Callable[..., None]) -> None:
    """Call ``after(**msg)`` after the client has handled each ``op`` message from the
    scheduler (``Client._stream_handlers``; tested on distributed 2026.8.0)."""
    handlers = _require(client, "_stream_handlers", "distributed.Client")
    original = handlers[op]

    def handler(**msg: Any) -> None:
        original(**msg)
        after(**msg)

    handlers[op] = handler


def add_client_stream_handler(client: Client, op: str, handler: Callable[..., None]) -> None:
    """Handle ``op`` messages the scheduler sends this client (tested on distributed 2026.8.0)."""
    _require(client, "_stream_handlers", "distributed.Client")[op] = handler


def send_to_scheduler(client: Client, message: dict) -> None:
    """Send ``message`` on the client's batched stream to the scheduler, without waiting
    (``Client._send_to_scheduler``; tested on distributed 2026.8.0)."""
    _require(client, "_send_to_scheduler", "distributed.Client")(message)


# -- the scheduler (distributed 2026.8.0) ------------------------------------------------
def before_task_erred(scheduler: Any, before: Callable[[Any, dict], None]) -> None:
    """Call ``before(key, msg)`` when a worker reports a failed task, before the scheduler
    handles it; ``before`` may change ``msg`` (the ``task-erred`` stream handler;
    tested on distributed 2026.8.0)."""
    original = scheduler.stream_handlers["task-erred"]

    def task_erred(key: Any, stimulus_id: str, **msg: Any) -> None:
        before(key, msg)
        original(key=key, stimulus_id=stimulus_id, **msg)

    scheduler.stream_handlers["task-erred"] = task_erred


def before_worker_removed(scheduler: Any, before: Callable[[str, bool], None]) -> None:
    """Call ``before(address, expected)`` before the scheduler removes a worker, while
    its tasks are still assigned to it (``Scheduler.remove_worker``; tested on 2026.8.0)."""
    original = scheduler.remove_worker

    async def remove_worker(address: str, *args: Any, **kwargs: Any) -> Any:
        before(address, kwargs.get("expected", False))
        return await original(address, *args, **kwargs)

    scheduler.remove_worker = remove_worker


def retry_erred_task(ts: Any, retry: bool) -> None:
    """Make the scheduler re-queue (``retry``) or fail a task whose try just failed
    (``TaskState.retries``; tested on distributed 2026.8.0)."""
    ts.retries = 1 if retry else 0


def retry_task_of_lost_worker(scheduler: Any, ts: Any, retry: bool) -> None:
    """Make the scheduler reschedule (``retry``) or fail with ``KilledWorker`` a task whose
    worker is being removed (``TaskState.suspicious``, which ``remove_worker`` increments
    and compares with ``allowed_failures``; tested on distributed 2026.8.0)."""
    ts.suspicious = -1 if retry else scheduler.allowed_failures


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


# -- apps that wait for tasks of their own cluster (distributed 2026.8.0) ----------------
def _holds_worker_slot() -> bool:
    """Whether this thread runs a task in a worker's thread pool and has not seceded
    (``distributed.utils.thread_state.key``, ``distributed.threadpoolexecutor.thread_state.proceed``)."""
    in_task = getattr(task_thread_state, "key", None) is not None
    return in_task and getattr(pool_thread_state, "proceed", False)


def _releasing_worker_slot(sync: Callable, when: Callable[[], bool]) -> Callable:
    """``Client.sync`` (which every blocking call of a client goes through), seceding from
    the worker's thread pool while it blocks and rejoining after, as ``Client.get`` does,
    for the callers ``when()`` picks."""
    def sync_releasing_slot(func: Callable, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("asynchronous") or not when() or not _holds_worker_slot():
            return sync(func, *args, **kwargs)
        try:
            secede()
        except Exception:  # not in the pool after all: wait as distributed would
            return sync(func, *args, **kwargs)
        try:
            return sync(func, *args, **kwargs)
        finally:
            rejoin()

    sync_releasing_slot.releases_worker_slot = True
    return sync_releasing_slot


def release_worker_slot_while_clients_wait(when: Callable[[], bool]) -> None:
    """Make the client that ``get_client()`` gives tasks on this process's workers give
    up the calling task's worker slot while it blocks (``Future.result``, ``gather``,
    ``wait``, ...), so the tasks it waits for can run even on a worker with one thread;
    only for the tasks whose thread ``when()`` picks.

    ``.compute()`` and ``dask.compute`` need nothing: ``Client.get`` secedes itself.
    Wraps ``Worker._get_client`` and the ``sync`` method of the clients it returns
    (tested on distributed 2026.8.0). Idempotent.
    """
    original = _require(Worker, "_get_client", "distributed.Worker")
    if getattr(original, "wraps_client_waits", False):
        return

    def _get_client(self: Worker, *args: Any, **kwargs: Any) -> Client:
        client = original(self, *args, **kwargs)
        if not getattr(client.sync, "releases_worker_slot", False):
            client.sync = _releasing_worker_slot(client.sync, when)
        return client

    _get_client.wraps_client_waits = True
    Worker._get_client = _get_client


# -- batch clusters (distributed 2026.8.0, dask-jobqueue 0.9.0) --------------------------
async def start_missing_jobs(cluster: Any) -> None:
    """Submit the jobs in ``cluster.worker_spec`` not submitted yet, and wait for the batch
    system to accept them (``SpecCluster._correct_state``; tested on distributed 2026.8.0)."""
    await _require(cluster, "_correct_state", type(cluster).__name__)()


def jobs_created(cluster: Any) -> list:
    """Every job object ``cluster`` has made (``SpecCluster._created``; tested on 2026.8.0)."""
    return list(_require(cluster, "_created", type(cluster).__name__))


def workers_per_job(cluster: Any) -> int:
    """How many worker processes one job of a dask-jobqueue cluster starts
    (``JobQueueCluster._dummy_job``; tested on dask-jobqueue 0.9.0)."""
    return _require(cluster, "_dummy_job", type(cluster).__name__, "dask-jobqueue").worker_processes


# -- CPython 3.10-3.13 ----------------------------------------------------------------
class _LightCondition(threading.Condition):
    """``threading.Condition`` minus its five per-instance bound methods.

    Every AppFuture has a condition; those bound methods were a third of the
    objects a live future adds for the cyclic garbage collector to traverse.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._waiters = collections.deque()

    def acquire(self, *args: Any) -> bool:
        return self._lock.acquire(*args)

    def release(self) -> None:
        self._lock.release()

    def _release_save(self) -> Any:
        return self._lock._release_save()

    def _acquire_restore(self, state: Any) -> None:
        self._lock._acquire_restore(state)

    def _is_owned(self) -> bool:
        return self._lock._is_owned()


class LightFuture(concurrent.futures.Future):
    """A ``concurrent.futures.Future`` with a lighter condition (what ``Future.__init__``
    sets, written out; tested on CPython 3.10 to 3.13)."""

    def __init__(self) -> None:
        self._condition = _LightCondition()
        self._state = "PENDING"
        self._result = None
        self._exception = None
        self._waiters: list = []
        self._done_callbacks: list = []


def replace_result(future: LightFuture, value: Any) -> None:
    """Replace a finished future's result without running its callbacks again
    (``Future._result``; tested on CPython 3.10 to 3.13)."""
    future._result = value


#: the name distributed's Nanny gives the worker processes it starts (tested on 2026.8.0)
_DASK_WORKER_PROCESS = "Dask Worker process (from Nanny)"


def start_dask_workers_without_main() -> None:
    """Start the worker processes of Dask nannies in this process without running the
    ``__main__`` script again, as multiprocessing's spawn otherwise does (a script with
    no ``if __name__ == "__main__":`` guard would start its workflow in every worker).

    Workers never need it: distributed pickles what ``__main__`` defines by value.
    Wraps ``multiprocessing.spawn.get_preparation_data`` for processes of that name only
    (tested on CPython 3.10 to 3.13 and distributed 2026.8.0). Idempotent.
    """
    import multiprocessing.spawn as spawn

    original = spawn.get_preparation_data
    if getattr(original, "skips_main_for_dask_workers", False):
        return

    def get_preparation_data(name: str) -> dict:
        data = original(name)
        if name == _DASK_WORKER_PROCESS:
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
        return data

    get_preparation_data.skips_main_for_dask_workers = True
    spawn.get_preparation_data = get_preparation_data


def raise_in_thread(thread_id: int, exception_class: type) -> None:
    """Raise ``exception_class`` in thread ``thread_id`` between two bytecodes
    (``PyThreadState_SetAsyncExc``; tested on CPython 3.10 to 3.13)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exception_class))


warn_about_untested_versions()

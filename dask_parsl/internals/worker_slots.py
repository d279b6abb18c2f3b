"""Apps that wait for tasks of their own cluster give up their worker slot (``Worker._get_client``)."""
from __future__ import annotations

from typing import Any, Callable

from distributed import Client, Worker, rejoin, secede
from distributed.threadpoolexecutor import thread_state as pool_thread_state
from distributed.utils import thread_state as task_thread_state

from .probes import _require


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

"""The client's stream-handler table: completions in bulk, messages to the scheduler."""
from __future__ import annotations

import logging
from typing import Any, Callable

from distributed import Client

from .probes import _require

logger = logging.getLogger(__name__)


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


def cancel_locally(client: Client, key: Any) -> None:
    """Cancel the client's future of ``key`` without telling the scheduler, so whoever waits
    on it stops waiting (``Client.futures``; tested on distributed 2026.8.0)."""
    state = _require(client, "futures", "distributed.Client").get(key)
    if state is not None:
        state.cancel()


def scheduler_id(client: Client) -> str | None:
    """The id of the scheduler the client last connected to, without asking it
    (``Client._scheduler_identity``, renewed at each connection; tested on 2026.8.0)."""
    return _require(client, "_scheduler_identity", "distributed.Client").get("id")


def send_to_scheduler(client: Client, message: dict) -> None:
    """Send ``message`` on the client's batched stream to the scheduler, without waiting
    (``Client._send_to_scheduler``; tested on distributed 2026.8.0)."""
    _require(client, "_send_to_scheduler", "distributed.Client")(message)


def after_client_reconnects(client: Client, after: Callable[[], None]) -> None:
    """Call ``after()`` on the client's loop each time the client has connected again to
    its scheduler after losing the connection (``Client._reconnect``, which cancels every
    future it holds first; tested on distributed 2026.8.0)."""
    original = _require(client, "_reconnect", "distributed.Client")

    async def reconnect() -> None:
        await original()
        if client.status == "running":
            try:  # the client's report loop goes on whatever happens here
                after()
            except Exception:
                logger.exception("Taking the tasks back after a reconnection failed")

    client._reconnect = reconnect


def listen_in_process(cluster: Any) -> str:
    """Have the scheduler of ``cluster``, which runs in this process (a ``LocalCluster``),
    also listen on an in-process address, and return it: a client there reaches the
    scheduler without a socket, so without serializing or encrypting what they exchange;
    no other process can connect to it (``Server.listen``, ``Server.listeners``; tested
    on distributed 2026.8.0)."""
    scheduler = cluster.scheduler
    cluster.sync(_require(scheduler, "listen", "distributed.Scheduler"), "inproc://")
    return scheduler.listeners[-1].contact_address

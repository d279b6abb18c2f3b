"""Keeping a kernel's tasks on the scheduler while its client reconnects.

When a client's connection drops (a network blip, an SSH tunnel restarted), the
client connects again under the same id; but the scheduler has released everything
that client wanted the moment its stream ended, and the client has cancelled its
futures. For a kernel's client, ``WorkflowPlugin`` instead keeps those keys wanted
under a holder name for as long as the kernel keeps trying (``parsl.reconnect-timeout``),
and the reports meant for the kernel wait. Once connected again, the kernel asks for
its keys back (``RECLAIM_OP``): the plugin wants them for the client again, drops the
hold, sends the reports that waited, and names the keys it never had (their graph
was lost with the connection) so the kernel submits them again (``UNKNOWN_KEYS_OP``).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, NamedTuple

from ..internals import client_keys, stop_wanting, want_keys

logger = logging.getLogger(__name__)

RECLAIM_OP = "dask-parsl-reclaim"
UNKNOWN_KEYS_OP = "dask-parsl-unknown-keys"
HOLDER_PREFIX = "dask-parsl-held-"


class _Hold(NamedTuple):
    holder: str
    keys: list
    timer: asyncio.TimerHandle
    missed: list  # reports for the kernel, in order


class ClientHolds:
    """The keys of kernels whose connection dropped, each held for a while."""

    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        self._holds: dict[str, _Hold] = {}
        self._kernel_of_holder: dict[str, str] = {}

    def hold(self, client: str, seconds: float, expired: Callable[[str], None]) -> None:
        """Keep what ``client`` wants for ``seconds``; then call ``expired(client)`` and
        release it. A client that drops again before taking its keys back adds to its hold."""
        keys = client_keys(self.scheduler, client)
        hold = self._holds.get(client)
        if hold is None:
            timer = asyncio.get_running_loop().call_later(seconds, self._expire, client, expired)
            hold = self._holds[client] = _Hold(HOLDER_PREFIX + client, [], timer, [])
            self._kernel_of_holder[hold.holder] = client
        want_keys(self.scheduler, hold.holder, keys)
        hold.keys.extend(keys)
        logger.info("Client %s lost its connection: keeping its %d keys for %.0f s while it reconnects",
                    client, len(hold.keys), seconds)

    def holding(self, client: str) -> bool:
        return client in self._holds

    def kernel_named(self, name: str) -> str:
        """The kernel a holder holds for; any other client's own name."""
        return self._kernel_of_holder.get(name, name)

    def missed(self, client: str, event: dict) -> None:
        """Keep a report for a held kernel until it reconnects."""
        hold = self._holds.get(client)
        if hold is not None:
            hold.missed.append(event)

    def missed_by(self, client: str) -> list:
        """The reports that waited for ``client`` (taken: they are sent now)."""
        hold = self._holds.get(client)
        if hold is None:
            return []
        missed = list(hold.missed)
        hold.missed.clear()
        return missed

    def reclaim(self, client: str, keys: list) -> list:
        """``client`` is back and wants ``keys``: want them for it again, drop its hold,
        and return those this scheduler does not know."""
        tasks = self.scheduler.tasks
        known = [key for key in keys if key in tasks]
        self.scheduler.client_desires_keys(known, client)  # reports those that finished meanwhile
        hold = self._holds.pop(client, None)
        if hold is not None:
            self._release(hold)
            logger.info("Client %s reconnected: %d keys back, %d unknown", client, len(known),
                        len(keys) - len(known))
        return [key for key in keys if key not in tasks]

    def _release(self, hold: _Hold) -> None:
        hold.timer.cancel()
        del self._kernel_of_holder[hold.holder]
        stop_wanting(self.scheduler, hold.holder, hold.keys)

    def _expire(self, client: str, expired: Callable[[str], None]) -> None:
        hold = self._holds.pop(client, None)
        if hold is not None:
            logger.warning("Client %s did not reconnect: its tasks are released", client)
            expired(client)  # while its tasks are still held: what waits for its kernel is decided
            self._release(hold)

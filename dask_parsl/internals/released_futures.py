"""Dask futures released in batches (``distributed.Future.release``)."""
from __future__ import annotations

import collections
from typing import Any

from distributed import Client, Future


# -- distributed 2026.8.0 ----------------------------------------------------------------
class BatchReleasedFuture(Future):
    """A ``distributed.Future`` whose release, when it is dropped, joins a queue that the
    client's event loop empties in one go.

    ``Future.release`` wakes the loop once per future (a write to its self-pipe, tens of
    microseconds while the loop is busy); futures dropped together, as a list of
    finished calls is, make that the cost of whatever thread collects them: often the
    thread making the next calls. The keys that no future holds any longer then go to
    the scheduler in one message (``Future._cleared``, ``Future._generation``,
    ``Client.refcount``, ``Client._refcount_lock``, ``Client.futures``,
    ``Client._send_to_scheduler``; tested on distributed 2026.8.0).
    """

    def release(self) -> None:
        if not self._cleared and self.client.generation == self._generation:
            self._cleared = True
            _releases_of(self.client).add(self.key)


def release_in_batches(futures: Any) -> None:
    """Make each of ``futures``, just created, a ``BatchReleasedFuture`` (if this version
    of distributed has what it needs: else they stay as they are)."""
    for future in futures:
        if not _releases_in_batches(future):
            return
        future.__class__ = BatchReleasedFuture


def _releases_in_batches(future: Future) -> bool:
    global _SUPPORTED
    if _SUPPORTED is None:
        client = future.client
        _SUPPORTED = (hasattr(future, "_cleared") and hasattr(future, "_generation")
                      and all(hasattr(client, name) for name in ("refcount", "_refcount_lock", "futures"))
                      and callable(getattr(client, "_send_to_scheduler", None)))
    return _SUPPORTED


_SUPPORTED: bool | None = None  # known at the first future


class _KeyReleases:
    """The keys of a client's dropped futures, released on its loop in batches."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.keys: collections.deque = collections.deque()
        self.scheduled = False

    def add(self, key: Any) -> None:  # from any thread
        self.keys.append(key)
        if not self.scheduled:
            self.scheduled = True
            try:
                self.client.loop.add_callback(self._release)
            except TypeError:  # the client's loop is shutting down, as in Future.release
                pass

    def _release(self) -> None:
        """As ``Client._dec_ref`` per key, but one message for the keys no future holds now."""
        self.scheduled = False  # (before emptying: a key added meanwhile schedules again)
        client, keys, unheld = self.client, self.keys, []
        with client._refcount_lock:
            refcount = client.refcount
            while keys:
                key = keys.popleft()
                refcount[key] -= 1
                if refcount[key] == 0:
                    del refcount[key]
                    unheld.append(key)
        for key in unheld:
            state = client.futures.pop(key, None)
            if state is not None:
                state.cancel()
        if unheld and client.status != "closed":
            client._send_to_scheduler({"op": "client-releases-keys", "keys": unheld, "client": client.id})


def _releases_of(client: Client) -> _KeyReleases:
    releases = client.__dict__.get("_dask_parsl_key_releases")
    if releases is None:
        releases = client._dask_parsl_key_releases = _KeyReleases(client)
    return releases

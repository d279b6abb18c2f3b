"""Checkpoint directories of earlier versions, one file per entry: read and committed, never written.

Such a directory holds ``entries/<hashsum>`` (a magic line, the SHA-256 of the pickle,
the pickle) and, in ``index/``, the entries' Dask tokens: either one empty file
``<hashsum>.<token>`` per entry or append-only ``<writer>.tokens`` files of
``<hashsum> <token>`` lines. Entries not committed yet wait in ``pending/``.
"""
from __future__ import annotations

import hashlib
import logging
import os

from ..dataflow.errors import BadCheckpoint
from .errors import UntrustedCheckpoint
from .trust import open_entry

logger = logging.getLogger(__name__)

MAGIC = b"DASK-PARSL-CHECKPOINT 1\n"
_DIGEST_SIZE = 32
TOKENS_SUFFIX = ".tokens"


def entry_files(checkpoint_dir: str) -> dict[str, tuple[str, str | None]]:
    """``{hashsum: (path, token or None)}`` of the committed entry files of ``checkpoint_dir``."""
    entries = os.path.join(checkpoint_dir, "entries")
    try:
        names = [name for name in os.listdir(entries) if not name.endswith(".tmp")]
    except FileNotFoundError:
        return {}
    try:
        tokens = read_tokens(os.path.join(checkpoint_dir, "index"))
    except FileNotFoundError:
        tokens = {}
    return {hashsum: (os.path.join(entries, hashsum), tokens.get(hashsum)) for hashsum in names}


def read_tokens(index_dir: str) -> dict[str, str]:
    """The token of each entry ``index_dir`` names, by hashsum. A file another user could
    have written is skipped: its tokens would decide which entries the calls depending
    on these results get."""
    tokens: dict[str, str] = {}
    for name in os.listdir(index_dir):
        if not name.endswith(TOKENS_SUFFIX):
            hashsum, _, token = name.partition(".")  # one empty file per entry
            if token:
                tokens[hashsum] = token
            continue
        path = os.path.join(index_dir, name)
        try:
            with open_entry(path) as file:
                lines = file.read().decode(errors="replace").split("\n")
        except UntrustedCheckpoint as error:
            logger.warning("%s", error)
            continue
        for line in lines[:-1]:  # (the last is empty, or torn)
            hashsum, _, token = line.partition(" ")
            if token:
                tokens[hashsum] = token
    return tokens


def read_entry_file(path: str) -> memoryview:
    """The verified pickle of an entry file; ``BadCheckpoint`` if it is damaged,
    ``UntrustedCheckpoint`` if another user could have written it."""
    with open_entry(path) as file:
        data = file.read()
    header = len(MAGIC) + _DIGEST_SIZE
    if not data.startswith(MAGIC) or len(data) < header:
        raise BadCheckpoint(f"checkpoint entry {path} is truncated or not a checkpoint entry")
    payload = memoryview(data)[header:]
    if hashlib.sha256(payload).digest() != data[len(MAGIC):header]:
        raise BadCheckpoint(f"checkpoint entry {path} is corrupt (checksum mismatch)")
    return payload


def pending_entry_files(checkpoint_dir: str) -> list[str]:
    """The names in ``pending/`` of entry files (and token markers) not committed yet."""
    try:
        names = os.listdir(os.path.join(checkpoint_dir, "pending"))
    except FileNotFoundError:
        return []
    return [name for name in names if not name.endswith((".tmp", ".seg"))]


def commit_entry_files(checkpoint_dir: str) -> int:
    """Move the pending entry files into place, token markers into ``index``; returns
    how many entries. A name another process moved first is skipped."""
    pending = os.path.join(checkpoint_dir, "pending")
    committed = 0
    for name in sorted(pending_entry_files(checkpoint_dir), key=lambda name: "." in name):
        is_marker = "." in name
        try:
            os.rename(os.path.join(pending, name),
                      os.path.join(checkpoint_dir, "index" if is_marker else "entries", name))
        except FileNotFoundError:
            continue
        committed += not is_marker
    return committed

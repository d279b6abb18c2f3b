"""The checkpoint store: one file per memoized result, on the shared filesystem.

A run's checkpoint directory (``run_dir/NNN/checkpoint``, mode 0700) holds

* ``entries/<hashsum>``: the pickled result, after a magic line and the
  SHA-256 of the pickle, so a torn or altered entry is detected, never trusted;
* ``index/<writer>.tokens``: one append-only file per process that writes
  entries, a line ``<hashsum> <token>`` per entry naming its result's Dask
  token, so a later run learns every token from a few files, and an entry costs
  one file, not two (HPC filesystems limit files per user and serve each
  creation and rename from one metadata server). An entry whose line is missing
  or torn loads with an unknown token. Directories of earlier versions hold an
  empty marker ``<hashsum>.<token>`` per entry there instead, still read;
* ``pending/``: entries written but not committed yet (every checkpoint mode but
  ``task_exit``); committing renames them into place, and a later run commits
  those a run left when its client died;
* ``python``: the Python that hashed the calls (implementation, version,
  bytecode magic number). Loading entries hashed under another bytecode warns
  with ``CheckpointPythonWarning``: app fingerprints include bytecode, so those
  entries are not found. Directories without it (older runs) load silently.

Workers write entries (temporary name, then rename), so results never travel
to the client to be saved. Files are 0600: loading a pickle runs code, so an entry
another user could have written is never loaded (``trust``).
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import pickle
import platform
import socket
import sys
import threading
import uuid
import warnings
from typing import Any, Iterator, NamedTuple

from ..dataflow.errors import BadCheckpoint
from ..dataflow.rundir import numbered_runs
from ..serialize import dumps
from .errors import CheckpointPythonWarning, UntrustedCheckpoint
from .trust import open_entry

logger = logging.getLogger(__name__)

MAGIC = b"DASK-PARSL-CHECKPOINT 1\n"
_DIGEST_SIZE = 32
UNKNOWN_TOKEN = "unknown"
TOKENS_SUFFIX = ".tokens"
PYTHON_TAG = f"{sys.implementation.name} {platform.python_version()} {importlib.util.MAGIC_NUMBER.hex()}"


class Entry(NamedTuple):
    """A committed result: where it is and the Dask token of its value."""

    path: str
    token: str | None


def make_private_dirs(checkpoint_dir: str) -> None:
    """Create a checkpoint directory and its parts, readable by the owner only."""
    for part in ("", "entries", "index", "pending"):
        path = os.path.join(checkpoint_dir, part)
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)


def write_python_tag(checkpoint_dir: str) -> None:
    """Record which Python hashed the calls whose entries ``checkpoint_dir`` holds."""
    fd = os.open(os.path.join(checkpoint_dir, "python"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(PYTHON_TAG + "\n")


def check_python_tag(checkpoint_dir: str) -> None:
    """Warn if ``checkpoint_dir``'s entries were hashed under another Python bytecode."""
    try:
        with open(os.path.join(checkpoint_dir, "python")) as file:
            tag = file.read().strip()
    except OSError:  # written before the tag existed
        return
    implementation, _, version = tag.partition(" ")
    version, _, magic = version.partition(" ")
    if magic != PYTHON_TAG.rsplit(" ", 1)[-1]:
        warnings.warn(
            f"Checkpoints in {checkpoint_dir} were written under {implementation} {version}; this is "
            f"{sys.implementation.name} {platform.python_version()}, whose bytecode differs. App "
            "fingerprints include bytecode, so cached calls will not find those entries and will "
            "run again. Run with the Python that wrote them to reuse them, or clear them with "
            "'dask-parsl checkpoints clear'.", CheckpointPythonWarning, stacklevel=3)


class CheckpointStore:
    """Where workers look up and write entries; sent to workers with cached tasks."""

    __slots__ = ("write_dir", "read_dirs", "commit_at_once")

    def __init__(self, write_dir: str | None, read_dirs: list[str], commit_at_once: bool) -> None:
        self.write_dir = write_dir
        self.read_dirs = read_dirs
        self.commit_at_once = commit_at_once

    def __reduce__(self) -> tuple:
        return CheckpointStore, (self.write_dir, self.read_dirs, self.commit_at_once)

    def candidates(self, hashsum: str) -> Iterator[str]:
        if self.write_dir is not None:
            yield os.path.join(self.write_dir, "entries", hashsum)
            yield os.path.join(self.write_dir, "pending", hashsum)
        for directory in self.read_dirs:
            yield os.path.join(directory, "entries", hashsum)

    def lookup(self, hashsum: str) -> tuple[bool, Any]:
        """``(found, value)`` of a readable entry; damaged entries are skipped."""
        for path in self.candidates(hashsum):
            try:
                value = read_entry(path)
            except FileNotFoundError:
                continue
            except BadCheckpoint as error:
                logger.warning("%s; computing the result again", error)
                continue
            return True, value
        return False, None

    def write(self, hashsum: str, token: str | None, value: Any) -> None:
        """Save ``value`` as the entry of ``hashsum`` (committed or pending, by mode)."""
        if self.write_dir is None:
            return
        _TOKEN_LOGS.append(os.path.join(self.write_dir, "index"), f"{hashsum} {token or UNKNOWN_TOKEN}\n")
        where = os.path.join(self.write_dir, "entries" if self.commit_at_once else "pending")
        write_entry(os.path.join(where, hashsum), value)


class _TokenLogs:
    """This process's ``.tokens`` file in each index directory it writes to, open for
    appending: each line goes in one write, under a lock (threads of a worker)."""

    _MAX_OPEN = 8  # a worker serving many runs closes the files of earlier ones

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, int] = {}
        self._pid = os.getpid()

    def append(self, index_dir: str, line: str) -> None:
        with self._lock:
            if self._pid != os.getpid():  # a forked child writes a file of its own
                self._files, self._pid = {}, os.getpid()
            fd = self._files.get(index_dir)
            if fd is None:
                if len(self._files) >= self._MAX_OPEN:
                    for open_fd in self._files.values():
                        os.close(open_fd)
                    self._files.clear()
                name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}{TOKENS_SUFFIX}"
                fd = self._files[index_dir] = os.open(
                    os.path.join(index_dir, name), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.write(fd, line.encode())


_TOKEN_LOGS = _TokenLogs()


def write_entry(path: str, value: Any) -> None:
    """Write ``value`` to ``path`` atomically: no reader ever sees half an entry."""
    payload = dumps(value)
    temporary = f"{path}.{uuid.uuid4().hex}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(MAGIC)
            file.write(hashlib.sha256(payload).digest())
            file.write(payload)
        os.rename(temporary, path)
    except BaseException:
        _remove(temporary)
        raise


def read_payload(path: str) -> bytes:
    """The verified pickle of an entry; ``BadCheckpoint`` if it is damaged,
    ``UntrustedCheckpoint`` if another user could have written it (``trust``)."""
    try:
        with open_entry(path) as file:
            data = file.read()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise BadCheckpoint(f"checkpoint entry {path} is unreadable: {error}") from None
    header = len(MAGIC) + _DIGEST_SIZE
    if not data.startswith(MAGIC) or len(data) < header:
        raise BadCheckpoint(f"checkpoint entry {path} is truncated or not a checkpoint entry")
    payload = memoryview(data)[header:]
    if hashlib.sha256(payload).digest() != data[len(MAGIC):header]:
        raise BadCheckpoint(f"checkpoint entry {path} is corrupt (checksum mismatch)")
    return payload


def read_entry(path: str) -> Any:
    """The value saved in an entry; ``BadCheckpoint`` if it is damaged or will not load."""
    payload = read_payload(path)
    try:
        return pickle.loads(payload)
    except Exception as error:
        raise BadCheckpoint(f"checkpoint entry {path} cannot be loaded: {error!r}") from None


def load_index(checkpoint_dirs: list[str]) -> dict[str, Entry]:
    """Every committed entry in ``checkpoint_dirs``, by hashsum (later dirs win)."""
    index: dict[str, Entry] = {}
    for directory in checkpoint_dirs:
        try:
            tokens = read_tokens(os.path.join(directory, "index"))
        except FileNotFoundError:
            logger.warning("checkpoint directory %s has no index; ignoring it", directory)
            continue
        entries = os.path.join(directory, "entries")
        try:
            names = [name for name in os.listdir(entries) if not name.endswith(".tmp")]
        except FileNotFoundError:
            names = []
        if names:
            check_python_tag(directory)
        for hashsum in names:
            token = tokens.get(hashsum)
            index[hashsum] = Entry(os.path.join(entries, hashsum), None if token == UNKNOWN_TOKEN else token)
    return index


def read_tokens(index_dir: str) -> dict[str, str]:
    """The token of each entry ``index_dir`` names, by hashsum (``UNKNOWN_TOKEN`` if its
    writer did not know it). A file another user could have written is skipped: its
    tokens would decide which entries the calls depending on these results get."""
    tokens: dict[str, str] = {}
    for name in os.listdir(index_dir):
        if not name.endswith(TOKENS_SUFFIX):
            hashsum, _, token = name.partition(".")  # a marker of an earlier version
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


def commit_pending(checkpoint_dir: str) -> int:
    """Move pending entries into place; returns how many.

    Another process may commit the same directory at once (a run finding the pending
    entries of an earlier run that died): a name it moved first is skipped.
    """
    pending = os.path.join(checkpoint_dir, "pending")
    try:
        names = [name for name in os.listdir(pending) if not name.endswith(".tmp")]
    except FileNotFoundError:
        return 0
    committed = 0
    for name in sorted(names, key=lambda name: "." in name):  # entries before markers of earlier versions
        is_marker = "." in name
        try:
            os.rename(os.path.join(pending, name),
                      os.path.join(checkpoint_dir, "index" if is_marker else "entries", name))
        except FileNotFoundError:
            continue
        committed += not is_marker
    return committed


def commit_left_pending(checkpoint_dirs: list[str]) -> None:
    """Commit the entries earlier runs wrote but never committed (their client died
    before a periodic, manual or ``dfk_exit`` checkpoint): each is a finished result,
    checksummed like any other."""
    for directory in checkpoint_dirs:
        try:
            count = commit_pending(directory)
        except OSError as error:
            logger.warning("Could not commit the pending checkpoint entries of %s (%s); their "
                           "tasks will run again", directory, error)
            continue
        if count:
            logger.info("Committed %d checkpoint entries an earlier run left pending in %s",
                        count, directory)


def get_all_checkpoints(rundir: str = "runinfo") -> list[str]:
    """The checkpoint directories of every run under ``rundir``, oldest first."""
    candidates = (os.path.abspath(os.path.join(rundir, run, "checkpoint")) for run in numbered_runs(rundir))
    return [path for path in candidates if os.path.isdir(os.path.join(path, "index"))]


def get_last_checkpoint(rundir: str = "runinfo") -> list[str]:
    """The checkpoint directory of the last run under ``rundir`` (a list of 0 or 1)."""
    return get_all_checkpoints(rundir)[-1:]


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass

"""The checkpoint store: memoized results on the shared filesystem, in a few files.

A run's checkpoint directory (``run_dir/NNN/checkpoint``, mode 0700) holds

* ``segments/<writer>.seg``: one append-only file per process that writes entries,
  a record per result (its call's hashsum, its value's Dask token, the pickle and
  a SHA-256 over them: ``segments``), so a torn or altered entry is detected, never
  trusted. An entry costs no file of its own: HPC filesystems limit files per
  user and serve each creation and rename from one metadata server;
* ``pending/``: the segments of entries written but not committed yet (every
  checkpoint mode but ``task_exit``); committing moves them into ``segments/``
  (a record a worker appends as its segment is moved is committed with it), and
  a later run commits those a run left when its client died;
* ``python``: the Python that hashed the calls (implementation, version,
  bytecode magic number). Loading entries hashed under another bytecode warns
  with ``CheckpointPythonWarning``: app fingerprints include bytecode, so those
  entries are not found. Directories without it (older runs) load silently.

Workers write entries, so results never travel to the client to be saved.
Files are 0600: loading a pickle runs code, so an entry another user could have
written is never loaded (``trust``). Directories of earlier versions, a file per
entry, are still read (``legacy_store``).
"""
from __future__ import annotations

import importlib.util
import logging
import os
import pickle
import platform
import sys
import threading
import warnings
from typing import Any, Iterator, NamedTuple

from ..dataflow.errors import BadCheckpoint
from ..dataflow.rundir import numbered_runs
from ..serialize import dumps
from .errors import CheckpointPythonWarning, UntrustedCheckpoint, UntrustedCheckpointWarning
from .legacy_store import commit_entry_files, entry_files, pending_entry_files, read_entry_file
from .segments import SEGMENT_WRITERS, count_records, read_record, scan_path, segment_names

logger = logging.getLogger(__name__)

UNKNOWN_TOKEN = "unknown"
PYTHON_TAG = f"{sys.implementation.name} {platform.python_version()} {importlib.util.MAGIC_NUMBER.hex()}"


class Entry(NamedTuple):
    """A committed result: its segment and the offset of its record there (-1: a whole
    file of an earlier version), and the Dask token of its value."""

    path: str
    token: str | None
    offset: int = -1


def make_private_dirs(checkpoint_dir: str) -> None:
    """Create a checkpoint directory and its parts, readable by the owner only."""
    for part in ("", "segments", "pending"):
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


def is_checkpoint_dir(path: str) -> bool:
    """Whether ``path`` is a checkpoint directory (of this version or an earlier one)."""
    return os.path.isdir(os.path.join(path, "segments")) or os.path.isdir(os.path.join(path, "index"))


class CheckpointStore:
    """Where workers look up and write entries; sent to workers with cached tasks."""

    __slots__ = ("write_dir", "read_dirs", "commit_at_once")

    def __init__(self, write_dir: str | None, read_dirs: list[str], commit_at_once: bool) -> None:
        self.write_dir = write_dir
        self.read_dirs = read_dirs
        self.commit_at_once = commit_at_once

    def __reduce__(self) -> tuple:
        return CheckpointStore, (self.write_dir, self.read_dirs, self.commit_at_once)

    def _indexes(self) -> Iterator[DirectoryIndex]:
        if self.write_dir is not None:
            yield _INDEXES.get(self.write_dir, live=True)
        for directory in self.read_dirs:
            yield _INDEXES.get(directory, live=False)

    def lookup(self, hashsum: str) -> tuple[bool, Any]:
        """``(found, value)`` of a readable entry; damaged entries are skipped."""
        for index in self._indexes():
            entry = index.find(hashsum)
            if entry is None:
                continue
            try:
                return True, read_entry(entry)
            except FileNotFoundError:
                continue
            except BadCheckpoint as error:
                logger.warning("%s; computing the result again", error)
        return False, None

    def write(self, hashsum: str, token: str | None, value: Any) -> None:
        """Save ``value`` as the entry of ``hashsum`` (committed or pending, by mode)."""
        if self.write_dir is None:
            return
        part = "segments" if self.commit_at_once else "pending"
        SEGMENT_WRITERS.append(os.path.join(self.write_dir, part), hashsum, token or UNKNOWN_TOKEN,
                               dumps(value), committed_elsewhere=not self.commit_at_once)


class DirectoryIndex:
    """The entries of one checkpoint directory by hashsum, read a segment's new records
    at a time. A live index (the running workflow's own directory) reads the new
    records, pending ones included, whenever a hashsum is not found; another reads
    its directory once."""

    def __init__(self, checkpoint_dir: str, live: bool = False) -> None:
        self.checkpoint_dir = checkpoint_dir
        self.entries: dict[str, Entry] = {}
        self.problems: dict[str, str] = {}  # segment path -> why its end is unreadable
        self.untrusted: dict[str, str] = {}  # segment path -> why it is not read
        self._live = live
        self._parts = ("segments", "pending") if live else ("segments",)
        self._read_up_to: dict[str, int] = {}  # segment name -> offset
        self._read = False
        self._lock = threading.Lock()

    def find(self, hashsum: str) -> Entry | None:
        entry = self.entries.get(hashsum)
        if entry is None and (self._live or not self._read):
            self.refresh()
            entry = self.entries.get(hashsum)
        return entry

    def refresh(self) -> None:
        """Read the records written since the last refresh."""
        with self._lock:
            if not self._read:
                for hashsum, (path, token) in entry_files(self.checkpoint_dir).items():
                    self.entries[hashsum] = Entry(path, token)
                self._read = True
            for part in self._parts:
                directory = os.path.join(self.checkpoint_dir, part)
                for name in segment_names(directory):
                    self._read_segment(os.path.join(directory, name), name)

    def _read_segment(self, path: str, name: str) -> None:
        start = self._read_up_to.get(name, 0)
        try:
            if start and os.stat(path).st_size == start:  # nothing new (a stat, not an open)
                return
            records, end, problem = scan_path(path, start)
        except FileNotFoundError:  # committed meanwhile: read under segments/ next time
            return
        except UntrustedCheckpoint as error:
            self.untrusted[path] = str(error)
            return
        except OSError as error:
            self.problems[path] = f"checkpoint segment {path} is unreadable: {error}"
            return
        self._read_up_to[name] = end
        for record in records:
            token = None if record.token == UNKNOWN_TOKEN else record.token
            self.entries[record.hashsum] = Entry(path, token, record.offset)
        if problem is not None:
            self.problems[path] = f"checkpoint segment {path} {problem} at byte {end}"
        else:
            self.problems.pop(path, None)


class _IndexCache:
    """A process's directory indexes, shared by the tasks it runs."""

    _MAX = 16

    def __init__(self) -> None:
        self._indexes: dict[tuple[str, bool], DirectoryIndex] = {}

    def get(self, checkpoint_dir: str, live: bool) -> DirectoryIndex:
        index = self._indexes.get((checkpoint_dir, live))
        if index is None:
            if len(self._indexes) >= self._MAX:
                self._indexes.clear()
            index = self._indexes[checkpoint_dir, live] = DirectoryIndex(checkpoint_dir, live)
        return index


_INDEXES = _IndexCache()


def read_payload(entry: Entry) -> bytes | bytearray | memoryview:
    """The verified pickle of an entry; ``BadCheckpoint`` if it is damaged or unreadable,
    ``UntrustedCheckpoint`` if another user could have written it (``trust``)."""
    try:
        if entry.offset < 0:
            return read_entry_file(entry.path)
        try:
            return read_record(entry.path, entry.offset)
        except FileNotFoundError:
            directory, name = os.path.split(entry.path)
            if os.path.basename(directory) != "pending":
                raise
            return read_record(os.path.join(os.path.dirname(directory), "segments", name), entry.offset)
    except (FileNotFoundError, UntrustedCheckpoint):
        raise
    except OSError as error:
        raise BadCheckpoint(f"checkpoint entry {entry.path} is unreadable: {error}") from None


def read_entry(entry: Entry) -> Any:
    """The value saved in an entry; ``BadCheckpoint`` if it is damaged or will not load."""
    payload = read_payload(entry)
    try:
        return pickle.loads(payload)
    except Exception as error:
        raise BadCheckpoint(f"checkpoint entry {entry.path} cannot be loaded: {error!r}") from None


def load_index(checkpoint_dirs: list[str]) -> dict[str, Entry]:
    """Every committed entry in ``checkpoint_dirs``, by hashsum (later dirs win). The
    end of a segment that cannot be read (cut short by a crash) is logged: its entries
    are computed again."""
    index: dict[str, Entry] = {}
    for directory in checkpoint_dirs:
        if not is_checkpoint_dir(directory):
            logger.warning("%s is not a checkpoint directory; ignoring it", directory)
            continue
        found = DirectoryIndex(directory)
        found.refresh()
        for problem in found.problems.values():
            logger.warning("%s; the entries from there on are computed again", problem)
        for problem in found.untrusted.values():
            warnings.warn(f"{problem}; its entries are computed again", UntrustedCheckpointWarning,
                          stacklevel=3)
        if found.entries:
            check_python_tag(directory)
        index.update(found.entries)
    return index


def pending_count(checkpoint_dir: str) -> int:
    """How many entries of ``checkpoint_dir`` are written but not committed."""
    pending = os.path.join(checkpoint_dir, "pending")
    files = [name for name in pending_entry_files(checkpoint_dir) if "." not in name]
    return sum(count_records(os.path.join(pending, name)) for name in segment_names(pending)) + len(files)


def commit_pending(checkpoint_dir: str) -> int:
    """Move pending entries into place; returns how many.

    Another process may commit the same directory at once (a run finding the pending
    entries of an earlier run that died): a segment it moved first is skipped.
    """
    pending = os.path.join(checkpoint_dir, "pending")
    committed = 0
    for name in segment_names(pending):
        target = os.path.join(checkpoint_dir, "segments", name)
        try:
            os.rename(os.path.join(pending, name), target)
        except FileNotFoundError:
            continue
        committed += count_records(target)
    return committed + commit_entry_files(checkpoint_dir)


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
    return [path for path in candidates if is_checkpoint_dir(path)]


def get_last_checkpoint(rundir: str = "runinfo") -> list[str]:
    """The checkpoint directory of the last run under ``rundir`` (a list of 0 or 1)."""
    return get_all_checkpoints(rundir)[-1:]

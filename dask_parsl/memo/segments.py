"""Segment files: the checkpoint entries one process writes, appended to one file of its own.

A record is a header line, then the pickled result::

    DPR1 <hashsum> <token> <size> <sha256>\\n<size bytes of pickle>

The SHA-256 covers ``<hashsum> <token> <size> `` and the pickle, so a record whose
header or pickle was altered is detected, never trusted. A segment is only ever
appended to, by the one process that created it; a record cut short (the writer died
mid-write, the disk filled) ends what a reader takes from the segment, and a writer
whose write failed cuts its segment back to its last whole record.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
from typing import NamedTuple

from ..dataflow.errors import BadCheckpoint
from .errors import UntrustedCheckpoint
from .trust import open_trusted

logger = logging.getLogger(__name__)

SEGMENT_SUFFIX = ".seg"
RECORD_MAGIC = b"DPR1 "
_MAX_HEADER = 512
_FIRST_READ = 1 << 12


class Record(NamedTuple):
    """A record of a segment: its call's hashsum, its value's Dask token, and the offset
    of its header line."""

    hashsum: str
    token: str
    offset: int


def _digest(head: bytes, payload: bytes | memoryview) -> str:
    digest = hashlib.sha256(head)
    digest.update(payload)
    return digest.hexdigest()


def encode_header(hashsum: str, token: str, payload: bytes) -> bytes:
    """The header line of a record holding ``payload``."""
    head = f"{hashsum} {token} {len(payload)} ".encode()
    return RECORD_MAGIC + head + _digest(head, payload).encode() + b"\n"


def _parse_header(line: bytes) -> tuple[str, str, int, str] | None:
    if not line.startswith(RECORD_MAGIC) or not line.endswith(b"\n"):
        return None
    fields = line[len(RECORD_MAGIC):-1].decode(errors="replace").split(" ")
    if len(fields) != 4 or not fields[2].isdigit():
        return None
    hashsum, token, size, digest = fields
    return hashsum, token, int(size), digest


def scan(fd: int, offset: int) -> tuple[list[Record], int, str | None]:
    """The whole records from ``offset`` on: ``(records, offset after the last,
    why the rest is unreadable, or None if the segment ends there)``. Reads headers
    only: each pickle is skipped by its size."""
    records: list[Record] = []
    size = os.fstat(fd).st_size
    while offset < size:
        line = os.pread(fd, _MAX_HEADER, offset).partition(b"\n")
        header = _parse_header(line[0] + line[1])
        if header is None:
            return records, offset, "is cut short" if not line[1] else "holds no record"
        hashsum, token, length, _ = header
        end = offset + len(line[0]) + 1 + length
        if end > size:
            return records, offset, "is cut short"
        records.append(Record(hashsum, token, offset))
        offset = end
    return records, offset, None


def read_record(path: str, offset: int) -> bytes | bytearray:
    """The verified pickle of the record at ``offset`` of segment ``path``;
    ``BadCheckpoint`` if it is damaged, ``UntrustedCheckpoint`` if another user could
    have written the segment."""
    fd = open_trusted(path)
    try:
        data = os.pread(fd, _FIRST_READ, offset)
        line_end = data.find(b"\n", 0, _MAX_HEADER) + 1
        header = _parse_header(data[:line_end]) if line_end else None
        if header is None:
            raise BadCheckpoint(f"checkpoint record {path}@{offset} is truncated or not a record")
        hashsum, token, length, digest = header
        payload: bytes | bytearray = data[line_end:line_end + length]
        if len(payload) < length:  # a large result: read the rest into place
            payload = _read_rest(fd, path, offset, payload, length, offset + line_end)
    finally:
        os.close(fd)
    if _digest(f"{hashsum} {token} {length} ".encode(), payload) != digest:
        raise BadCheckpoint(f"checkpoint record {path}@{offset} is corrupt (checksum mismatch)")
    return payload


def _read_rest(fd: int, path: str, offset: int, start: bytes, length: int, payload_offset: int) -> bytearray:
    payload = bytearray(length)
    view = memoryview(payload)
    view[:len(start)] = start
    filled = len(start)
    while filled < length:
        count = os.preadv(fd, [view[filled:]], payload_offset + filled)
        if not count:
            raise BadCheckpoint(f"checkpoint record {path}@{offset} is truncated")
        filled += count
    return payload


def scan_path(path: str, offset: int = 0) -> tuple[list[Record], int, str | None]:
    """``scan`` of the segment at ``path``; ``UntrustedCheckpoint`` if another user could
    have written it."""
    fd = open_trusted(path)
    try:
        return scan(fd, offset)
    finally:
        os.close(fd)


def segment_names(directory: str) -> list[str]:
    """The names of the segments in ``directory`` (none if it does not exist)."""
    try:
        return [name for name in os.listdir(directory) if name.endswith(SEGMENT_SUFFIX)]
    except FileNotFoundError:
        return []


def count_records(path: str) -> int:
    """How many whole records a segment holds (0 if it cannot be read)."""
    try:
        return len(scan_path(path)[0])
    except (OSError, UntrustedCheckpoint):
        return 0


class _Segment:
    __slots__ = ("path", "fd", "size")

    def __init__(self, directory: str) -> None:
        name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SEGMENT_SUFFIX}"
        self.path = os.path.join(directory, name)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        self.size = 0


class SegmentWriters:
    """This process's open segment in each directory it writes to. Records go in one
    ``writev`` each, under a lock (the threads of a worker)."""

    _MAX_OPEN = 8  # a worker serving many runs closes the segments of earlier ones

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._segments: dict[str, _Segment] = {}
        self._pid = os.getpid()

    def append(self, directory: str, hashsum: str, token: str, payload: bytes, *,
               committed_elsewhere: bool = False) -> None:
        """Append a record to this process's segment in ``directory``. With
        ``committed_elsewhere``, a segment that was moved away (committed) since the
        last record is replaced by a new one."""
        header = encode_header(hashsum, token, payload)
        with self._lock:
            segment = self._segment(directory, committed_elsewhere)
            try:
                _write_all(segment.fd, header, payload)
            except BaseException:
                self._cut_back(directory, segment)
                raise
            segment.size += len(header) + len(payload)

    def _segment(self, directory: str, committed_elsewhere: bool) -> _Segment:
        if self._pid != os.getpid():  # a forked child writes segments of its own
            self._segments, self._pid = {}, os.getpid()
        segment = self._segments.get(directory)
        if segment is not None and committed_elsewhere and not os.path.exists(segment.path):
            os.close(segment.fd)
            segment = None
        if segment is None:
            if len(self._segments) >= self._MAX_OPEN:
                for open_segment in self._segments.values():
                    os.close(open_segment.fd)
                self._segments.clear()
            segment = self._segments[directory] = _Segment(directory)
        return segment

    def _cut_back(self, directory: str, segment: _Segment) -> None:
        """Remove a partly written record, so the records after it can be read; if
        that fails, leave the segment and write the next record to a new one."""
        try:
            os.ftruncate(segment.fd, segment.size)
        except OSError:
            logger.warning("Could not remove a partly written record from %s; later records "
                           "go to a new segment", segment.path)
            os.close(segment.fd)
            del self._segments[directory]


def _write_all(fd: int, header: bytes, payload: bytes) -> None:
    written = os.writev(fd, [header, payload])
    total = len(header) + len(payload)
    while written < total:  # a short write (a signal, a full disk): write the rest
        rest = (header + payload)[written:]
        written += os.write(fd, rest)


SEGMENT_WRITERS = SegmentWriters()

"""Inspecting and clearing checkpoint stores (``dask-parsl checkpoints ...``)."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

from ..dataflow.errors import BadCheckpoint
from .errors import UntrustedCheckpoint
from .store import DirectoryIndex, get_all_checkpoints, is_checkpoint_dir, pending_count, read_payload
from .trust import check_checkpoint_dir


@dataclass
class StoreReport:
    """What one checkpoint directory holds."""

    path: str
    entries: int = 0
    bytes: int = 0
    pending: int = 0
    corrupt: list[str] = field(default_factory=list)
    #: what another user could have written: runs do not load it
    untrusted: list[str] = field(default_factory=list)


def find_checkpoint_dirs(path: str) -> list[str]:
    """The checkpoint directories under ``path``: a run root, one run, or a checkpoint dir."""
    if is_checkpoint_dir(path):
        return [os.path.abspath(path)]
    if is_checkpoint_dir(os.path.join(path, "checkpoint")):
        return [os.path.abspath(os.path.join(path, "checkpoint"))]
    return get_all_checkpoints(path)


def inspect_store(checkpoint_dir: str, verify: bool = False) -> StoreReport:
    """Count a store's committed entries and their bytes; with ``verify``, check every
    checksum and that no other user could have written the entries or their directories.

    Verifying reads each entry but never unpickles it."""
    report = StoreReport(checkpoint_dir)
    if verify:
        try:
            check_checkpoint_dir(checkpoint_dir)
        except UntrustedCheckpoint as error:
            report.untrusted.append(str(error))
    index = DirectoryIndex(checkpoint_dir)
    index.refresh()
    report.entries = len(index.entries)
    report.bytes = sum(_size(path) for path in {entry.path for entry in index.entries.values()})
    report.corrupt.extend(index.problems.values())
    report.untrusted.extend(index.untrusted.values())
    if verify:
        for entry in index.entries.values():
            try:
                read_payload(entry)
            except UntrustedCheckpoint as error:
                report.untrusted.append(str(error))
            except (OSError, BadCheckpoint) as error:
                report.corrupt.append(str(error))
    report.pending = pending_count(checkpoint_dir)
    return report


def _size(path: str) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0


def clear_store(checkpoint_dir: str) -> None:
    """Delete a checkpoint directory (later runs will compute everything again)."""
    if not is_checkpoint_dir(checkpoint_dir):
        raise ValueError(f"{checkpoint_dir} is not a dask_parsl checkpoint directory")
    shutil.rmtree(checkpoint_dir)

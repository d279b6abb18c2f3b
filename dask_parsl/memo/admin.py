"""Inspecting and clearing checkpoint stores (``dask-parsl checkpoints ...``)."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

from ..dataflow.errors import BadCheckpoint
from .errors import UntrustedCheckpoint
from .store import get_all_checkpoints, read_payload
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
    if os.path.isdir(os.path.join(path, "index")):
        return [os.path.abspath(path)]
    if os.path.isdir(os.path.join(path, "checkpoint", "index")):
        return [os.path.abspath(os.path.join(path, "checkpoint"))]
    return get_all_checkpoints(path)


def inspect_store(checkpoint_dir: str, verify: bool = False) -> StoreReport:
    """Count a store's entries and bytes; with ``verify``, check every checksum and
    that no other user could have written the entries or their directories.

    Verifying reads each entry but never unpickles it."""
    report = StoreReport(checkpoint_dir)
    if verify:
        try:
            check_checkpoint_dir(checkpoint_dir)
        except UntrustedCheckpoint as error:
            report.untrusted.append(str(error))
    entries = os.path.join(checkpoint_dir, "entries")
    with os.scandir(entries) as found:
        for entry in found:
            if entry.name.endswith(".tmp"):
                continue
            report.entries += 1
            try:
                report.bytes += entry.stat().st_size
                if verify:
                    read_payload(entry.path)
            except UntrustedCheckpoint as error:
                report.untrusted.append(str(error))
            except (OSError, BadCheckpoint) as error:
                report.corrupt.append(f"{entry.path}: {error}")
    pending = os.path.join(checkpoint_dir, "pending")
    if os.path.isdir(pending):
        report.pending = sum(1 for name in os.listdir(pending) if "." not in name)
    return report


def clear_store(checkpoint_dir: str) -> None:
    """Delete a checkpoint directory (later runs will compute everything again)."""
    if not os.path.isdir(os.path.join(checkpoint_dir, "index")):
        raise ValueError(f"{checkpoint_dir} is not a dask_parsl checkpoint directory")
    shutil.rmtree(checkpoint_dir)

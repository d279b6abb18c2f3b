"""Which checkpoint entries may be loaded: a checkpoint entry is a pickle, and loading one
runs code, so it is loaded only if nobody but the running user could have written it.

A file of entries must be owned by the running user and writable by nobody else, checked
on the opened file descriptor (``fstat``), never through a symbolic link. So must the
directories it is reached through: ``segments`` and ``pending`` (``entries`` and
``index`` in earlier versions), the checkpoint directory, and the run directory holding
it (checked once, when a run loads the directory). Anything else is
``UntrustedCheckpoint``: its results are computed again.
"""
from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

from .errors import UntrustedCheckpoint

_WRITABLE_BY_OTHERS = stat.S_IWGRP | stat.S_IWOTH


def why_untrusted(status: os.stat_result) -> str | None:
    """Why a file or directory with this ``status`` could hold another user's writing; None if it cannot."""
    if status.st_uid != os.geteuid():
        return f"owned by uid {status.st_uid}, not by you (uid {os.geteuid()})"
    if status.st_mode & _WRITABLE_BY_OTHERS:
        return f"writable by other users (mode {stat.filemode(status.st_mode)})"
    return None


def open_trusted(path: str) -> int:
    """A file descriptor to read an entry file; ``UntrustedCheckpoint`` if another user
    could have written it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UntrustedCheckpoint(f"checkpoint entry {path} is a symbolic link: not loaded") from None
        raise
    reason = why_untrusted(os.fstat(fd))
    if reason is not None:
        os.close(fd)
        raise UntrustedCheckpoint(f"checkpoint entry {path} is {reason}: not loaded, as loading it "
                                  "would run whatever it holds")
    return fd


def open_entry(path: str) -> BinaryIO:
    """Open an entry file for reading; ``UntrustedCheckpoint`` if another user could have written it."""
    return os.fdopen(open_trusted(path), "rb")


def check_checkpoint_dir(checkpoint_dir: str) -> None:
    """``UntrustedCheckpoint`` naming the first directory an entry of ``checkpoint_dir`` is
    reached through that another user could write (or that is not the running user's)."""
    parts = ("segments", "pending", "entries", "index")
    for path in [*(os.path.join(checkpoint_dir, part) for part in parts), checkpoint_dir,
                 os.path.dirname(checkpoint_dir)]:
        try:
            status = os.stat(path)
        except FileNotFoundError:
            continue
        reason = why_untrusted(status)
        if reason is not None:
            raise UntrustedCheckpoint(f"{path} is {reason}: the checkpoints in {checkpoint_dir} are not "
                                      "loaded, as loading one would run whatever it holds")

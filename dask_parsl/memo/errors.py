"""What memoization reports: an argument it cannot hash, entries it will not load, and
warnings about stale entries."""
from __future__ import annotations

from ..dataflow.errors import BadCheckpoint
from ..errors import ParslError


class UnhashableArgument(ParslError, ValueError):
    """A cached call has an argument (or a dependency's value) that cannot be hashed.

    A ``ValueError``, as Parsl raises for an argument type ``id_for_memo`` does not know."""


class UnhashableGlobalWarning(UserWarning):
    """A cached app reads a global whose value cannot be hashed (a lock, a client, ...):
    its cached results depend only on that global's type."""


class UntrustedCheckpoint(BadCheckpoint):
    """A checkpoint entry, or a directory it is reached through, that another user could
    have written (or that is not the running user's): it is not loaded, as loading a
    pickle runs code, and its task runs again."""


class UntrustedCheckpointWarning(UserWarning):
    """A checkpoint directory or segment a run would read is ``UntrustedCheckpoint``: it is skipped."""


class CheckpointPythonWarning(UserWarning):
    """Checkpoints being loaded were written under another Python version, whose
    bytecode differs: the entries of apps hashed by their code will not be found."""

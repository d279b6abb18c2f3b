"""Memoization and checkpoints: Parsl's app cache, keyed by Dask tokens and ``id_for_memo``,
and the content-addressed checkpoint store (Parsl's ``parsl.dataflow.memoization``).
"""
from .errors import (
    CheckpointPythonWarning,
    UnhashableArgument,
    UnhashableGlobalWarning,
    UntrustedCheckpoint,
    UntrustedCheckpointWarning,
)
from .hashers import id_for_memo
from .memoizer import BasicMemoizer
from .store import get_all_checkpoints, get_last_checkpoint

__all__ = [
    "BasicMemoizer",
    "CheckpointPythonWarning",
    "UnhashableArgument",
    "UnhashableGlobalWarning",
    "UntrustedCheckpoint",
    "UntrustedCheckpointWarning",
    "get_all_checkpoints",
    "get_last_checkpoint",
    "id_for_memo",
]

"""Memoization and checkpoints: Parsl's app cache, keyed by Dask tokens, and the
content-addressed checkpoint store (Parsl's ``parsl.dataflow.memoization``).
"""
from .memoizer import BasicMemoizer
from .store import get_all_checkpoints, get_last_checkpoint

__all__ = ["BasicMemoizer", "get_all_checkpoints", "get_last_checkpoint"]

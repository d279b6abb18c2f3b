"""The currently loaded DataFlowKernel: ``load``, ``dfk``, ``clear``."""
from __future__ import annotations

import threading

from .config import Config
from .dataflow import DataFlowKernel
from .errors import ConfigurationError, NoDataFlowKernelError


class DataFlowKernelLoader:
    """Holds the one DataFlowKernel that apps submit to by default."""

    _dfk: DataFlowKernel | None = None
    _lock = threading.Lock()

    @classmethod
    def load(cls, config: Config | None = None) -> DataFlowKernel:
        with cls._lock:
            if cls._dfk is not None:
                raise ConfigurationError(
                    "A config is already loaded: call cleanup() on it (or dask_parsl.clear()) first"
                )
            cls._dfk = DataFlowKernel(config)
            return cls._dfk

    @classmethod
    def dfk(cls) -> DataFlowKernel:
        if cls._dfk is None:
            raise NoDataFlowKernelError("Must first load config")
        return cls._dfk

    @classmethod
    def clear(cls) -> None:
        cls._dfk = None

    @classmethod
    def wait_for_current_tasks(cls) -> None:
        cls.dfk().wait_for_current_tasks()


def load(config: Config | None = None) -> DataFlowKernel:
    """Start a DataFlowKernel from ``config`` (default: an embedded LocalCluster)."""
    return DataFlowKernelLoader.load(config)


def dfk() -> DataFlowKernel:
    """The loaded DataFlowKernel; ``NoDataFlowKernelError`` if none is."""
    return DataFlowKernelLoader.dfk()


def clear() -> None:
    """Forget the loaded DataFlowKernel, so another can be loaded."""
    DataFlowKernelLoader.clear()


def wait_for_current_tasks() -> None:
    """Wait for every task of the loaded DataFlowKernel to finish."""
    DataFlowKernelLoader.wait_for_current_tasks()

"""``load``, ``dfk``, ``clear``: starting the DataFlowKernel that apps submit to."""
from __future__ import annotations

from ..config import Config
from . import current
from .kernel import DataFlowKernel


class DataFlowKernelLoader:
    """Holds the one DataFlowKernel that apps submit to by default (Parsl's class)."""

    @classmethod
    def load(cls, config: Config | None = None) -> DataFlowKernel:
        current.ensure_none_loaded()
        kernel = DataFlowKernel(config)
        try:
            current.set_loaded(kernel)
        except BaseException:
            kernel.cleanup()
            raise
        return kernel

    @classmethod
    def dfk(cls) -> DataFlowKernel:
        return current.loaded_kernel()

    @classmethod
    def clear(cls) -> None:
        current.forget()

    @classmethod
    def wait_for_current_tasks(cls) -> None:
        current.loaded_kernel().wait_for_current_tasks()


def load(config: Config | None = None) -> DataFlowKernel:
    """Start a DataFlowKernel from ``config`` (default: an embedded LocalCluster)."""
    return DataFlowKernelLoader.load(config)


def dfk() -> DataFlowKernel:
    """The loaded DataFlowKernel; ``NoDataFlowKernelError`` if none is."""
    return current.loaded_kernel()


def clear() -> None:
    """Forget the loaded DataFlowKernel, so another can be loaded."""
    current.forget()


def wait_for_current_tasks() -> None:
    """Wait for every task of the loaded DataFlowKernel to finish."""
    DataFlowKernelLoader.wait_for_current_tasks()

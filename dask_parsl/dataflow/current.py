"""The loaded DataFlowKernel, which apps submit to unless given one."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..errors import ConfigurationError, NoDataFlowKernelError

if TYPE_CHECKING:
    from .kernel import DataFlowKernel

_lock = threading.Lock()
_loaded: list[DataFlowKernel] = []


def loaded_kernel() -> DataFlowKernel:
    """The loaded DataFlowKernel; ``NoDataFlowKernelError`` if none is."""
    if not _loaded:
        raise NoDataFlowKernelError("Must first load config")
    return _loaded[0]


def ensure_none_loaded() -> None:
    """``ConfigurationError`` if a kernel is loaded."""
    if _loaded:
        raise ConfigurationError(
            f"A config is already loaded (run directory {_loaded[0].run_dir}): end it with "
            "dask_parsl.dfk().cleanup(), or forget it with dask_parsl.clear(); in a notebook, "
            "`with dask_parsl.load(config):` cleans up at the end of the cell")


def set_loaded(kernel: DataFlowKernel) -> None:
    """Make ``kernel`` the loaded one; ``ConfigurationError`` if another is loaded."""
    with _lock:
        ensure_none_loaded()
        _loaded.append(kernel)


def forget(kernel: DataFlowKernel | None = None) -> None:
    """Forget the loaded kernel (only if it is ``kernel``, when given)."""
    with _lock:
        if _loaded and (kernel is None or _loaded[0] is kernel):
            _loaded.clear()

"""The root of dask_parsl's exceptions (Parsl's ``parsl.errors``); each subpackage adds its own."""
from __future__ import annotations


class ParslError(Exception):
    """Base class of every dask_parsl error."""


class ConfigurationError(ParslError, ValueError):
    """A configuration or decorator argument is invalid, or a kernel is already loaded.

    Also a ``ValueError``: a bad argument value is what it reports."""


class NoDataFlowKernelError(ParslError):
    """No DataFlowKernel is loaded (or it has been cleaned up)."""

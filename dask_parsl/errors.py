"""The root of dask_parsl's exceptions (Parsl's ``parsl.errors``); each subpackage adds its own.

Also the warning for Parsl options that dask_parsl accepts without a Dask meaning.
"""
from __future__ import annotations

import warnings


class ParslError(Exception):
    """Base class of every dask_parsl error."""


class ConfigurationError(ParslError, ValueError):
    """A configuration or decorator argument is invalid, or a kernel is already loaded.

    Also a ``ValueError``: a bad argument value is what it reports."""


class NoDataFlowKernelError(ParslError):
    """No DataFlowKernel is loaded (or it has been cleaned up)."""


class ParslNameNotProvided(ParslError, ImportError):
    """A Parsl module or name that ``dask-parsl run`` cannot answer: dask_parsl does not provide it.

    An ``ImportError``, so ``from parsl.executors import WorkQueueExecutor`` reports it by name."""

    def __init__(self, parsl_name: str, instead: str | None = None, module: bool = False) -> None:
        what = "module" if module else "name"
        advice = instead or "the Parsl modules and names it provides are listed in docs/migration.rst"
        super().__init__(f"dask_parsl does not provide Parsl's {what} {parsl_name}: {advice}",
                         name=parsl_name)


class ParslOptionIgnored(UserWarning):
    """A Parsl option was given that has no Dask meaning; dask_parsl accepts and ignores it."""


def warn_ignored(where: str, ignored: dict[str, str], stacklevel: int = 2) -> None:
    """One ``ParslOptionIgnored`` naming every option of ``ignored`` (name -> why it has
    no Dask meaning); nothing when it is empty. ``stacklevel`` 2 points at the caller's caller."""
    if not ignored:
        return
    reasons = "; ".join(f"{name}: {why}" for name, why in ignored.items())
    warnings.warn(f"{where} ignores {', '.join(ignored)} (no Dask meaning). {reasons}",
                  ParslOptionIgnored, stacklevel=stacklevel + 1)

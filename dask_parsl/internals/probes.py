"""Tested versions, the warning for others, and the probes that name a missing internal."""
from __future__ import annotations

import functools
import importlib
import warnings
from importlib.metadata import PackageNotFoundError, version
from typing import Any

#: distribution -> (lowest, highest) version dask_parsl is tested with
TESTED = {
    "dask": ("2026.8.0", "2026.8.0"),
    "distributed": ("2026.8.0", "2026.8.0"),
    "dask-jobqueue": ("0.9.0", "0.9.0"),
}


class DaskInternalsMissing(RuntimeError):
    """An internal of dask or distributed that dask_parsl needs is missing."""


def _version_key(text: str) -> tuple:
    parts = []
    for part in text.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def untested_versions() -> list[str]:
    """The installed dask, distributed and dask-jobqueue versions outside ``TESTED``."""
    found = []
    for name, (lowest, highest) in TESTED.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue
        if not _version_key(lowest) <= _version_key(installed) <= _version_key(highest):
            found.append(f"{name} {installed} (tested: {lowest} to {highest})")
    return found


def warn_about_untested_versions() -> None:
    """Warn once if dask, distributed or dask-jobqueue is outside the tested range."""
    untested = untested_versions()
    if untested:
        warnings.warn(
            f"dask_parsl was not tested with {', '.join(untested)}; it uses internals of these "
            "packages and checks them when it needs them. Please report problems.",
            RuntimeWarning, stacklevel=2)


def _require(owner: Any, name: str, where: str, package: str = "distributed") -> Any:
    found = getattr(owner, name, None)
    if found is None:
        lowest, highest = TESTED[package]
        raise DaskInternalsMissing(
            f"{where}.{name} is missing: this version of {package} changed an internal dask_parsl "
            f"needs (tested with {lowest} to {highest}). Install a tested version, or a dask_parsl "
            "release that supports yours.")
    return found


@functools.cache
def _dask_module(name: str) -> Any:
    """A private module of dask, or ``DaskInternalsMissing`` naming it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise DaskInternalsMissing(
            f"{name} is missing: this version of dask changed an internal dask_parsl needs "
            f"(tested with {TESTED['dask'][0]} to {TESTED['dask'][1]})") from None


@functools.cache
def _task_spec(name: str) -> Any:
    return _require(_dask_module("dask._task_spec"), name, "dask._task_spec", "dask")

"""Errors and warnings of the monitoring database."""
from __future__ import annotations

from ..errors import ConfigurationError


class MonitoringUnavailable(ConfigurationError, ImportError):
    """Monitoring needs a package that is not installed (SQLAlchemy, or a database driver)."""


class MonitoringWarning(UserWarning):
    """The monitoring database works, but not as well as it could (e.g. no WAL on this filesystem)."""

"""``MonitoringHub``: Parsl's monitoring configuration, for ``Config(monitoring=...)``."""
from __future__ import annotations

import importlib.util
import os
import warnings
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from .errors import MonitoringUnavailable

if TYPE_CHECKING:
    from .recorder import MonitoringRecorder

_INSTALL = "pip install 'dask_parsl[monitoring]' (SQLAlchemy 2 and psycopg)"


class MonitoringHub:
    """Write Parsl's monitoring database for each run, live, from the kernel's task events.

    ``logging_endpoint`` is any SQLAlchemy URL (``postgresql+psycopg://...`` for
    PostgreSQL); by default ``sqlite:///<run_dir>/monitoring.db``, in the run root shared
    by every run, as in Parsl. ``workflow_name`` defaults to the script's file name,
    ``workflow_version`` to the start time. ``resource_monitoring_enabled`` and
    ``resource_monitoring_interval`` (seconds) are Parsl's. ``hub_address``,
    ``hub_port`` and ``hub_port_range`` are accepted, deprecated, and unused: events
    travel on Dask's own connections.
    """

    def __init__(
        self,
        hub_address: Any = None,
        hub_port: Any = None,
        hub_port_range: Any = None,
        workflow_name: str | None = None,
        workflow_version: str | None = None,
        logging_endpoint: str | None = None,
        monitoring_debug: bool = False,
        resource_monitoring_enabled: bool = True,
        resource_monitoring_interval: float = 30,
    ) -> None:
        for name, value in (("hub_address", hub_address), ("hub_port", hub_port),
                            ("hub_port_range", hub_port_range)):
            if value is not None:
                warnings.warn(f"MonitoringHub's {name} is deprecated and unused: dask_parsl sends "
                              "monitoring events on Dask's own connections", DeprecationWarning, stacklevel=2)
        if importlib.util.find_spec("sqlalchemy") is None:
            raise MonitoringUnavailable(f"MonitoringHub needs SQLAlchemy: {_INSTALL}")
        if not isinstance(resource_monitoring_interval, (int, float)) or resource_monitoring_interval < 0:
            raise ValueError("resource_monitoring_interval must be a number of seconds >= 0, "
                             f"not {resource_monitoring_interval!r}")
        self.hub_address = hub_address
        self.hub_port = hub_port
        self.hub_port_range = hub_port_range
        self.workflow_name = workflow_name
        self.workflow_version = workflow_version
        self.logging_endpoint = logging_endpoint
        self.monitoring_debug = monitoring_debug
        self.resource_monitoring_enabled = resource_monitoring_enabled
        self.resource_monitoring_interval = resource_monitoring_interval

    def url_for(self, run_root: str) -> str:
        """The database URL of runs under ``run_root``."""
        if self.logging_endpoint:
            return self.logging_endpoint
        return f"sqlite:///{os.path.join(os.path.abspath(run_root), 'monitoring.db')}"

    def start(self, dfk: Any) -> MonitoringRecorder:
        """Start recording ``dfk``'s run (called by the kernel)."""
        from .recorder import MonitoringRecorder

        return MonitoringRecorder(self, dfk)

    def __repr__(self) -> str:
        return (f"MonitoringHub(workflow_name={self.workflow_name!r}, "
                f"logging_endpoint={self.logging_endpoint!r})")


def monitoring_hub_from(obj: Any) -> MonitoringHub:
    """``obj`` as a ``MonitoringHub``: itself, or one with the settings of Parsl's own."""
    if isinstance(obj, MonitoringHub):
        return obj
    if not hasattr(obj, "resource_monitoring_interval"):
        raise ConfigurationError(f"Config(monitoring=...) takes a MonitoringHub, not {type(obj).__name__}")
    return MonitoringHub(
        workflow_name=getattr(obj, "workflow_name", None),
        workflow_version=getattr(obj, "workflow_version", None),
        logging_endpoint=getattr(obj, "logging_endpoint", None),
        monitoring_debug=getattr(obj, "monitoring_debug", False),
        resource_monitoring_enabled=getattr(obj, "resource_monitoring_enabled", True),
        resource_monitoring_interval=getattr(obj, "resource_monitoring_interval", 30),
    )

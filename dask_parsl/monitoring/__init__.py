"""Parsl's monitoring database (``Config(monitoring=MonitoringHub(...))``), written live
from the kernel's task events to SQLite or PostgreSQL; read it with pandas, Parsl's
viewer, or ``dask-parsl monitor``. Needs the ``monitoring`` extra (SQLAlchemy, psycopg).
"""
from .errors import MonitoringUnavailable, MonitoringWarning
from .hub import MonitoringHub

__all__ = ["MonitoringHub", "MonitoringUnavailable", "MonitoringWarning"]

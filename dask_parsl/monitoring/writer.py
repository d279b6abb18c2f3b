"""``DatabaseWriter``: rows to the monitoring database, in batched transactions, from a
thread of its own, so that no app call and no scheduler ever waits for the database.

Rows wait in memory between writes (every ``interval`` seconds): a task's and a try's
latest row replace the earlier ones, status rows are all kept. Task and try rows are
upserted, a NULL never overwriting a value already written; status rows are inserted
once. SQLite runs in WAL mode, so readers and this writer never block each other,
except on network filesystems, where WAL is unsafe: there it keeps a rollback journal
and says so (``MonitoringWarning``).
"""
from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from typing import Any

from sqlalchemy import create_engine, event, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from .errors import MonitoringUnavailable, MonitoringWarning
from .schema import metadata, status, task, try_, workflow

logger = logging.getLogger(__name__)

#: filesystems on which SQLite's WAL (shared memory between processes) is unsafe
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "lustre", "gpfs", "cifs", "smb3", "smbfs", "beegfs", "panfs",
                       "ceph", "fuse.sshfs", "glusterfs", "fuse.glusterfs", "afs", "wekafs"}
_KEYS = {table.name: [column.name for column in table.primary_key] for table in (task, try_, workflow)}


class DatabaseWriter:
    """Writes the rows it is given to the database at ``url``, every ``interval`` seconds."""

    def __init__(self, url: str, interval: float = 0.25) -> None:
        self.url = url
        self.interval = interval
        self.engine = connect(url)
        metadata.create_all(self.engine)
        self._lock = threading.Lock()
        self._rows: dict[str, dict[tuple, dict]] = {"workflow": {}, "task": {}, "try": {}}
        self._statuses: list[dict] = []
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="dask-parsl-monitoring", daemon=True)
        self._thread.start()

    # -- what the recorder hands over (cheap: no database work in the caller's thread) ------
    def upsert(self, table: str, row: dict) -> None:
        key = tuple(row[name] for name in _KEYS[table])
        with self._lock:
            self._rows[table][key] = row

    def add_status(self, row: dict) -> None:
        with self._lock:
            self._statuses.append(row)

    # -- the writer thread ---------------------------------------------------------------
    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self.write_pending()

    def write_pending(self) -> None:
        """Write what is waiting, in one transaction; on a locked database, try again."""
        with self._lock:
            rows, self._rows = self._rows, {"workflow": {}, "task": {}, "try": {}}
            statuses, self._statuses = self._statuses, []
        if not (statuses or any(rows.values())):
            return
        for _ in range(60):
            try:
                with self.engine.begin() as connection:
                    for table in (workflow, task, try_):
                        if rows[table.name]:
                            connection.execute(_upsert(self.engine, table), list(rows[table.name].values()))
                    if statuses:
                        connection.execute(_insert_new(self.engine, status), statuses)
                return
            except OperationalError as error:  # locked or unreachable: keep the rows, try again
                logger.warning("Monitoring database busy (%s); writing again in 1 s", error.orig)
                time.sleep(1)
            except Exception:
                logger.exception("Could not write %d task, %d try and %d status rows to %s",
                                 len(rows["task"]), len(rows["try"]), len(statuses), self.url)
                return
        logger.error("Gave up writing to the monitoring database %s after 60 attempts", self.url)

    def close(self) -> None:
        """Write everything still waiting and stop."""
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=60)
        self.write_pending()
        self.engine.dispose()


def connect(url: str) -> Engine:
    """An engine for ``url``; for SQLite, in WAL mode unless its filesystem cannot share it."""
    try:
        engine = create_engine(url)
    except ImportError as error:
        raise MonitoringUnavailable(f"The monitoring database {url} needs {error.name}: "
                                    "pip install 'dask_parsl[monitoring]'") from error
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        journal = "wal"
        filesystem = filesystem_of(path) if path else None
        if filesystem in NETWORK_FILESYSTEMS:
            journal = "delete"
            warnings.warn(f"The monitoring database {path} is on {filesystem}, where SQLite's WAL mode "
                          "is unsafe: it keeps a rollback journal instead, so a reader may wait while it "
                          "writes. Put it on a local disk (MonitoringHub(logging_endpoint="
                          "'sqlite:////tmp/...')) or use PostgreSQL.", MonitoringWarning, stacklevel=4)

        @event.listens_for(engine, "connect")
        def _configure(connection: Any, _: Any) -> None:
            cursor = connection.cursor()
            cursor.execute(f"PRAGMA journal_mode={journal}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine


def filesystem_of(path: str) -> str | None:
    """The type of the filesystem holding ``path`` (from /proc/mounts; None elsewhere)."""
    try:
        with open("/proc/mounts") as mounts:
            entries = [line.split() for line in mounts]
    except OSError:
        return None
    directory = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    best, kind = "", None
    for entry in entries:
        mount_point = entry[1].replace("\\040", " ")
        inside = directory == mount_point or directory.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, kind = mount_point, entry[2]
    return kind


def _upsert(engine: Engine, table: Any) -> Any:
    """Insert rows; a row already there takes the new values, except NULLs."""
    statement = _dialect_insert(engine, table)
    keys = set(_KEYS[table.name])
    new = statement.excluded
    changes = {column.name: (func.coalesce(new[column.name], column) if column.nullable else new[column.name])
               for column in table.columns if column.name not in keys}
    return statement.on_conflict_do_update(index_elements=list(keys), set_=changes)


def _insert_new(engine: Engine, table: Any) -> Any:
    return _dialect_insert(engine, table).on_conflict_do_nothing()


def _dialect_insert(engine: Engine, table: Any) -> Any:
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise MonitoringUnavailable(f"dask_parsl writes monitoring to SQLite or PostgreSQL, not "
                                    f"{engine.dialect.name}")
    return insert(table)


"""``DatabaseWriter``: rows to the monitoring database, in batched transactions, from a
thread of its own, so that no app call and no scheduler ever waits for the database.

Rows wait in memory between writes (every ``interval`` seconds): a task's and a try's
latest row replace the earlier ones, status rows are all kept, and resource samples
are kept up to ``max_resources`` (then the oldest are dropped). Task and try rows are
upserted, a NULL never overwriting a value already written; status rows are inserted
once. Statements are compiled once and run with the driver's ``executemany``.

SQLite runs in WAL mode, so readers and this writer never block each other, except on
network filesystems, where WAL is unsafe: there it keeps a rollback journal and says
so (``MonitoringWarning``).
"""
from __future__ import annotations

import collections
import datetime
import importlib.util
import logging
import math
import operator
import os
import threading
import time
import warnings
from typing import Any, Callable

from sqlalchemy import DateTime, create_engine, event, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from .errors import MonitoringUnavailable, MonitoringWarning
from .rows import RowBatch
from .schema import metadata, resource, status, task, try_, workflow

logger = logging.getLogger(__name__)

#: filesystems on which SQLite's WAL (shared memory between processes) is unsafe
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "lustre", "gpfs", "cifs", "smb3", "smbfs", "beegfs", "panfs",
                       "ceph", "fuse.sshfs", "glusterfs", "fuse.glusterfs", "afs", "wekafs"}


class DatabaseWriter:
    """Writes the rows it is given to the database at ``url``, every ``interval`` seconds."""

    def __init__(self, url: str, interval: float = 0.25, max_resources: int = 100_000) -> None:
        self.url = url
        self.interval = interval
        self.engine = connect(url)
        create_tables(self.engine)
        self._statements = {table.name: _Statement(self.engine, table, upsert=table.name in _UPSERTED)
                            for table in (workflow, task, try_, status, resource)}
        self._lock = threading.Lock()
        self._pending = RowBatch()
        #: resource samples: the first to go when the database falls behind
        self._resources: collections.deque = collections.deque(maxlen=max_resources)
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="dask-parsl-monitoring", daemon=True)
        self._thread.start()

    def add(self, batch: RowBatch) -> None:
        """Take ``batch`` (no database work in the caller's thread)."""
        self._resources.extend(batch.resources)
        with self._lock:
            pending = self._pending
            pending.workflows.update(batch.workflows)
            pending.tasks.update(batch.tasks)
            pending.tries.update(batch.tries)
            pending.statuses += batch.statuses

    # -- the writer thread ---------------------------------------------------------------
    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            try:
                self.write_pending(attempts=60)
            except Exception:  # never let the thread die: the next batch may go through
                logger.exception("Writing to the monitoring database %s failed", self.url)

    def write_pending(self, attempts: int = 10) -> None:
        """Write what is waiting, in one transaction; while the database is busy (locked,
        or out of reach), try again every second, ``attempts`` times."""
        with self._lock:
            batch, self._pending = self._pending, RowBatch()
        batch.resources = [self._resources.popleft() for _ in range(len(self._resources))]
        if not batch:
            return
        work = [(self._statements["workflow"], list(batch.workflows.values())),
                (self._statements["task"], list(batch.tasks.values())),
                (self._statements["try"], list(batch.tries.values())),
                (self._statements["status"], batch.statuses),
                (self._statements["resource"], batch.resources)]
        parameters = [(statement, statement.parameters(rows)) for statement, rows in work if rows]
        for _ in range(attempts):
            try:
                with self.engine.begin() as connection:
                    for statement, rows in parameters:
                        connection.exec_driver_sql(statement.sql, rows)
                return
            except OperationalError as error:
                if not _busy(error):
                    logger.error("Monitoring database %s cannot take rows (%s): %d task, %d try and %d "
                                 "status rows dropped", self.url, error.orig, len(batch.tasks),
                                 len(batch.tries), len(batch.statuses))
                    return
                logger.warning("Monitoring database busy (%s); writing again in 1 s", error.orig)
                time.sleep(1)
            except Exception:  # a row the database refuses: write the others one by one
                logger.exception("Monitoring database %s refused a batch; writing its rows one by one",
                                 self.url)
                self._write_one_by_one(parameters)
                return
        logger.error("Gave up writing to the monitoring database %s after %d attempts: %d task, %d try "
                     "and %d status rows dropped", self.url, attempts, len(batch.tasks), len(batch.tries),
                     len(batch.statuses))

    def _write_one_by_one(self, parameters: list) -> None:
        for statement, rows in parameters:
            for row in rows:
                try:
                    with self.engine.begin() as connection:
                        connection.exec_driver_sql(statement.sql, row)
                except Exception as error:
                    logger.error("Monitoring row dropped (%s): %r", error, row)

    def close(self, timeout: float = 60) -> None:
        """Write everything still waiting and stop, within about ``timeout`` seconds."""
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=timeout)
        if self._thread.is_alive():  # stuck on the database: the rows it holds are lost, said so
            logger.error("The monitoring writer of %s did not finish within %g s; the rows it was "
                         "writing may be lost", self.url, timeout)
            return
        self.write_pending(attempts=10)
        self.engine.dispose()


_UPSERTED = ("workflow", "task", "try")


class _Statement:
    """One table's insert (or upsert), compiled once for the engine's driver; turns rows
    (times in seconds since the epoch) into the driver's parameters."""

    def __init__(self, engine: Engine, table: Any, upsert: bool) -> None:
        statement = _upsert(engine, table) if upsert else _insert_new(engine, table)
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self.names = list(compiled.positiontup) if compiled.positional else [c.name for c in table.columns]
        self.positional = compiled.positional
        self._values = operator.itemgetter(*self.names)
        columns = [column.name for column in table.columns]
        self._from_tuple = operator.itemgetter(*[columns.index(name) for name in self.names])
        times = {column.name for column in table.columns if isinstance(column.type, DateTime)}
        self._times = [index for index, name in enumerate(self.names) if name in times]
        self._to_time: Callable = SQLiteTimes() if engine.dialect.name == "sqlite" else _datetime

    def parameters(self, rows: list) -> list:
        """The driver's parameters for ``rows``: dicts of every column, or tuples in the
        table's column order."""
        if not rows:
            return []
        values_of = self._from_tuple if isinstance(rows[0], tuple) else self._values
        times, to_time = self._times, self._to_time
        result = []
        for row in rows:
            values = list(values_of(row))
            for index in times:
                if values[index] is not None:
                    values[index] = to_time(values[index])
            result.append(tuple(values))
        if not self.positional:
            return [dict(zip(self.names, values, strict=True)) for values in result]
        return result


class SQLiteTimes:
    """Seconds since the epoch in Parsl's SQLite form, ``YYYY-MM-DD HH:MM:SS.ffffff`` (naive
    local time), formatting each second once: the writer converts many times a second."""

    def __init__(self) -> None:
        self._second, self._text = None, ""

    def __call__(self, seconds: float) -> str:
        whole = math.floor(seconds)
        micro = round((seconds - whole) * 1e6)
        if micro == 1_000_000:
            whole, micro = whole + 1, 0
        if whole != self._second:
            self._second, self._text = whole, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(whole))
        return f"{self._text}.{micro:06d}"


def _datetime(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds)


def create_tables(engine: Engine) -> None:
    """Parsl's tables and dask_parsl's indexes, where missing (another process may be
    creating them at the same moment)."""
    for attempt in range(2):
        try:
            metadata.create_all(engine)
            for index in (*task.indexes, *try_.indexes):
                index.create(engine, checkfirst=True)
            return
        except OperationalError:
            if attempt:
                raise


def connect(url: str) -> Engine:
    """An engine for ``url``; for SQLite, in WAL mode unless its filesystem cannot share it."""
    url = with_installed_driver(url)
    try:
        engine = create_engine(url, **({"connect_args": {"connect_timeout": 10}}
                                       if url.startswith("postgresql") else {}))
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


def with_installed_driver(url: str) -> str:
    """``url``, for psycopg 3 (the monitoring extra's) when it names PostgreSQL without a driver."""
    if url.startswith("postgresql://") and importlib.util.find_spec("psycopg2") is None:
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _busy(error: OperationalError) -> bool:
    """Whether the database may take the rows later: locked, or out of reach for now."""
    text = str(error.orig).lower()
    return any(word in text for word in ("locked", "busy", "connection", "could not connect", "timeout"))


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
    keys = {column.name for column in table.primary_key}
    new = statement.excluded
    changes = {column.name: (func.coalesce(new[column.name], column) if column.nullable else new[column.name])
               for column in table.columns if column.name not in keys}
    return statement.values({column.name: None for column in table.columns}).on_conflict_do_update(
        index_elements=sorted(keys), set_=changes)


def _insert_new(engine: Engine, table: Any) -> Any:
    return _dialect_insert(engine, table).values(
        {column.name: None for column in table.columns}).on_conflict_do_nothing()


def _dialect_insert(engine: Engine, table: Any) -> Any:
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise MonitoringUnavailable(f"dask_parsl writes monitoring to SQLite or PostgreSQL, not "
                                    f"{engine.dialect.name}")
    return insert(table)

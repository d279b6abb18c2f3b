"""Parsl's monitoring database, as a user reads it (sqlite3, pandas, SQLAlchemy) after or
during a run with ``Config(monitoring=MonitoringHub(...))``: the workflow, task, try and
status rows of each kind of task, on a Dask cluster, in threads and on an executor written to
Parsl's interface; resource rows; readers during a run; a run killed with SIGKILL; SQLite on
a network filesystem; the MonitoringHub API; and
PostgreSQL (``-m postgres``, after ``sudo bash ci/start_postgres.sh``)."""
import datetime
import getpass
import importlib.util
import os
import queue
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import warnings
from contextlib import closing
from typing import NamedTuple

import pandas
import pytest
import sqlalchemy
from parsl_style_executor import ProcessPoolParslExecutor
from simple_apps import Boom, boom, double, fails_once

import dask_parsl
from dask_parsl import (
    Config,
    ConfigurationError,
    DaskExecutor,
    DependencyError,
    MonitoringHub,
    ThreadPoolExecutor,
    bash_app,
    join_app,
    python_app,
)
from dask_parsl.monitoring import MonitoringUnavailable, MonitoringWarning, writer

HERE = os.path.dirname(os.path.abspath(__file__))
KILLED_WORKFLOW = os.path.join(HERE, "monitoring_scripts", "killed_workflow.py")
POSTGRES_URL_FILE = "/run/dask-parsl-postgres/url"
FINAL = {"exec_done", "memo_done", "failed", "dep_fail"}
EXECUTED = ["pending", "launched", "running", "running_ended"]  # the states of a try that ran
#: the statuses of a run of one task that succeeded at once
ONE_SUCCESS = {0: [(0, state) for state in [*EXECUTED, "exec_done"]]}
#: how Parsl stores a DATETIME in SQLite: naive local time, always six digits of microseconds
SQLITE_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")


# -- reading the database, as a user does --------------------------------------------------------

def sqlite_url(path):
    return f"sqlite:///{path}"


def query(db, sql, **params):
    """The rows of ``sql`` (named ``:params``) as dicts: sqlite3 for a SQLite URL, else SQLAlchemy."""
    if db.startswith("sqlite:///"):
        with closing(sqlite3.connect(db[len("sqlite:///"):])) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(sql, params)]
    engine = sqlalchemy.create_engine(db)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(sqlalchemy.text(sql), params)]
    finally:
        engine.dispose()


def as_time(value):
    """A DATETIME column's value as a datetime (SQLite gives text, PostgreSQL datetimes)."""
    if isinstance(value, str):
        assert SQLITE_TIME.match(value), f"not Parsl's DATETIME text: {value!r}"
        return datetime.datetime.fromisoformat(value)
    return value


def rows(db, table, run_id):
    """The rows of ``table`` ("workflow", "task", "try" or "status") for run ``run_id``,
    with the DATETIME columns as datetimes."""
    found = query(db, f'SELECT * FROM "{table}" WHERE run_id = :run_id', run_id=run_id)
    for row in found:
        for column in row:
            if column.startswith(("time_", "task_time_", "task_try_time_")) or column == "timestamp":
                row[column] = as_time(row[column])
    return found


def statuses(db, run_id):
    """{task_id: [(try_id, state), ...]} in timestamp order."""
    sequences = {}
    for row in sorted(rows(db, "status", run_id), key=lambda row: row["timestamp"]):
        sequences.setdefault(row["task_id"], []).append((row["try_id"], row["task_status_name"]))
    return sequences


def tries(db, run_id):
    """{(task_id, try_id): try row}."""
    return {(row["task_id"], row["try_id"]): row for row in rows(db, "try", run_id)}


def tasks(db, run_id):
    """{task_id: task row}."""
    return {row["task_id"]: row for row in rows(db, "task", run_id)}


def status_times(db, run_id, task_id):
    """{(try_id, state): timestamp} of one task."""
    return {(row["try_id"], row["task_status_name"]): row["timestamp"]
            for row in rows(db, "status", run_id) if row["task_id"] == task_id}


def journal_mode(path):
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]


# -- the workflow whose rows the tests read ------------------------------------------------------

@python_app
def after(x):
    return x + 1


@python_app(cache=True)
def cached_triple(x):
    return 3 * x


@python_app
def joined_inner(x):
    return x + 100


@join_app
def joiner(x):
    return joined_inner(x)


class Run(NamedTuple):
    db: str  # SQLAlchemy URL
    run_id: str
    run_dir: str  # the kernel's numbered run directory
    label: str  # the executor's
    ids: dict  # scenario -> task id


def run_scenarios(executor, root, **hub_options):
    """Run one task of each kind on ``executor`` with monitoring (retries=1), clean up, and
    say where its rows are. Loads the kernel from this file: the default workflow name is
    this file's name."""
    run_dir = str(root / "runinfo")
    config = Config(executors=[executor], run_dir=run_dir, retries=1,
                    monitoring=MonitoringHub(**hub_options))
    with dask_parsl.load(config) as dfk:
        futures = {"success": double(1), "failure": boom(), "retried": fails_once(str(root / "flag"))}
        futures["dep_fail"] = after(futures["failure"])
        futures["memo_first"] = cached_triple(7)
        futures["memo_first"].result(timeout=60)
        futures["memo_hit"] = cached_triple(7)  # after the first finished: answered from the memo
        futures["join"] = joiner(1)
        errors = {name: future.exception(timeout=60) for name, future in futures.items()}
        run_id, kernel_dir = dfk.run_id, dfk.run_dir
    assert isinstance(errors.pop("failure"), Boom)
    assert isinstance(errors.pop("dep_fail"), DependencyError)
    assert not any(errors.values()), errors
    assert [futures[name].result() for name in ("success", "retried", "memo_first", "memo_hit", "join")] \
        == [2, "second try", 21, 21, 101]
    if hub_options.get("logging_endpoint"):
        db = hub_options["logging_endpoint"]
    else:  # Parsl's default: one database in the run root, shared by the runs under it
        path = os.path.join(run_dir, "monitoring.db")
        assert os.path.exists(path)
        db = sqlite_url(path)
    ids = {name: future.tid for name, future in futures.items()}
    inner = [row["task_id"] for row in rows(db, "task", run_id) if row["task_func_name"] == "joined_inner"]
    assert len(inner) == 1
    ids["join_inner"] = inner[0]
    return Run(db, run_id, kernel_dir, executor.label, ids)


@pytest.fixture(scope="module", params=["dask", "threads", "parsl-interface"])
def scenarios(request, tmp_path_factory):
    """The rows of one ``run_scenarios`` per kind of executor (one run, read by several tests)."""
    if request.param == "dask":
        executor = DaskExecutor(cluster=request.getfixturevalue("cluster"))
    elif request.param == "threads":
        executor = ThreadPoolExecutor(max_threads=2)
    else:  # written to Parsl's executor interface by a user
        executor = ProcessPoolParslExecutor()
    return run_scenarios(executor, tmp_path_factory.mktemp(f"monitoring-{request.param}"))


# -- what each kind of task leaves in the database (shared with the PostgreSQL test) -------------

def check_executed_try(run, task_id, try_id, fail_history):
    """The try row of a try that ran on the executor, consistent with its status rows."""
    row = tries(run.db, run.run_id)[task_id, try_id]
    assert row["task_executor"] == run.label
    assert row["task_fail_history"] == fail_history
    assert row["task_joins"] is None
    assert row["hostname"] == socket.gethostname()  # the workers run on this machine
    launched, running, returned = (row[f"task_try_time_{name}"]
                                   for name in ("launched", "running", "returned"))
    assert None not in (launched, running, returned), row
    assert launched <= running <= returned
    times = status_times(run.db, run.run_id, task_id)
    assert times[try_id, "launched"] == launched
    assert times[try_id, "running"] == running
    # (not strictly: a Dask retry can run before the client stamps its launch, and then both
    # worker times are moved to just after that launch)
    assert times[try_id, "launched"] <= times[try_id, "running"] <= times[try_id, "running_ended"]
    assert max(when for (attempt, _), when in times.items() if attempt == try_id) >= returned


def check_task(run, task_id, func_name, fail_count, memoize="0", depends=""):
    row = tasks(run.db, run.run_id)[task_id]
    assert row["task_func_name"] == func_name
    assert (row["task_fail_count"], row["task_fail_cost"]) == (fail_count, float(fail_count))
    assert row["task_memoize"] == memoize
    assert row["task_depends"] == depends
    assert (row["task_inputs"], row["task_outputs"], row["task_stdout"], row["task_stderr"]) \
        == ("None", "None", "", "")
    assert row["task_time_invoked"] <= row["task_time_returned"]
    return row


def check_success(run):
    task_id = run.ids["success"]
    assert statuses(run.db, run.run_id)[task_id] == [(0, state) for state in [*EXECUTED, "exec_done"]]
    assert [key for key in tries(run.db, run.run_id) if key[0] == task_id] == [(task_id, 0)]
    check_executed_try(run, task_id, 0, "")
    check_task(run, task_id, "double", fail_count=0)


def check_failure(run):
    """Always failing, with retries=1: two tries, the last one ``failed``."""
    task_id = run.ids["failure"]
    assert statuses(run.db, run.run_id)[task_id] == [
        *[(0, state) for state in [*EXECUTED, "fail_retryable"]],
        *[(1, state) for state in [*EXECUTED, "failed"]]]
    for try_id in (0, 1):
        check_executed_try(run, task_id, try_id, "Boom('no')")
    check_task(run, task_id, "boom", fail_count=2)


def check_retried(run):
    """Fails once, then succeeds."""
    task_id = run.ids["retried"]
    assert statuses(run.db, run.run_id)[task_id] == [
        *[(0, state) for state in [*EXECUTED, "fail_retryable"]],
        *[(1, state) for state in [*EXECUTED, "exec_done"]]]
    check_executed_try(run, task_id, 0, "Boom('first try')")
    check_executed_try(run, task_id, 1, "")
    check_task(run, task_id, "fails_once", fail_count=1)


def check_dep_fail(run):
    task_id, parent = run.ids["dep_fail"], run.ids["failure"]
    sequence = statuses(run.db, run.run_id)[task_id]
    # a Dask task may be handed to the cluster (launched) before its parent failed
    assert sequence in ([(0, "pending"), (0, "dep_fail")], [(0, "pending"), (0, "launched"), (0, "dep_fail")])
    row = tries(run.db, run.run_id)[task_id, 0]
    assert row["task_executor"] == run.label
    assert row["task_fail_history"] == f"DependencyError([(Boom('no'), 'task {parent}')], {task_id})"
    assert row["task_try_time_running"] is None and row["hostname"] is None  # it never ran
    assert row["task_try_time_returned"] is not None
    assert (row["task_try_time_launched"] is None) == ((0, "launched") not in sequence)
    check_task(run, task_id, "after", fail_count=1, depends=str(parent))


def check_memo_hit(run):
    first, hit = run.ids["memo_first"], run.ids["memo_hit"]
    sequences = statuses(run.db, run.run_id)
    assert sequences[first] == [(0, state) for state in [*EXECUTED, "exec_done"]]
    assert sequences[hit] == [(0, "pending"), (0, "memo_done")]
    check_executed_try(run, first, 0, "")
    row = tries(run.db, run.run_id)[hit, 0]
    assert row["task_executor"] == run.label
    assert row["task_try_time_running"] is None and row["hostname"] is None  # nothing ran
    assert row["task_try_time_launched"] is not None and row["task_try_time_returned"] is not None
    assert row["task_fail_history"] == ""
    original = check_task(run, first, "cached_triple", fail_count=0, memoize="1")
    memo = check_task(run, hit, "cached_triple", fail_count=0, memoize="1")
    assert original["task_hashsum"] and memo["task_hashsum"] == original["task_hashsum"]
    assert tasks(run.db, run.run_id)[run.ids["success"]]["task_hashsum"] is None  # not a cached app


def check_join(run):
    task_id, inner = run.ids["join"], run.ids["join_inner"]
    sequences = statuses(run.db, run.run_id)
    assert sequences[task_id] == [(0, state) for state in [*EXECUTED, "joining", "exec_done"]]
    assert sequences[inner] == [(0, state) for state in [*EXECUTED, "exec_done"]]
    row = tries(run.db, run.run_id)[task_id, 0]
    assert row["task_executor"] == "_parsl_internal"  # Parsl's label for join apps
    assert row["task_joins"] == str(inner)
    assert row["task_fail_history"] == ""
    assert row["task_try_time_launched"] <= row["task_try_time_running"] <= row["task_try_time_returned"]
    times = status_times(run.db, run.run_id, task_id)
    assert times[0, "joining"] == row["task_try_time_returned"]  # the body returned: Parsl's time
    # the inner task may end before the body has returned (it starts inside the body), never after the join
    assert status_times(run.db, run.run_id, inner)[0, "exec_done"] <= times[0, "exec_done"]
    assert times[0, "joining"] <= times[0, "exec_done"]
    check_executed_try(run, inner, 0, "")
    check_task(run, task_id, "joiner", fail_count=0)
    check_task(run, inner, "joined_inner", fail_count=0)


def check_workflow(run):
    [row] = rows(run.db, "workflow", run.run_id)
    final = {task_id: sequence[-1][1] for task_id, sequence in statuses(run.db, run.run_id).items()}
    assert set(final) == set(run.ids.values()) == set(tasks(run.db, run.run_id))
    # exec_done only (not memo_done) and failed only (not dep_fail), as Parsl counts
    assert row["tasks_completed_count"] == list(final.values()).count("exec_done") == 5
    assert row["tasks_failed_count"] == list(final.values()).count("failed") == 1
    assert row["time_completed"] is not None and row["time_began"] <= row["time_completed"]
    assert row["workflow_name"] == "test_monitoring.py"  # the file that loaded the kernel
    assert row["workflow_version"] == str(row["time_began"].replace(microsecond=0))
    assert row["rundir"] == os.path.abspath(run.run_dir)
    assert (row["host"], row["user"]) == (socket.gethostname(), getpass.getuser())
    # every status row belongs to a try row, and every try row has status rows
    status_tries = {(r["task_id"], r["try_id"]) for r in rows(run.db, "status", run.run_id)}
    assert status_tries == set(tries(run.db, run.run_id))


ALL_CHECKS = [check_success, check_failure, check_retried, check_dep_fail, check_memo_hit, check_join,
              check_workflow]


# -- 1. the rows of each kind of task, on a Dask cluster and in threads ---------------------------

def test_a_successful_task(scenarios):
    check_success(scenarios)


def test_a_task_that_always_fails(scenarios):
    check_failure(scenarios)


def test_a_task_retried_after_one_failure(scenarios):
    check_retried(scenarios)


def test_a_task_whose_dependency_failed(scenarios):
    check_dep_fail(scenarios)


def test_a_memo_hit_has_the_hashsum_of_the_original(scenarios):
    check_memo_hit(scenarios)


def test_a_join_app_and_the_task_it_joins(scenarios):
    check_join(scenarios)


def test_the_workflow_row(scenarios):
    check_workflow(scenarios)


def test_sqlite_stores_times_as_parsl_does(scenarios):
    path = scenarios.db[len("sqlite:///"):]
    with closing(sqlite3.connect(path)) as connection:
        kinds = connection.execute("SELECT DISTINCT typeof(timestamp) FROM status").fetchall()
        stamps = [stamp for (stamp,) in connection.execute("SELECT timestamp FROM status")]
        memoize = connection.execute("SELECT DISTINCT typeof(task_memoize), typeof(task_fail_cost) "
                                     "FROM task").fetchall()
    assert kinds == [("text",)]
    assert all(SQLITE_TIME.match(stamp) for stamp in stamps)
    assert memoize == [("text", "real")]
    assert journal_mode(path) == "wal"


@python_app(executors=["no-such-executor"])
def misrouted():
    return "never"


def test_a_call_no_executor_takes_loses_no_rows(tmp_path):
    run_dir = str(tmp_path / "runinfo")
    with dask_parsl.load(Config(executors=[ThreadPoolExecutor()], run_dir=run_dir,
                                monitoring=MonitoringHub())) as dfk:
        fine = [double(i) for i in range(3)]
        wrong = misrouted()
        with pytest.raises(ValueError, match="no-such-executor"):
            wrong.result(timeout=60)
        assert [future.result(timeout=60) for future in fine] == [0, 2, 4]
    db = sqlite_url(os.path.join(run_dir, "monitoring.db"))
    sequences = statuses(db, dfk.run_id)
    assert {task_id: sequence[-1][1] for task_id, sequence in sequences.items()} \
        == {**{future.tid: "exec_done" for future in fine}, wrong.tid: "failed"}
    assert sequences[wrong.tid] == [(0, "pending"), (0, "failed")]
    assert tries(db, dfk.run_id)[wrong.tid, 0]["task_executor"]  # Parsl: the label asked for
    [workflow] = rows(db, "workflow", dfk.run_id)
    assert (workflow["tasks_completed_count"], workflow["tasks_failed_count"]) == (3, 1)


@python_app
def fails_then_waits(path, go, release):
    """Fails its first try once ``go`` is set; its second try waits for ``release``."""
    if not os.path.exists(path):
        open(path, "w").close()
        go.wait(30)
        raise Boom("first try")
    release.wait(30)
    return "second try"


def wait_for(condition, what, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.02)


def test_a_task_row_shows_its_failures_while_it_is_retried(tmp_path):
    run_dir = str(tmp_path / "runinfo")
    db = sqlite_url(os.path.join(run_dir, "monitoring.db"))
    go, release = threading.Event(), threading.Event()
    config = Config(executors=[ThreadPoolExecutor()], run_dir=run_dir, retries=1, monitoring=MonitoringHub())
    with dask_parsl.load(config) as dfk:
        future = fails_then_waits(str(tmp_path / "flag"), go, release)
        try:
            wait_for(lambda: tasks(db, dfk.run_id), "the task row of the first try")
            go.set()
            wait_for(lambda: (1, "pending") in statuses(db, dfk.run_id).get(future.tid, []), "the second try")
            row = tasks(db, dfk.run_id)[future.tid]
        finally:
            go.set()
            release.set()
        assert future.result(timeout=60) == "second try"
    assert (row["task_fail_count"], row["task_fail_cost"]) == (1, 1.0)


def test_runs_under_one_run_dir_share_its_database(tmp_path):
    run_dir = str(tmp_path / "runinfo")
    run_ids = []
    for _ in range(2):
        config = Config(executors=[ThreadPoolExecutor()], run_dir=run_dir, monitoring=MonitoringHub())
        with dask_parsl.load(config) as dfk:
            double(2).result(timeout=60)
            run_ids.append(dfk.run_id)
    db = sqlite_url(os.path.join(run_dir, "monitoring.db"))
    assert {row["run_id"] for row in query(db, "SELECT run_id FROM workflow")} == set(run_ids)
    for run_id, number in zip(run_ids, ("000", "001"), strict=True):
        [workflow] = rows(db, "workflow", run_id)
        assert workflow["rundir"] == os.path.join(os.path.abspath(run_dir), number)
        assert statuses(db, run_id) == ONE_SUCCESS


# -- 2. reading while a run writes --------------------------------------------------------------

READER = r"""
import os, sqlite3, sys, time
path, run_id, stop = sys.argv[1:4]
connection = sqlite3.connect(path)  # the default timeout: 5 s
def read():
    status = connection.execute("SELECT count(*) FROM status WHERE run_id = ?", (run_id,)).fetchone()[0]
    task = connection.execute("SELECT count(*) FROM task WHERE run_id = ?", (run_id,)).fetchone()[0]
    print(status, task, flush=True)
while not os.path.exists(stop):
    read()
    time.sleep(0.005)
read()  # once the run has ended (a read under way then may have begun before its last rows)
"""


@python_app
def short_nap(i):
    import time

    time.sleep(0.01)
    return i


def test_readers_in_this_and_another_process_are_never_locked_out(cluster, tmp_path):
    run_dir, stop = str(tmp_path / "runinfo"), str(tmp_path / "stop")
    path = os.path.join(run_dir, "monitoring.db")
    config = Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir, monitoring=MonitoringHub())
    seen, completed_while_running = [], []
    with open(tmp_path / "reader.out", "w") as out, open(tmp_path / "reader.err", "w") as err:
        with dask_parsl.load(config) as dfk:
            run_id = dfk.run_id
            reader = subprocess.Popen([sys.executable, "-c", READER, path, run_id, stop],
                                      stdout=out, stderr=err)
            try:
                deadline = time.monotonic() + 30
                while os.path.getsize(tmp_path / "reader.out") == 0:  # reading before the tasks start
                    assert reader.poll() is None, (tmp_path / "reader.err").read_text()
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
                futures = [short_nap(i) for i in range(300)]
                while not all(future.done() for future in futures):
                    with closing(sqlite3.connect(path)) as connection:  # default timeout: 5 s
                        frame = pandas.read_sql_query("SELECT * FROM status WHERE run_id = ?", connection,
                                                      params=(run_id,))
                        task_count = connection.execute("SELECT count(*) FROM task WHERE run_id = ?",
                                                        (run_id,)).fetchone()[0]
                        completed_while_running.append(connection.execute(
                            "SELECT time_completed FROM workflow WHERE run_id = ?", (run_id,)).fetchone()[0])
                    seen.append((len(frame), task_count))
                    time.sleep(0.02)
                assert [future.result() for future in futures] == list(range(300))
            except BaseException:
                reader.kill()
                raise
        open(stop, "w").close()
        assert reader.wait(30) == 0, (tmp_path / "reader.err").read_text()
    assert (tmp_path / "reader.err").read_text() == ""
    assert journal_mode(path) == "wal"

    final = statuses(sqlite_url(path), run_id)
    assert len(final) == len(tasks(sqlite_url(path), run_id)) == 300
    assert all(sequence[-1][1] == "exec_done" and sum(state in FINAL for _, state in sequence) == 1
               for sequence in final.values())
    total = sum(len(sequence) for sequence in final.values())
    assert completed_while_running and set(completed_while_running) == {None}
    [workflow] = rows(sqlite_url(path), "workflow", run_id)
    assert workflow["time_completed"] is not None and workflow["tasks_completed_count"] == 300

    other = [tuple(map(int, line.split())) for line in (tmp_path / "reader.out").read_text().splitlines()]
    for name, counts in (("this process", seen), ("the other process", other)):
        assert counts == sorted(counts), f"counts went down in {name}: {counts}"
        during = {status for status, _ in counts if 0 < status < total}
        assert len(during) >= 3, f"{name} saw no run in progress: {counts}"
    assert other[-1] == (total, 300)


# -- 3. a run killed with SIGKILL ---------------------------------------------------------------

def process_group(pgid):
    """{pid: state} of the processes of group ``pgid`` (``Z`` for a zombie)."""
    members = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            members[int(entry)] = fields[0]
    return members


def test_a_killed_run_leaves_a_sound_database_with_the_tasks_finished_before(tmp_path):
    run_dir = str(tmp_path / "runinfo")
    lines = queue.Queue()
    with open(tmp_path / "script.err", "w") as err:
        script = subprocess.Popen([sys.executable, KILLED_WORKFLOW, run_dir], stdout=subprocess.PIPE,
                                  stderr=err, text=True, start_new_session=True)

    def read_lines():
        for line in script.stdout:
            lines.put(line.split())
        lines.put(None)

    reading = threading.Thread(target=read_lines, daemon=True)
    reading.start()
    run_id, finished, ended = None, {}, False
    try:
        deadline = time.monotonic() + 60
        # until some tasks finished more than 1.5 s ago, and some since
        while not (finished and time.time() - min(finished.values()) > 1.5 and len(finished) >= 20):
            assert time.monotonic() < deadline, \
                f"no progress: {finished}\n{(tmp_path / 'script.err').read_text()}"
            try:
                words = lines.get(timeout=0.1)
            except queue.Empty:
                continue
            assert words is not None, f"the script ended: {(tmp_path / 'script.err').read_text()}"
            if words[0] == "run_id":
                run_id = words[1]
            elif words[0] == "finished":
                finished[int(words[1])] = float(words[2])
        group = process_group(script.pid)
        assert len(group) >= 2, f"no Dask worker process in the script's group: {group}"
    finally:
        killed_at = time.time()
        try:
            os.killpg(script.pid, signal.SIGKILL)  # the script's own session: its workers, nothing else
        except ProcessLookupError:  # it ended by itself (the test fails above)
            pass
        script.wait(30)
    reading.join(30)
    assert not reading.is_alive(), "the killed script's stdout is still open: a process of it survived"
    while not ended:  # what the script printed before it died
        words = lines.get_nowait()
        ended = words is None
        if not ended and words[0] == "finished":
            finished[int(words[1])] = float(words[2])

    deadline = time.monotonic() + 15
    while any(state != "Z" for state in process_group(script.pid).values()):  # zombies of an orphan: dead
        assert time.monotonic() < deadline, \
            f"processes of the killed script still run: {process_group(script.pid)}"
        time.sleep(0.05)

    path = os.path.join(run_dir, "monitoring.db")
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    db = sqlite_url(path)
    final = {task_id: sequence[-1][1] for task_id, sequence in statuses(db, run_id).items()}
    long_finished = {task_id for task_id, when in finished.items() if when < killed_at - 1.0}
    assert len(long_finished) >= 10
    missing = {task_id: final.get(task_id) for task_id in long_finished if final.get(task_id) != "exec_done"}
    assert not missing, f"tasks finished over 1 s before the kill without exec_done: {missing}"
    [workflow] = rows(db, "workflow", run_id)
    assert workflow["time_completed"] is None  # as Parsl's viewer shows a run that never ended
    assert workflow["tasks_completed_count"] >= len(long_finished)


# -- 4. SQLite on a network filesystem ----------------------------------------------------------

def engine_journal_mode(engine):
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    finally:
        engine.dispose()


def test_on_a_network_filesystem_sqlite_keeps_a_rollback_journal(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "filesystem_of", lambda path: "nfs")
    path = str(tmp_path / "on-nfs.db")
    with pytest.warns(MonitoringWarning, match="nfs") as warned:
        engine = writer.connect(sqlite_url(path))
    assert path in str(warned[0].message)
    assert engine_journal_mode(engine) == "delete"
    assert journal_mode(path) == "delete"

    # a database another run left in WAL mode goes back to a rollback journal
    earlier = str(tmp_path / "was-wal.db")
    with closing(sqlite3.connect(earlier)) as connection:
        assert connection.execute("PRAGMA journal_mode=wal").fetchone() == ("wal",)
    with pytest.warns(MonitoringWarning, match="nfs"):
        assert engine_journal_mode(writer.connect(sqlite_url(earlier))) == "delete"
    assert journal_mode(earlier) == "delete"


def test_a_run_on_a_network_filesystem_warns_and_writes_its_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "filesystem_of", lambda path: "lustre")
    run_dir = str(tmp_path / "runinfo")
    with pytest.warns(MonitoringWarning, match="lustre"):
        dfk = dask_parsl.load(Config(executors=[ThreadPoolExecutor()], run_dir=run_dir,
                                     monitoring=MonitoringHub()))
    with dfk:
        double(4).result(timeout=60)
    path = os.path.join(run_dir, "monitoring.db")
    assert journal_mode(path) == "delete"
    assert statuses(sqlite_url(path), dfk.run_id) == ONE_SUCCESS


def test_on_a_local_disk_sqlite_runs_in_wal_mode(tmp_path):
    path = str(tmp_path / "local.db")
    assert writer.filesystem_of(path) not in writer.NETWORK_FILESYSTEMS
    with warnings.catch_warnings():
        warnings.simplefilter("error", MonitoringWarning)
        engine = writer.connect(sqlite_url(path))
    assert engine_journal_mode(engine) == "wal"
    assert journal_mode(path) == "wal"


# -- resource rows: psutil samples from the workers ---------------------------------------------

@python_app
def spins(seconds):
    end = time.time() + seconds
    while time.time() < end:
        pass
    return seconds


@bash_app
def sleeps_in_a_child():
    return "sleep 2"


def test_resource_rows_sample_the_worker_and_its_children(cluster, tmp_path):
    run_dir = str(tmp_path / "runinfo")
    config = Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir,
                    monitoring=MonitoringHub(resource_monitoring_interval=0.2))
    with dask_parsl.load(config) as dfk:
        python_task, bash_task = spins(2), sleeps_in_a_child()  # ~10 samples each, >= 3 on a busy machine
        assert python_task.result(timeout=60) == 2 and bash_task.result(timeout=60) == 0
        client = dfk.executors["dask"].client
        worker_pids = set(client.run(os.getpid).values())
    samples = rows(sqlite_url(os.path.join(run_dir, "monitoring.db")), "resource", dfk.run_id)
    by_task = {task_id: [row for row in samples if row["task_id"] == task_id]
               for task_id in (python_task.tid, bash_task.tid)}
    assert all(len(found) >= 3 for found in by_task.values()), {k: len(v) for k, v in by_task.items()}
    for row in samples:
        assert row["psutil_process_pid"] in worker_pids
        assert row["psutil_process_memory_resident"] > 0 and row["resource_monitoring_interval"] == 0.2
        assert isinstance(as_time(row["timestamp"]), datetime.datetime)
    assert max(row["psutil_process_time_user"] for row in by_task[python_task.tid]) >= 0.5  # it spun
    assert max(row["psutil_process_children_count"] for row in by_task[bash_task.tid]) >= 1  # sleep
    plugins = client_plugins_after(cluster)
    assert not any(name.startswith("dask-parsl-resources") for name in plugins)  # gone with the kernel


def client_plugins_after(cluster):
    from distributed import Client

    with Client(cluster) as client:
        return {name for names in client.run(lambda dask_worker: list(dask_worker.plugins)).values()
                for name in names}


# -- 5. the MonitoringHub API -------------------------------------------------------------------

@pytest.mark.parametrize("option", [{"hub_address": "127.0.0.1"}, {"hub_port": 55055},
                                    {"hub_port_range": (55000, 56000)}])
def test_the_hub_options_are_deprecated_and_unused(option):
    [name] = option
    with pytest.warns(DeprecationWarning, match=f"{name} is deprecated"):
        hub = MonitoringHub(**option)
    assert getattr(hub, name) == option[name]
    assert hub.url_for("/some/runinfo") == "sqlite:////some/runinfo/monitoring.db"


def test_config_takes_only_a_monitoring_hub():
    with pytest.raises(ConfigurationError, match="takes a MonitoringHub, not object"):
        Config(monitoring=object())


def test_a_parsl_monitoring_hub_is_taken_with_its_settings(tmp_path):
    from parsl.monitoring import MonitoringHub as ParslMonitoringHub

    endpoint = sqlite_url(tmp_path / "parsl.db")
    config = Config(executors=[ThreadPoolExecutor()], run_dir=str(tmp_path / "runinfo"),
                    monitoring=ParslMonitoringHub(workflow_name="from-parsl", logging_endpoint=endpoint))
    assert isinstance(config.monitoring, MonitoringHub)
    with dask_parsl.load(config) as dfk:
        double(1).result(timeout=60)
    [workflow] = rows(endpoint, "workflow", dfk.run_id)
    assert workflow["workflow_name"] == "from-parsl"


def test_without_sqlalchemy_the_hub_says_what_to_install(monkeypatch):
    find_spec = importlib.util.find_spec

    def no_sqlalchemy(name, *args, **kwargs):
        return None if name == "sqlalchemy" else find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", no_sqlalchemy)
    install = re.escape("pip install 'dask_parsl[monitoring]'")
    with pytest.raises(MonitoringUnavailable, match=install) as error:
        MonitoringHub()
    assert isinstance(error.value, ConfigurationError) and isinstance(error.value, ImportError)
    assert "SQLAlchemy" in str(error.value)


def test_a_logging_endpoint_is_the_database_used(tmp_path):
    run_dir, elsewhere = str(tmp_path / "runinfo"), str(tmp_path / "elsewhere" / "mine.db")
    hub = MonitoringHub(logging_endpoint=sqlite_url(elsewhere), workflow_name="named", workflow_version="v1")
    with dask_parsl.load(Config(executors=[ThreadPoolExecutor()], run_dir=run_dir, monitoring=hub)) as dfk:
        double(3).result(timeout=60)
    assert not os.path.exists(os.path.join(run_dir, "monitoring.db"))
    [workflow] = rows(sqlite_url(elsewhere), "workflow", dfk.run_id)
    assert (workflow["workflow_name"], workflow["workflow_version"]) == ("named", "v1")
    assert statuses(sqlite_url(elsewhere), dfk.run_id) == ONE_SUCCESS


# -- 6. PostgreSQL (-m postgres) ----------------------------------------------------------------

@pytest.mark.postgres
def test_the_rows_in_postgresql(cluster, tmp_path):
    if not os.path.exists(POSTGRES_URL_FILE):
        pytest.fail(f"no PostgreSQL URL in {POSTGRES_URL_FILE}: start the test server first with "
                    "`sudo bash ci/start_postgres.sh` (and `sudo bash ci/stop_postgres.sh` afterwards)")
    with open(POSTGRES_URL_FILE) as file:
        url = file.read().strip()
    run = run_scenarios(DaskExecutor(cluster=cluster), tmp_path, logging_endpoint=url)
    assert not os.path.exists(tmp_path / "runinfo" / "monitoring.db")
    assert len(query(url, "SELECT run_id FROM workflow WHERE run_id = :run_id", run_id=run.run_id)) == 1
    for check in ALL_CHECKS:
        check(run)

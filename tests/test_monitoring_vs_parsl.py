"""The monitoring database of an unmodified Parsl script, written by the real Parsl and by
dask_parsl, compared value by value.

tests/parsl_scripts/monitored.py runs once with ``python`` (the real Parsl) and once with
``dask-parsl run``, each in a directory of its own; both write ``runinfo/monitoring.db``.
What legitimately differs is left out or normalised: run ids, hosts, users, versions and
timestamps (only whether a timestamp is NULL is compared), paths (compared relative to
each run's directory) and memo hashes (each system hashes in its own way: compared as
"which tasks share a hash").
"""
import os
import sqlite3

import pytest
from test_parsl_scripts import SCRIPTS, run

TABLES = ("workflow", "task", "try", "node", "block", "status", "resource")
#: the states the executor's side reports, on the worker's clock
WORKER_STATES = ("running", "running_ended")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``{"parsl": (directory, stdout), "dask_parsl": (directory, stdout)}`` of one run of each."""
    base = tmp_path_factory.mktemp("monitored")
    done = {}
    for command, name in (("python", "parsl"), ("dask-parsl", "dask_parsl")):
        directory = base / name
        [completed] = run(command, directory, SCRIPTS / "monitored.py")
        done[name] = (directory.resolve(), completed.stdout)
    return done


def load(directory, sql):
    """The rows of ``sql`` on ``directory``'s monitoring database, as dicts."""
    connection = sqlite3.connect(directory / "runinfo" / "monitoring.db")
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql)]
    finally:
        connection.close()


def first_difference(parsl, ours):
    """Where two lists of rows first differ, for an assertion message."""
    for index, (theirs, mine) in enumerate(zip(parsl, ours, strict=False)):
        if theirs != mine:
            columns = sorted(key for key in theirs.keys() | mine.keys() if theirs.get(key) != mine.get(key))
            return (f"row {index} differs in {columns}:\n  parsl:      {theirs}\n"
                    f"  dask_parsl: {mine}")
    return f"{len(parsl)} rows from parsl, {len(ours)} from dask_parsl"


def assert_same(table, parsl, ours):
    assert ours == parsl, f"{table}: {first_difference(parsl, ours)}"


def null_or_set(row, *columns):
    """Replace each timestamp (or host) column by whether it is set."""
    for column in columns:
        row[column] = "NULL" if row[column] is None else "set"
    return row


def relative(path, directory):
    """``path`` relative to the run's directory if it is inside it (each run has its own)."""
    if path and os.path.isabs(path) and path.startswith(f"{directory}{os.sep}"):
        return os.path.relpath(path, directory)
    return path


def workflow_rows(directory):
    rows = load(directory, "SELECT * FROM workflow")
    for row in rows:
        for column in ("run_id", "host", "user", "workflow_version"):
            del row[column]
        row["rundir"] = relative(row["rundir"], directory)
        null_or_set(row, "time_began", "time_completed")
    return rows


def task_rows(directory):
    rows = load(directory, "SELECT * FROM task ORDER BY task_id")
    hashes = {}
    for row in rows:
        del row["run_id"]
        null_or_set(row, "task_time_invoked", "task_time_returned")
        for column in ("task_stdin", "task_stdout", "task_stderr"):
            row[column] = relative(row[column], directory)
        # Parsl's md5 and dask_parsl's memo keys differ: compare which tasks share one
        if row["task_hashsum"] is not None:
            row["task_hashsum"] = hashes.setdefault(row["task_hashsum"], f"hash {len(hashes) + 1}")
        # task_inputs: Parsl rewrites it on every state change, ending with the str() of the
        # list with its futures replaced by their results ('[2, 4]'); dask_parsl writes the
        # list as its record holds it when the task finishes, futures replaced by
        # placeholders ('[<result of task 0>, <result of task 9>]'), since the results of
        # Dask tasks stay on the workers. Only whether inputs= was given is compared.
        if row["task_inputs"] != "None":
            row["task_inputs"] = "<given>"
    return rows


def try_rows(directory):
    rows = load(directory, 'SELECT * FROM "try" ORDER BY task_id, try_id')
    for row in rows:
        del row["run_id"]
        null_or_set(row, "hostname", "task_try_time_launched", "task_try_time_running",
                    "task_try_time_returned")
    return rows


def status_sequences(directory):
    """Each task's ``(try_id, state)`` in timestamp order, ``launched`` moved up to just
    after its try's ``pending``.

    Parsl stamps ``launched`` once ``executor.submit`` has returned, while the worker may
    already have stamped ``running`` (and even ``running_ended``): the order of those
    three is a race in Parsl (about half its tasks in a ThreadPoolExecutor), whereas
    dask_parsl keeps a try's worker times between its launch and its end.
    """
    sequences = {}
    for row in load(directory, "SELECT task_id, try_id, task_status_name, timestamp FROM status "
                               "ORDER BY task_id, timestamp"):
        sequence = sequences.setdefault(row["task_id"], [])
        entry = (row["try_id"], row["task_status_name"])
        if entry[1] == "launched" and (entry[0], "pending") in sequence:
            sequence.insert(sequence.index((entry[0], "pending")) + 1, entry)
        else:
            sequence.append(entry)
    return [{"task_id": task_id, "statuses": sequence} for task_id, sequence in sorted(sequences.items())]


def table_columns(directory):
    """Each table's columns: name, declared type, NOT NULL and place in the primary key."""
    return [{"table": table,
             "columns": [(c["name"], c["type"], c["notnull"], c["pk"])
                         for c in load(directory, f"PRAGMA table_info('{table}')")]}
            for table in TABLES]


def test_same_tables_and_columns_as_parsl(runs):
    (parsl, _), (ours, _) = runs["parsl"], runs["dask_parsl"]
    assert_same("tables", table_columns(parsl), table_columns(ours))


def test_same_rows_as_parsl(runs):
    (parsl, parsl_out), (ours, our_out) = runs["parsl"], runs["dask_parsl"]
    assert our_out == parsl_out and parsl_out.endswith("done\n")

    parsl_tasks = task_rows(parsl)
    # the script does what it says: task 5 is a memo hit of task 4, and nothing else is hashed
    assert [(row["task_id"], row["task_hashsum"]) for row in parsl_tasks if row["task_hashsum"]] == [
        (4, "hash 1"), (5, "hash 1")]

    assert_same("workflow", workflow_rows(parsl), workflow_rows(ours))
    assert_same("task", parsl_tasks, task_rows(ours))
    assert_same("try", try_rows(parsl), try_rows(ours))
    assert_same("status", status_sequences(parsl), status_sequences(ours))
    for table in ("node", "block", "resource"):  # ThreadPoolExecutor: no blocks, no psutil samples
        assert_same(table, load(parsl, f"SELECT * FROM {table}"), load(ours, f"SELECT * FROM {table}"))

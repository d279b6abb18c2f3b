"""bash_app: commands built on the worker and run by /bin/bash in real subprocesses."""
import os
import time

import psutil
import pytest

import dask_parsl as parsl
from dask_parsl import (
    AUTO_LOGNAME,
    AppBadFormatting,
    AppTimeout,
    BadStdStreamFile,
    BashAppNoReturn,
    BashExitFailure,
    DataFuture,
    File,
    MissingOutputs,
    bash_app,
    python_app,
)


@bash_app
def echo(message, stdout=None, stderr=None):
    return f"echo {message}"


@bash_app
def run(command, stdout=None, stderr=None, outputs=(), walltime=None):
    return command


@python_app
def cat_input(inputs=()):
    return read(inputs[0].filepath)


def read(path):
    with open(path) as file:
        return file.read()


def test_the_command_runs_and_its_output_goes_to_stdout(dfk, tmp_path):
    out, err = str(tmp_path / "out.txt"), str(tmp_path / "err.txt")
    future = echo("hello world", stdout=out, stderr=err)
    assert future.result(timeout=60) == 0
    assert read(out) == "hello world\n"
    assert "echo hello world" in read(err)  # the command is echoed to stderr
    assert future.stdout == out and future.stderr == err


def test_stream_forms(dfk, tmp_path):
    appended = str(tmp_path / "logs" / "appended.txt")  # parent directories are created
    echo("one", stdout=appended).result(timeout=60)
    echo("two", stdout=appended).result(timeout=60)
    assert read(appended) == "one\ntwo\n"
    overwritten = str(tmp_path / "overwritten.txt")
    echo("one", stdout=(overwritten, "w")).result(timeout=60)
    echo("two", stdout=(overwritten, "w")).result(timeout=60)
    assert read(overwritten) == "two\n"
    as_file = tmp_path / "file.txt"
    echo("three", stdout=File(str(as_file))).result(timeout=60)
    assert as_file.read_text() == "three\n"
    assert echo("to nowhere", stdout=None).result(timeout=60) == 0


def test_streams_given_as_files_are_data_futures(dfk, tmp_path):
    out, err = File(str(tmp_path / "out.txt")), File(str(tmp_path / "err.txt"))
    future = echo("as a file", stdout=out, stderr=err)
    assert isinstance(future.stdout, DataFuture) and isinstance(future.stderr, DataFuture)
    assert future.stdout.result(timeout=60) is out and future.stderr.result(timeout=60) is err
    assert future.stdout.tid == future.tid
    assert read(future.stdout.filepath) == "as a file\n"
    assert "echo as a file" in read(future.stderr.filepath)
    # a later app waits for the stream like for any output
    assert cat_input(inputs=[future.stdout]).result(timeout=60) == "as a file\n"
    plain = echo("as a path", stdout=str(tmp_path / "plain.txt"))
    assert plain.stdout == str(tmp_path / "plain.txt") and plain.stderr is None


def test_a_failed_command_fails_its_stream_futures(dfk, tmp_path):
    future = run("exit 3", stdout=File(str(tmp_path / "out.txt")))
    with pytest.raises(BashExitFailure):
        future.stdout.result(timeout=60)


def test_auto_logname_puts_logs_in_the_run_directory(dfk):
    future = echo("logged", stdout=AUTO_LOGNAME, stderr=AUTO_LOGNAME)
    assert future.result(timeout=60) == 0
    tid = future.tid
    expected = os.path.join(dfk.run_dir, "task_logs", "0000", f"task_{tid:04d}_echo.stdout")
    assert future.stdout == expected
    assert read(expected) == "logged\n"
    assert future.stderr.endswith(f"task_{tid:04d}_echo.stderr")


def test_std_autopath_names_the_logs(load_dfk, tmp_path):
    load_dfk(std_autopath=lambda record, stream: str(tmp_path / f"{record['func_name']}.{stream}"))
    echo("custom", stdout=AUTO_LOGNAME).result(timeout=60)
    assert read(str(tmp_path / "echo.stdout")) == "custom\n"


def test_defaults_are_captured_at_decoration(dfk, tmp_path):
    out = str(tmp_path / "out.txt")

    @bash_app
    def greet(name="world", punctuation="!", stdout=out):
        return f"echo hello {name}{punctuation}"

    greet().result(timeout=60)
    greet(name="dask", punctuation="?").result(timeout=60)
    assert read(out) == "hello world!\nhello dask?\n"


@pytest.mark.parametrize("command, exitcode", [
    ("exit 15", 15),
    ("echo $((5/0))", 1),
    ("{not_executable}", 126),
    ("no-such-command-anywhere", 127),
])
def test_a_failing_command_raises_bash_exit_failure(dfk, tmp_path, command, exitcode):
    not_executable = tmp_path / "script.sh"
    not_executable.write_text("echo hi\n")
    err = str(tmp_path / "err.txt")
    future = run(command.format(not_executable=not_executable), stderr=err)
    with pytest.raises(BashExitFailure) as failure:
        future.result(timeout=60)
    assert failure.value.exitcode == exitcode
    assert failure.value.app_name == "run"
    assert failure.value.stderr == err
    assert f"stderr {err}" in str(failure.value)


def test_bash_exit_failure_shows_the_end_of_stderr(dfk, tmp_path):
    err = str(tmp_path / "err.txt")
    command = "for i in $(seq 1 30); do echo line $i >&2; done; exit 3"
    with pytest.raises(BashExitFailure) as failure:
        run(command, stderr=err).result(timeout=60)
    message = str(failure.value)
    assert "line 30" in message and "line 21" in message and "line 20\n" not in message


def test_missing_outputs(dfk, tmp_path):
    made, missing = File(str(tmp_path / "made.txt")), File(str(tmp_path / "missing.txt"))
    future = run(f"touch {made.filepath}", outputs=[made, missing])
    with pytest.raises(MissingOutputs) as failure:
        future.result(timeout=60)
    assert [f.filepath for f in failure.value.outputs] == [missing.filepath]


def test_bad_commands(dfk):
    @bash_app
    def returns_none():
        return None

    @bash_app
    def returns_number():
        return 5

    @bash_app
    def attribute_error():
        return None.command

    @bash_app
    def bad_format(x):
        template = "echo {0} {1}"
        return template.format(x)

    with pytest.raises(ValueError, match="must return its command line as a str, not NoneType"):
        returns_none().result(timeout=60)
    with pytest.raises(ValueError, match="not int"):
        returns_number().result(timeout=60)
    with pytest.raises(BashAppNoReturn):
        attribute_error().result(timeout=60)
    with pytest.raises(AppBadFormatting, match="IndexError"):
        bad_format(1).result(timeout=60)


def test_unusable_streams(dfk, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(BadStdStreamFile, match="a-file"):
        echo("x", stdout=str(blocker / "under-a-file.txt")).result(timeout=60)
    with pytest.raises(BadStdStreamFile, match="mode 'q'"):
        echo("x", stdout=(str(tmp_path / "out"), "q")).result(timeout=60)
    with pytest.raises(BadStdStreamFile, match="tuple of 3"):
        echo("x", stdout=(str(tmp_path / "out"), "w", "extra")).result(timeout=60)
    with pytest.raises(TypeError, match="stdout must be a path"):
        echo("x", stdout=5).result(timeout=60)


def test_walltime_kills_the_command_and_everything_it_started(dfk, tmp_path):
    pids = tmp_path / "pids"
    command = (f"echo $$ >> {pids}; sleep 300 & echo $! >> {pids}; "
               f"(sleep 300; echo never) & echo $! >> {pids}; wait")
    started = time.monotonic()
    with pytest.raises(AppTimeout, match="exceeded walltime: 1 seconds"):
        run(command, walltime=1).result(timeout=60)
    assert time.monotonic() - started < 20
    recorded = [int(pid) for pid in pids.read_text().split()]
    assert len(recorded) == 3
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in recorded) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in recorded if _alive(pid)], "processes left behind"


def _alive(pid):
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_command_within_its_walltime_finishes(dfk):
    assert run("sleep 0.1", walltime=30).result(timeout=60) == 0


@python_app
def spin(walltime=None):
    while True:
        sum(range(1000))


@python_app
def quick(walltime=None):
    return "done"


def test_python_walltime_raises_app_timeout_in_the_task(dfk):
    started = time.monotonic()
    with pytest.raises(AppTimeout, match="spin exceeded walltime"):
        spin(walltime=1).result(timeout=60)
    assert time.monotonic() - started < 20
    assert quick(walltime=5).result(timeout=60) == "done"
    assert [quick().result(timeout=60) for _ in range(4)] == ["done"] * 4  # workers still healthy


def test_cached_bash_apps_ignore_automatic_log_names(dfk, tmp_path):
    counter = tmp_path / "count"
    cached = bash_app(cache=True)(run.func)
    first = cached(f"echo x >> {counter}", stdout=AUTO_LOGNAME)
    first.result(timeout=60)
    second = cached(f"echo x >> {counter}", stdout=AUTO_LOGNAME)
    assert second.result(timeout=60) == 0
    assert second.task_status() == "memo_done"
    assert counter.read_text() == "x\n"


def test_bash_app_rejects_unknown_decorator_keywords():
    with pytest.raises(TypeError):
        bash_app(walltime=3)
    assert isinstance(bash_app(run.func), parsl.BashApp)


def test_the_bash_pipeline_example_runs_end_to_end(tmp_path):
    import subprocess
    import sys

    example = os.path.join(os.path.dirname(__file__), "..", "docs", "examples", "bash_pipeline.py")
    done = subprocess.run([sys.executable, example, str(tmp_path)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "total of 10 sorted files: 4950" in done.stdout
    assert read(str(tmp_path / "sorted-90.txt")).split() == [str(n) for n in range(99, 89, -1)]
    logs = tmp_path / "runinfo" / "000" / "task_logs" / "0000"
    stdout_logs = sorted(p.name for p in logs.glob("*sort_descending.stdout"))
    assert len(stdout_logs) == 10
    assert read(str(logs / stdout_logs[0])).startswith("sorted ")
    assert "seq" in read(str(next(logs.glob("*generate.stderr"))))  # the echoed command

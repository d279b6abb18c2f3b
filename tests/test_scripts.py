"""Parsl scripts as users write them: run as ``python script.py``, with no main guard."""
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

UNGUARDED = textwrap.dedent('''
    import os
    import signal
    import time

    import dask_parsl as parsl
    from dask_parsl import bash_app, join_app, python_app

    @python_app
    def double(x):
        return 2 * x

    @bash_app
    def echo(word, stdout=None):
        return f"echo {word}"

    @join_app
    def both(x):
        return [double(x), double(x + 1)]

    with parsl.load(CONFIG) as dfk:
        print("python", [f.result() for f in [double(i) for i in range(5)]])
        echo("hello", stdout="echo.out").result()
        print("bash", open("echo.out").read().strip())
        print("join", both(1).result())

        client = next(iter(dfk.executors.values())).client
        pids = client.run(os.getpid)
        victim = next(iter(pids.values()))
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:  # the nanny starts a new worker process
            now = set(client.run(os.getpid, on_error="ignore").values())
            if len(now) == len(pids) and victim not in now:
                break
            assert time.monotonic() < deadline, "no worker came back"
            time.sleep(0.2)
        print("after restart", sum(f.result() for f in [double(i) for i in range(20)]))
''')


def run_script(directory, text):
    script = directory / "workflow.py"
    script.write_text(text)
    done = subprocess.run([sys.executable, str(script)], cwd=directory, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "failed to start" not in done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize("config", [
    "None",  # the embedded default
    "parsl.Config(executors=[parsl.HighThroughputExecutor(provider=LocalProvider(),"
    " max_workers_per_node=2)])",
])
def test_a_script_without_a_main_guard_runs_also_after_a_worker_dies(tmp_path, config):
    imports = "from dask_parsl.providers import LocalProvider\n"
    lines = run_script(tmp_path, imports + UNGUARDED.replace("CONFIG", config))
    assert lines == ["python [0, 2, 4, 6, 8]", "bash hello", "join [2, 4]", "after restart 380"]


def python_blocks(text):
    """The Python examples of a Markdown or reStructuredText page."""
    fenced = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    directives = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    return fenced + [textwrap.dedent(block) for block in directives]


@pytest.mark.parametrize("page, expected", [
    ("README.md", ["999000"]),
    ("docs/quickstart.rst", ["999000", "[0, 2, 4]"]),
])
def test_the_first_example_of_a_page_runs_as_a_saved_script(tmp_path, page, expected):
    first = python_blocks((REPO / page).read_text())[0]
    assert run_script(tmp_path, first) == expected


FAILING = textwrap.dedent('''
    import dask_parsl as parsl
    from dask_parsl import python_app

    @python_app
    def fails():
        raise ValueError("an app failure")

    def plain_dask_work():
        raise KeyError("a failure of plain Dask work")

    with parsl.load() as dfk:
        try:
            fails().result()
        except ValueError as error:
            print("app raised:", error)
        client = next(iter(dfk.executors.values())).client
        try:
            client.submit(plain_dask_work).result()
        except KeyError as error:
            print("dask raised:", error)
        print(dfk.run_dir)
''')


def test_a_failed_app_is_logged_in_the_run_directory_not_on_the_terminal(tmp_path):
    script = tmp_path / "failing.py"
    script.write_text(FAILING)
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    app_line, dask_line, run_dir = done.stdout.splitlines()
    assert app_line == "app raised: an app failure"
    assert "an app failure" not in done.stderr
    assert done.stderr.count("Compute Failed") == 1 and "a failure of plain Dask work" in done.stderr
    logs = "".join(path.read_text() for path in (tmp_path / run_dir / "worker_logs").iterdir())
    assert "Compute Failed" in logs and "an app failure" in logs

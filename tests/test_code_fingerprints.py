"""Cached results are never stale: an app's fingerprint covers its defaults, closure and the
globals it reads, transitively through the user's own modules."""
import json
import subprocess
import sys
import warnings

import pytest
from cached_apps import count_run, locked_square, runs

from dask_parsl import python_app
from dask_parsl.memo import UnhashableGlobalWarning

SCRIPT = """
import json
import sys

import dask_parsl as parsl
from dask_parsl import Config, python_app
from helpers import helper


@python_app(cache=True)
def f(x, y=1):
    return helper(x) + y


@python_app(cache=True)
def g(x):
    from helpers import scaled

    return scaled(x)


with parsl.load(Config(checkpoint_mode="task_exit")):
    futures = [f(10), g(10)]
    print(json.dumps([[f.result() for f in futures], [f.task_status() for f in futures]]))
"""


def test_editing_a_default_or_a_helper_module_invalidates_checkpoints(tmp_path):
    (tmp_path / "workflow.py").write_text(SCRIPT)
    helpers = "def helper(x):\n    return x * 1\n\n\ndef scaled(x):\n    return x * 1\n"
    (tmp_path / "helpers.py").write_text(helpers)

    def run_script():
        done = subprocess.run([sys.executable, "workflow.py"], cwd=tmp_path, capture_output=True,
                              text=True, timeout=240)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.splitlines()[-1])

    assert run_script() == [[11, 10], ["exec_done", "exec_done"]]
    assert run_script() == [[11, 10], ["memo_done", "memo_done"]]
    (tmp_path / "workflow.py").write_text(SCRIPT.replace("y=1", "y=2"))
    assert run_script() == [[12, 10], ["exec_done", "memo_done"]]
    (tmp_path / "helpers.py").write_text(helpers.replace("x * 1", "x * 3"))
    assert run_script() == [[32, 30], ["exec_done", "exec_done"]]


def make_app(source, **globals_):
    """The app ``f`` of a script whose author keeps editing ``source`` and its globals."""
    namespace = {"__name__": "workflow_under_edit", "count_run": count_run, **globals_}
    exec(source, namespace)
    return python_app(namespace["f"], cache=True)


@pytest.fixture
def log(tmp_path):
    return str(tmp_path / "runs.log")


def results(app, log):
    futures = [app(10, log), app(10, log)]
    return [f.result(timeout=60) for f in futures], futures[1].task_status()


@pytest.mark.parametrize("signature", ["x, log, y={}", "x, log, *, y={}"], ids=["positional", "keyword-only"])
def test_apps_that_differ_in_a_default_do_not_share_results(dfk, log, signature):
    source = f"def f({signature}):\n    count_run(log)\n    return x + y\n"
    assert results(make_app(source.format(1)), log) == ([11, 11], "memo_done")
    assert results(make_app(source.format(2)), log) == ([12, 12], "memo_done")
    assert runs(log) == 2


def scaled_by(factor):
    def f(x, log):
        count_run(log)
        return x * factor

    return python_app(f, cache=True)


def test_apps_that_differ_in_their_closure_do_not_share_results(dfk, log):
    assert results(scaled_by(2), log) == ([20, 20], "memo_done")
    assert results(scaled_by(3), log) == ([30, 30], "memo_done")
    assert runs(log) == 2


HELPER = "def helper(x):\n    return {}\n"
SOURCE = "def f(x, log):\n    count_run(log)\n    return helper(x) + OFFSET\n"


def test_apps_that_differ_in_a_global_or_a_helper_do_not_share_results(dfk, log):
    def app(offset, helper_body, inner_body="x"):
        namespace = {"__name__": "workflow_under_edit"}
        exec(HELPER.format(helper_body), namespace)
        exec("def inner(x):\n    return " + inner_body, namespace)
        return make_app(SOURCE, OFFSET=offset, helper=namespace["helper"], inner=namespace["inner"])

    assert results(app(1, "x"), log) == ([11, 11], "memo_done")
    assert results(app(2, "x"), log) == ([12, 12], "memo_done")
    assert results(app(2, "x * 3"), log) == ([32, 32], "memo_done")
    # the helper's own helper, defined in a namespace the helper reads
    assert results(app(2, "inner(x)", "x * 4"), log)[0] == [42, 42]
    assert results(app(2, "inner(x)", "x * 5"), log)[0] == [52, 52]
    assert runs(log) == 5


def test_a_global_that_cannot_be_hashed_is_named_once_and_memoization_goes_on(dfk, log):
    with pytest.warns(UnhashableGlobalWarning, match=r"locked_square reads LOG_LOCK \(_thread.lock\)"):
        first = locked_square(3, log)
    assert first.result(timeout=60) == 9
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnhashableGlobalWarning)
        assert locked_square(3, log).result(timeout=60) == 9
    assert runs(log) == 1

"""Bad input gets a clear error, at load or at the call, naming what was wrong and what to
do; the rest of the workflow goes on."""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy
import pytest

import dask_parsl as parsl
from dask_parsl import (
    BadAppArgument,
    BadCheckpoint,
    Config,
    ConfigurationError,
    DaskExecutor,
    File,
    RemoteExceptionNotLoadable,
    ThreadPoolExecutor,
    python_app,
)


@python_app
def echo(x, inputs=(), outputs=(), walltime=None):
    return x


@python_app
def raises():
    raise ValueError("the app's own failure")


@pytest.mark.parametrize("executors, said", [
    ([], r"executors=\[\] leaves apps nothing to run on"),
    ("threads", "executors must be a list of executors, not 'threads'"),
])
def test_executors_that_are_not_a_list_of_executors(run_dir, executors, said):
    with pytest.raises(ConfigurationError, match=said):
        Config(executors=executors, run_dir=run_dir)


def test_checkpoint_files_naming_a_missing_directory(run_dir, tmp_path):
    missing = str(tmp_path / "no-such-run" / "checkpoint")
    config = Config(executors=[ThreadPoolExecutor()], run_dir=run_dir, checkpoint_files=[missing])
    with pytest.raises(BadCheckpoint, match=f"{missing}, which is not a checkpoint directory"):
        parsl.load(config)


def test_ignore_for_cache_naming_a_parameter_the_app_lacks():
    with pytest.raises(ConfigurationError, match=r"'verbos', which regrid\(\) does not take; its "
                                                  "parameters are: data, resolution, verbose"):
        @python_app(cache=True, ignore_for_cache=["verbos"])
        def regrid(data, resolution, verbose=False):
            return data


def test_ignore_for_cache_given_as_a_string():
    with pytest.raises(ConfigurationError, match="must be a list of parameter names, not 'verbose'"):
        @python_app(cache=True, ignore_for_cache="verbose")
        def regrid(data, verbose=False):
            return data


@pytest.mark.parametrize("keywords, said", [
    ({"inputs": "a.csv"}, r"echo\(inputs=...\) must be a list .* not 'a.csv' \(str\)"),
    ({"outputs": ["out.txt"]}, r"'out.txt' \(str\) is not one: write File\('out.txt'\)"),
    ({"outputs": File("out.txt")}, r"echo\(outputs=...\) must be a list of File objects"),
    ({"walltime": "10 minutes"}, r"walltime=...\) must be a number of seconds > 0, not '10 minutes'"),
    ({"walltime": -1}, r"walltime=...\) must be a number of seconds > 0, not -1"),
])
def test_app_keywords_the_app_cannot_use(dfk, keywords, said):
    future = echo(1, **keywords)
    with pytest.raises(BadAppArgument, match=said):
        future.result(timeout=60)
    assert echo(2).result(timeout=60) == 2  # the workflow goes on


def test_a_numpy_cost_is_a_cost(load_dfk):
    load_dfk(retries=1, retry_handler=lambda error, record: numpy.int64(1))
    future = raises()
    assert isinstance(future.exception(timeout=60), ValueError)
    assert future.task_record["fail_count"] == 2 and future.task_record["fail_cost"] == 2


@pytest.mark.parametrize("executor", ["dask", "threads"])
@pytest.mark.parametrize("cost", [None, -1, "two", float("nan"), True])
def test_a_retry_handler_answer_that_is_not_a_cost(cluster, run_dir, executor, cost):
    asked = []

    def handler(error, task_record):
        asked.append(task_record["id"])
        return cost

    executors = [DaskExecutor(cluster=cluster)] if executor == "dask" else [ThreadPoolExecutor()]
    with parsl.load(Config(executors=executors, run_dir=run_dir, retries=3, retry_handler=handler)):
        future = raises()
        error = future.exception(timeout=60)
        assert echo(3).result(timeout=60) == 3
    assert isinstance(error, ConfigurationError)
    assert f"retry_handler returned {cost!r} for task {future.tid} (raises)" in str(error)
    assert "a number >= 0" in str(error)
    assert len(asked) == 1  # not retried, and never retried forever
    assert "the app's own failure" in future.task_record["fail_history"][0]


@python_app
def raises_a_class_only_workers_have(directory):
    import sys

    sys.path.insert(0, directory)
    import only_on_workers

    raise only_on_workers.OnlyOnWorkers("made on the worker")


def test_an_exception_class_this_process_cannot_load(dfk, tmp_path):
    (tmp_path / "only_on_workers.py").write_text("class OnlyOnWorkers(Exception):\n    pass\n")
    future = raises_a_class_only_workers_have(str(tmp_path))
    with pytest.raises(RemoteExceptionNotLoadable) as raised:
        future.result(timeout=60)
    said = str(raised.value)
    assert f"task {future.tid} (raises_a_class_only_workers_have)" in said
    assert "No module named 'only_on_workers'" in said
    assert "OnlyOnWorkers('made on the worker')" in said
    assert "in raises_a_class_only_workers_have" in raised.value.traceback_text
    assert "OnlyOnWorkers('made on the worker')" in future.task_record["fail_history"][0]


def test_a_run_dir_that_cannot_be_made(tmp_path):
    taken = tmp_path / "a-file"
    taken.write_text("not a directory")
    with pytest.raises(ConfigurationError, match=r"cannot make this run's directory under "
                                                  r"run_dir='.*a-file/runinfo' \(Not a directory\)"):
        parsl.load(Config(executors=[ThreadPoolExecutor()], run_dir=str(taken / "runinfo")))


LOAD_WITH_CHECKPOINTS = """
import os
import dask_parsl as parsl
from dask_parsl import Config, ConfigurationError, ThreadPoolExecutor
print("it reads", sorted(os.listdir({run_dir!r})))
try:
    parsl.load(Config(executors=[ThreadPoolExecutor()], run_dir={run_dir!r}, checkpoint_mode="task_exit"))
except ConfigurationError as error:
    print(error)
"""


def test_a_checkpoint_directory_the_user_cannot_write(tmp_path):
    if os.geteuid() == 0:  # permissions bind root only through another user: run the script as nobody
        base = tempfile.mkdtemp()  # outside pytest's tmp_path, which only root can enter
        os.chmod(base, 0o755)
        run_dir = os.path.join(base, "runinfo")
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "-c"]
    else:
        base, run_dir = None, str(tmp_path / "runinfo")
        command = [sys.executable, "-c"]
    try:
        os.makedirs(os.path.join(run_dir, "000"))  # an earlier run's, kept
        if base is None:
            os.chmod(run_dir, 0o555)
        said = subprocess.run([*command, LOAD_WITH_CHECKPOINTS.format(run_dir=run_dir)], capture_output=True,
                              text=True, timeout=120, cwd="/")
        assert said.returncode == 0, said.stderr
        assert "it reads ['000']" in said.stdout
        assert f"directory under run_dir='{run_dir}' (Permission denied)" in said.stdout
        assert "give Config(run_dir=...) a directory you can write" in said.stdout
        assert os.listdir(run_dir) == ["000"]
    finally:
        if base is not None:
            shutil.rmtree(base)

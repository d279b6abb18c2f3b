"""``dask-parsl monitor summary|failures|report`` on a real run's database, run as a user
runs them: in a subprocess, from the directory the run left its ``runinfo`` in."""
import os
import re
import subprocess
import sys

import pytest
from simple_apps import Boom, boom, double

import dask_parsl
from dask_parsl import Config, MonitoringHub, ThreadPoolExecutor, bash_app, python_app

DASK_PARSL = os.path.join(os.path.dirname(sys.executable), "dask-parsl")


@python_app(cache=True)
def cached_square(x):
    return x * x


@bash_app
def exits_with(code, stdout=None, stderr=None):
    return f"echo about to fail; exit {code}"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A directory holding ``runinfo/monitoring.db`` of one finished run (retries=1)."""
    where = tmp_path_factory.mktemp("monitored")
    config = Config(executors=[ThreadPoolExecutor()], run_dir=str(where / "runinfo"), retries=1,
                    monitoring=MonitoringHub(workflow_name="nightly"))
    with dask_parsl.load(config):
        assert [f.result(timeout=60) for f in [double(i) for i in range(3)]] == [0, 2, 4]
        assert cached_square(4).result(timeout=60) == cached_square(4).result(timeout=60) == 16
        with pytest.raises(Boom):
            boom().result(timeout=60)
        failing = exits_with(3, stdout=str(where / "exits.out"), stderr=str(where / "exits.err"))
        with pytest.raises(Exception, match="3"):
            failing.result(timeout=60)
    return where


def monitor(workdir, *args):
    done = subprocess.run([DASK_PARSL, "monitor", *args], cwd=workdir, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_summary_counts_each_app_of_the_latest_run(workdir):
    out = monitor(workdir, "summary")
    assert re.search(r"nightly .* 4 completed, 2 failed", out)  # as Parsl counts: exec_done, failed
    lines = out.splitlines()
    header = next(index for index, line in enumerate(lines) if line.split()[:1] == ["app"])
    table = {line.split()[0]: line.split()[1:] for line in lines[header + 1:] if line.strip()}
    # tasks, done, memo, failed, dep_fail, tries, retries
    assert table["double"][:7] == ["3", "3", "0", "0", "0", "3", "0"]
    assert table["cached_square"][:7] == ["2", "1", "1", "0", "0", "1", "0"]
    assert table["boom"][:7] == ["1", "0", "0", "1", "0", "2", "1"]
    assert table["exits_with"][:7] == ["1", "0", "0", "1", "0", "2", "1"]


def test_failures_name_the_task_its_error_and_its_streams(workdir):
    out = monitor(workdir, "failures", "runinfo")
    assert "2 failed task(s)" in out
    assert re.search(r"task \d+ \(boom\): failed after 2 tries\n  error:  Boom\('no'\)", out)
    assert re.search(r"task \d+ \(exits_with\): failed after 2 tries\n  error:  BashExitFailure", out)
    assert f"stdout: {workdir / 'exits.out'}" in out and f"stderr: {workdir / 'exits.err'}" in out


def test_the_report_is_one_self_contained_page(workdir):
    out = monitor(workdir, "report", "-o", "report.html")
    assert out.strip() == "wrote report.html"
    page = (workdir / "report.html").read_text()
    assert "nightly" in page and "Task stream" in page and "Tasks by state over time" in page
    assert not re.search(r"<script[^>]+src=", page)  # Bokeh's JavaScript is inlined: it opens offline


def test_a_workflow_is_chosen_by_its_run_id_and_a_missing_database_is_named(workdir, tmp_path):
    run_id = re.search(r"^\s+(\S+)\s+nightly", monitor(workdir, "summary"), re.M).group(1)
    assert f"run {run_id}" in monitor(workdir, "failures", "--workflow", run_id[:8])
    done = subprocess.run([DASK_PARSL, "monitor", "summary"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1 and "no monitoring database at runinfo" in done.stderr

"""The Workflow page of the Dask dashboard: listed, live, and equal to the kernel's counts."""
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest
from browser import headless_chromium, screenshot
from servers import free_port, wait_for_port

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, States, python_app

PAGE_STATES = ("pending", "launched", "running", "joining", "exec_done", "memo_done", "failed", "dep_fail")


@python_app
def gated(gate, x):
    import os
    import time

    while not os.path.exists(gate):
        time.sleep(0.05)
    return x


@python_app
def after(x):
    return x + 1


@python_app
def broken(x):
    raise ValueError(f"broken input {x}")


@python_app(cache=True)
def squared(x):
    return x * x


def dashboard_base(cluster):
    return cluster.dashboard_link.rsplit("/", 1)[0]


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def kernel_counts(dfk):
    """``task_state_counts`` as the page names them (the page splits ``launched`` into
    ``launched`` and ``running``)."""
    counts = {state.name: n for state, n in dfk.task_state_counts.items() if n}
    return {state: n for state, n in counts.items() if state in PAGE_STATES}


def page_counts(rows):
    """Totals by state of the page's rows, ``running`` counted as ``launched``."""
    totals = {}
    for row in rows:
        for state in PAGE_STATES:
            name = "launched" if state == "running" else state
            totals[name] = totals.get(name, 0) + row[state]
    return {state: n for state, n in totals.items() if n}


def board_rows(dfk):
    """The page's rows (app -> state -> n) for this kernel, as its scheduler holds them."""
    run_id = dfk.run_id

    def rows(dask_scheduler):
        board = dask_scheduler.plugins["dask-parsl-workflow"].board
        run = next((run for run in board.runs.values() if run.run_id == run_id), None)
        return None if run is None else run.by_app()

    return dfk.executors["dask"].client.run_on_scheduler(rows)


def until(condition, timeout=30, message="timed out"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def start_workflow(tmp_path):
    """Tasks of five apps, three held at a gate: some done, some cached, one failed,
    some running, some waiting for them."""
    gate = str(tmp_path / "gate")
    done = [squared(2), squared(2), after(1)]
    for future in done:
        future.result(timeout=60)
    failed = broken(7)
    held = [gated(gate, i) for i in range(3)]
    waiting = [after(future) for future in held]
    failed.exception(timeout=60)
    return gate, held + waiting


def test_the_page_is_in_the_dashboard_menu_and_in_individual_plots(cluster, dfk):
    base = dashboard_base(cluster)  # the page came with the workflow's plugin
    assert json.loads(get(f"{base}/individual-plots.json"))["Individual Workflow"] == "/individual-workflow"
    assert 'href="workflow"' in get(f"{base}/status")  # in the menu of Dask's pages
    page = get(f"{base}/workflow")
    assert '"root_ids"' in page and '<a href="individual-workflow">Workflow</a>' in page  # a bokeh document


def test_the_scheduler_counts_each_app_by_state_as_the_kernel_does(dfk, tmp_path):
    gate, futures = start_workflow(tmp_path)
    until(lambda: (rows := board_rows(dfk)) and page_counts(rows.values()) == kernel_counts(dfk),
          message="the scheduler's counts never matched the kernel's")
    rows = board_rows(dfk)
    assert rows["squared"]["exec_done"] == rows["squared"]["memo_done"] == 1
    assert rows["broken"]["failed"] == 1
    assert rows["gated"]["running"] >= 1  # on a worker: two workers of one thread
    assert rows["gated"]["running"] + rows["gated"]["launched"] == 3
    open(gate, "w").close()
    assert [f.result(timeout=60) for f in futures] == [0, 1, 2, 1, 2, 3]
    until(lambda: page_counts(board_rows(dfk).values()) == kernel_counts(dfk))
    assert board_rows(dfk)["after"] == {**dict.fromkeys(PAGE_STATES, 0), "exec_done": 4, "retries": 0}


def test_the_page_in_a_browser_shows_the_kernels_counts_live(cluster, dfk, tmp_path):
    driver = headless_chromium()
    try:
        gate, futures = start_workflow(tmp_path)
        driver.get(f"{dashboard_base(cluster)}/workflow")
        read = ("const doc = Bokeh.documents[0]; const [name, field] = arguments;"
                "return doc ? doc.get_model_by_name(name)[field] : null;")

        def rows():
            data = driver.execute_script(read, "workflow-counts", "data")
            if not data:
                return []
            return [{name: data[name][i] for name in data} for i in range(len(data["app"]))]

        until(lambda: page_counts(rows()) == kernel_counts(dfk), timeout=60,
              message="the page never showed the kernel's counts")
        assert {row["app"] for row in rows()} == {"squared", "after", "broken", "gated"}
        failures = driver.execute_script(read, "workflow-failures", "text")
        assert "<td class='text'>broken</td>" in failures and "broken input 7" in failures
        screenshot(driver, "workflow_page_running.png")

        open(gate, "w").close()
        [f.result(timeout=60) for f in futures]
        final = {"exec_done": 8, "memo_done": 1, "failed": 1}
        until(lambda: page_counts(rows()) == kernel_counts(dfk) == final,
              message="the page never showed the finished workflow")
        until(lambda: driver.execute_script(read, "workflow-finished", "data")["finished"][-1:] == [10],
              message="the progress line never reached the 10 finished tasks")
        assert "<td class='text'>gated</td><td class=''>3</td>" in driver.execute_script(
            read, "workflow-table", "text")
        assert "Workflow" in driver.title
        screenshot(driver, "workflow_page.png")
    finally:
        driver.quit()


@contextlib.contextmanager
def scheduler_and_worker(scheduler_command):
    """A scheduler (``scheduler_command``, given its address here) and a worker, in
    processes of their own as a cluster admin starts them; yields (address, dashboard URL)."""
    port, dashboard = free_port(), free_port()
    env = dict(os.environ, PYTHONPATH=os.path.dirname(__file__))  # the worker imports this module
    scheduler = subprocess.Popen(
        [*scheduler_command, "--host", "127.0.0.1", "--port", str(port),
         "--dashboard-address", f"127.0.0.1:{dashboard}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"tcp://127.0.0.1:{port}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
         "--host", "127.0.0.1", "--no-dashboard"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, scheduler)
        wait_for_port(dashboard, scheduler)
        yield address, f"http://127.0.0.1:{dashboard}"
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(30)


@pytest.fixture
def remote_scheduler():
    """Started with the documented ``--preload``."""
    with scheduler_and_worker([sys.executable, "-m", "distributed.cli.dask_scheduler",
                               "--preload", "dask_parsl.dashboard"]) as where:
        yield where


def test_a_remote_scheduler_started_with_the_preload_shows_the_page(remote_scheduler, run_dir):
    address, dashboard = remote_scheduler
    assert "Individual Workflow" in json.loads(get(f"{dashboard}/individual-plots.json"))
    with parsl.load(Config(executors=[DaskExecutor(cluster=address)], run_dir=run_dir)) as dfk:
        assert [after(i).result(timeout=120) for i in range(5)] == [1, 2, 3, 4, 5]
        until(lambda: (board_rows(dfk) or {}).get("after", {}).get("exec_done") == 5)
        assert kernel_counts(dfk) == {"exec_done": 5}
    assert dfk.task_state_counts[States.exec_done] == 5
    assert '"root_ids"' in get(f"{dashboard}/workflow")


def test_a_scheduler_started_without_dask_parsl_gets_the_page_when_a_workflow_connects(run_dir):
    """As dask-labextension's "new cluster" button starts one: dask_parsl not imported, no preload."""
    command = [sys.executable, "-c", "import sys; from distributed.cli.dask_scheduler import main;"
               "assert 'dask_parsl' not in sys.modules; main()"]
    with scheduler_and_worker(command) as (address, base):
        assert "Individual Workflow" not in json.loads(get(f"{base}/individual-plots.json"))
        with parsl.load(Config(executors=[DaskExecutor(cluster=address)], run_dir=run_dir)) as dfk:
            assert after(1).result(timeout=120) == 2
            plots = json.loads(get(f"{base}/individual-plots.json"))
            assert plots["Individual Workflow"] == "/individual-workflow"
            assert 'href="workflow"' in get(f"{base}/status")
            until(lambda: (board_rows(dfk) or {}).get("after", {}).get("exec_done") == 1)
        driver = headless_chromium()
        try:
            driver.get(f"{base}/workflow")
            text = until(lambda: driver.execute_script(
                "const doc = Bokeh.documents[0]; return doc && doc.get_model_by_name('workflow-title').text"))
            assert "1 tasks (ended" in text and "1 exec done" in text
        finally:
            driver.quit()

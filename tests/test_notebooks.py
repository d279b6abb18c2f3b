"""Notebooks on a real Jupyter kernel (nbclient): the tutorial, the reprs, the progress
widget's stored state, and a cell interrupted while it waits for results."""
import os
import pathlib
import signal
import threading

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipywidgets")

TUTORIAL = pathlib.Path(__file__).parent.parent / "docs" / "tutorial.ipynb"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def tagged(notebook, tag):
    return next(cell for cell in notebook.cells if tag in cell.metadata.get("tags", ()))


def html_of(cell):
    return "".join(output.get("data", {}).get("text/html", "") for output in cell.outputs)


def text_of(cell):
    """What the cell printed to stdout and its value."""
    return "".join(output.get("data", {}).get("text/plain", "") + output.get("text", "")
                   for output in cell.outputs if output.get("name", "stdout") == "stdout")


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory):
    notebook = nbformat.read(TUTORIAL, as_version=4)
    where = {"metadata": {"path": str(tmp_path_factory.mktemp("tutorial"))}}
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", store_widget_state=True,
                                     resources=where)
    client.execute()
    return notebook


def test_the_tutorial_runs_and_shows_the_kernel_and_its_dashboard(tutorial):
    first = html_of(tagged(tutorial, "dfk-repr"))
    assert "DataFlowKernel" in first and "http://127.0.0.1:" in first
    final = html_of(tagged(tutorial, "final-repr"))
    assert "exec_done" in final and "memo_done" in final and "failed" in final


def test_the_progress_widget_holds_the_counts_of_each_app(tutorial):
    models = tutorial.metadata["widgets"][WIDGET_STATE]["state"].values()
    bars = {model["state"]["description"]: model["state"] for model in models
            if model["model_name"] == "IntProgressModel"}
    assert {app: (bar["value"], bar["max"]) for app, bar in bars.items()} == {
        "read_station": (12, 12), "daily_means": (12, 12), "summarize": (1, 1), "flaky_upload": (1, 1)}
    assert all(bar["bar_style"] == "success" for bar in bars.values())


def test_the_rerun_is_answered_from_the_cache_and_failures_show_their_error(tutorial):
    assert text_of(tagged(tutorial, "cached-rerun")).strip() == "(True, 24)"
    failed = html_of(tagged(tutorial, "failed-future"))
    assert "ValueError" in failed and "calibration factor must be positive, not 0" in failed
    assert text_of(tagged(tutorial, "cancel")).strip() == "(True, 'DependencyError', 1)"


INTERRUPTED = [
    "import dask_parsl as parsl\nfrom dask_parsl import python_app\n"
    "dfk = parsl.load(parsl.Config(executors=[parsl.DaskExecutor(n_workers=1, dashboard_address=':0')]))",
    "@python_app\ndef slow(x):\n    import time\n    time.sleep(600)\n    return x\n\n"
    "futures = [slow(i) for i in range(3)]\n[f.result() for f in futures]",
    "counts = {s.name: n for s, n in dfk.task_state_counts.items() if n}\nprint(counts)\n"
    "print(sum(f.cancel() for f in futures), 'cancelled')\n"
    "print(dfk.tasks and 'unfinished' or 'none unfinished')",
    "import psutil\nworkers = [p for p in psutil.Process().children(recursive=True)\n"
    "           if 'resource_tracker' not in ' '.join(p.cmdline())]  # Python's, for the kernel's life\n"
    "dfk.cleanup()\ngone, alive = psutil.wait_procs(workers, timeout=30)\nprint(len(workers) > 0, alive)",
]


def test_an_interrupted_cell_leaves_its_tasks_in_view_and_cancellable(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in INTERRUPTED])
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        client.execute_cell(notebook.cells[0], 0)
        # Jupyter's stop button: SIGINT to the kernel process
        timer = threading.Timer(5, os.kill, (client.km.provisioner.pid, signal.SIGINT))
        timer.start()
        client.execute_cell(notebook.cells[1], 1)
        timer.join()
        assert [output.get("ename") for output in notebook.cells[1].outputs] == ["KeyboardInterrupt"]
        for index in (2, 3):
            client.execute_cell(notebook.cells[index], index)
    lines = text_of(notebook.cells[2]).splitlines()
    assert lines == ["{'launched': 3}", "3 cancelled", "none unfinished"]
    assert text_of(notebook.cells[3]).strip() == "True []"  # no worker process outlived cleanup

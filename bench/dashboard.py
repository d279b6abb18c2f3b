"""What the Workflow page costs: its refresh at 100 and at 100,000 tasks, and a workflow's
throughput with the page open in a browser and closed, in one run.

Run by hand (needs Debian's chromium and chromium-driver for the second part)::

    python bench/dashboard.py [--small 100] [--large 100000] [--refreshes 200]
                              [--tasks 20000] [--batch 5000] [--repeats 3]

Refresh: a kernel runs ``--small`` (then ``--large``) no-op app calls on a LocalCluster (2
worker processes x 1 thread) and stays loaded; on the scheduler's event loop, a
``WorkflowPage`` in a bokeh document redraws ``--refreshes`` times, each time after the
workflow's report changed (one more task finished), as during a run. The figure is the
scheduler thread's CPU time per redraw, and the kernel's CPU time per report it builds.

Throughput: ``--tasks`` no-op calls in batches of ``--batch`` (each read with
``[f.result() for f in futures]``) on the same cluster, a fresh kernel per run, with no
browser and with headless Chromium showing the page (which redraws twice a second),
alternately. The browser shares the two cores, so its own CPU counts against the open
side. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

from distributed import LocalCluster

import dask_parsl
from dask_parsl import Config, DaskExecutor, python_app

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))


@python_app
def noop(i):
    return i


def run_tasks(tasks: int, batch: int) -> None:
    for first in range(0, tasks, batch):
        futures = [noop(i) for i in range(first, min(first + batch, tasks))]
        [f.result() for f in futures]


def refresh_cost(cluster: LocalCluster, tasks: int, refreshes: int, run_dir: str) -> tuple[float, float]:
    """(scheduler CPU µs per page redraw, kernel CPU µs per report) with ``tasks`` done."""
    config = Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)
    with dask_parsl.load(config) as dfk:
        run_tasks(tasks, 10_000)
        dfk.status_reporter.send()
        run_id = dfk.run_id

        def redraws(dask_scheduler, run_id=run_id, refreshes=refreshes):
            from bokeh.document import Document

            from dask_parsl.dashboard.page import WorkflowPage

            board = dask_scheduler.plugins["dask-parsl-workflow"].board
            client, run = next((client, run) for client, run in board.runs.items() if run.run_id == run_id)
            page = WorkflowPage(dask_scheduler)
            Document().add_root(page.root)
            page.update()
            spent = 0.0
            for i in range(refreshes):
                apps = {app: {**counts, "exec_done": counts["exec_done"] + i + 1}
                        for app, counts in run.apps.items()}
                board.report(client, run_id, apps, run.retried, [])
                started = time.thread_time()
                page.update()
                spent += time.thread_time() - started
            return spent / refreshes

        per_redraw = dfk.executors["dask"].client.run_on_scheduler(redraws)
        started = time.thread_time()
        for _ in range(refreshes):
            dfk.status_reporter._sent = None  # as if the counts had changed
            dfk.status_reporter.send()
        per_report = (time.thread_time() - started) / refreshes
    return per_redraw * 1e6, per_report * 1e6


def timed_run(cluster: LocalCluster, tasks: int, batch: int, run_dir: str, browser) -> float:
    config = Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)
    started = time.perf_counter()
    with dask_parsl.load(config):
        if browser is not None:
            browser.get(cluster.dashboard_link.replace("/status", "/workflow"))
        run_tasks(tasks, batch)
    elapsed = time.perf_counter() - started
    if browser is not None:
        browser.get("about:blank")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--refreshes", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    settings = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dask-parsl-bench-dashboard-")
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0") as cluster:
        print(f"Workflow page refresh, {settings.refreshes} redraws after a changed report:")
        for tasks in (settings.small, settings.large):
            per_redraw, per_report = refresh_cost(cluster, tasks, settings.refreshes, work)
            print(f"  {tasks:>7} tasks: scheduler {per_redraw:7.0f} µs CPU per redraw, "
                  f"kernel {per_report:5.0f} µs CPU per report")

        from browser import headless_chromium

        browser = headless_chromium()
        try:
            times: dict[str, list[float]] = {"closed": [], "open": []}
            timed_run(cluster, settings.batch, settings.batch, work, None)  # warm up
            for _ in range(settings.repeats):
                times["closed"].append(timed_run(cluster, settings.tasks, settings.batch, work, None))
                times["open"].append(timed_run(cluster, settings.tasks, settings.batch, work, browser))
        finally:
            browser.quit()
    ratios = [closed / opened for closed, opened in zip(times["closed"], times["open"], strict=True)]
    print(f"Throughput, {settings.tasks} no-op tasks, medians of {settings.repeats}:")
    for side, values in times.items():
        median = statistics.median(values)
        print(f"  page {side:<6} {median:6.2f} s  {settings.tasks / median:8.0f} tasks/s  "
              f"({', '.join(f'{v:.2f}' for v in values)})")
    print(f"  closed / open: {statistics.median(ratios):.2f} (1.00: the open page costs nothing)")


if __name__ == "__main__":
    main()

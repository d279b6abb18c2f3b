"""The Workflow page of the Dask dashboard.

``/workflow`` in the dashboard's menu, and ``/individual-workflow`` for
dask-labextension's panels. A scheduler gets the page when the first workflow
connects to it (``WorkflowPlugin`` adds it to the running dashboard), or from its
start with ``--preload dask_parsl.dashboard`` (or ``distributed.scheduler.preload:
[dask_parsl.dashboard]`` in Dask's config), which lists it in the menus at once.
"""
from __future__ import annotations

from typing import Any

from ..internals.dashboard import add_dashboard_page, add_page_to_running_dashboard

WORKFLOW_ROUTE = "/workflow"
INDIVIDUAL_ROUTE = "/individual-workflow"


def _page(name: str) -> Any:
    def page(scheduler: Any, extra: dict, doc: Any) -> None:
        from . import page as pages  # bokeh is imported when a page is first opened

        getattr(pages, name)(scheduler, extra, doc)

    return page


def add_workflow_pages() -> bool:
    """Serve the Workflow page on the dashboards of schedulers started from now on in this
    process; False if they have no dashboard (bokeh missing)."""
    return (add_dashboard_page(WORKFLOW_ROUTE, _page("workflow_doc"), in_menu="workflow")
            and add_dashboard_page(INDIVIDUAL_ROUTE, _page("individual_workflow_doc")))


def add_workflow_pages_to(scheduler: Any) -> bool:
    """Serve the Workflow page on the running dashboard of ``scheduler`` if it lacks it."""
    page = _page("workflow_doc")
    return (add_page_to_running_dashboard(scheduler, WORKFLOW_ROUTE, page, in_menu="workflow")
            and add_page_to_running_dashboard(scheduler, INDIVIDUAL_ROUTE, _page("individual_workflow_doc")))


def dask_setup(scheduler: Any) -> None:
    """``--preload dask_parsl.dashboard``: the page is added as the module is imported,
    before the scheduler starts its dashboard."""


add_workflow_pages()

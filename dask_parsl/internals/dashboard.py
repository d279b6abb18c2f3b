"""The scheduler dashboard's internals: its page table, its template and its theme."""
from __future__ import annotations

import functools
import sys
from typing import Any, Callable

PageFunction = Callable[[Any, dict, Any], None]  # (scheduler, template variables, bokeh document)


# -- distributed.dashboard.scheduler (distributed 2026.8.0) -----------------------------
def add_dashboard_page(route: str, page: PageFunction, in_menu: str | None = None) -> bool:
    """Serve ``page`` at ``route`` on the dashboard of every scheduler started from now on
    in this process (the module-level ``applications`` table that
    ``distributed.dashboard.scheduler.connect`` reads when a scheduler starts); a route
    starting with ``/individual-`` is listed in ``individual-plots.json``. ``in_menu``
    names the page in the dashboard's top menu. False if the dashboard cannot be served
    (bokeh missing or unsupported). Tested on distributed 2026.8.0."""
    try:
        from distributed.dashboard import scheduler as dashboard
    except ImportError:
        return False
    dashboard.applications[route] = page
    if in_menu is not None:
        original = getattr(dashboard.template_variables, "_dask_parsl_original", dashboard.template_variables)
        pages = getattr(original, "_dask_parsl_pages", [])
        if in_menu not in pages:
            pages.append(in_menu)
        original._dask_parsl_pages = pages

        def template_variables(scheduler: Any) -> dict:
            variables = original(scheduler)  # memoized per scheduler; its pages share one list
            variables["pages"].extend(page for page in pages if page not in variables["pages"])
            return variables

        template_variables._dask_parsl_original = original
        dashboard.template_variables = template_variables
    return True


def dashboard_template() -> Any:
    """The jinja template of Dask's own pages (menu, logo), and the theme of their plots
    (``distributed.dashboard.components.scheduler``; tested on distributed 2026.8.0)."""
    from distributed.dashboard.components.scheduler import BOKEH_THEME, env

    return env.get_template("simple.html"), BOKEH_THEME


# -- a dashboard already serving (distributed 2026.8.0, bokeh 3.9) --------------------------
def add_page_to_running_dashboard(scheduler: Any, route: str, page: PageFunction,
                                  in_menu: str | None = None) -> bool:
    """Serve ``page`` at ``route`` on the running dashboard of ``scheduler``, started before
    dask_parsl was imported: a new bokeh application with the URL rules ``BokehTornado``
    makes for each of its own (``bokeh.server.urls.per_app_patterns``), in the
    ``BokehTornado`` that ``individual-plots.json`` lists. False if there is no dashboard
    or the route is served already. Tested on distributed 2026.8.0 and bokeh 3.9."""
    if "distributed.dashboard.scheduler" not in sys.modules:  # no scheduler here has a dashboard
        return False
    try:
        from bokeh.application import Application
        from bokeh.application.handlers.document_lifecycle import (
            DocumentLifecycleHandler,
        )
        from bokeh.application.handlers.function import FunctionHandler
        from bokeh.server.contexts import ApplicationContext
        from bokeh.server.tornado import BokehTornado
        from bokeh.server.urls import per_app_patterns
        from bokeh.server.views.ws import WSHandler
        from distributed.dashboard import scheduler as dashboard
    except ImportError:
        return False
    http = getattr(scheduler, "http_application", None)
    bokeh = next((app for app in getattr(http, "applications", ()) if isinstance(app, BokehTornado)), None)
    if bokeh is None or route in bokeh.app_paths:
        return False
    variables = dashboard.template_variables(scheduler)  # memoized: the dict Dask's pages were given
    if in_menu is not None and in_menu not in variables["pages"]:
        variables["pages"].append(in_menu)  # the list every page's menu shares
    if route.startswith("/individual-"):  # the "More..." menu, likewise shared
        name = " ".join(route.strip("/").split("-")[1:]).title()
        variables["plots"].append({"url": route.strip("/"), "name": name})
        variables["plots"].sort(key=lambda plot: plot["name"])
    extra = {"prefix": bokeh.prefix + "/", **variables}
    application = Application(FunctionHandler(functools.partial(page, scheduler, extra)),
                              DocumentLifecycleHandler())
    context = ApplicationContext(application, io_loop=bokeh.io_loop, url=route)
    rules = []
    for pattern, handler in per_app_patterns:
        options = {"application_context": context}
        if issubclass(handler, WSHandler):
            options.update(compression_level=None, mem_level=None)
        rules.append((bokeh.prefix + route + pattern, handler, options))
    websocket = next(rule[0] for rule in rules if rule[0].endswith("/ws"))
    for rule in rules:
        rule[2]["bokeh_websocket_path"] = websocket
    bokeh._applications[route] = context
    bokeh.add_handlers(r".*", rules)
    return True

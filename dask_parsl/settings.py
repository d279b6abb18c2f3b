"""dask_parsl's settings live in ``dask.config`` under ``parsl``."""
import os

import dask.config
import yaml

_defaults_path = os.path.join(os.path.dirname(__file__), "parsl.yaml")
with open(_defaults_path) as _file:
    dask.config.update_defaults(yaml.safe_load(_file))


def get(name: str):
    """The setting ``parsl.<name>``."""
    return dask.config.get(f"parsl.{name}")


def _preload_workflow_page() -> None:
    """Every scheduler started in this process from now on imports ``dask_parsl.dashboard``
    before it starts its dashboard, and so shows the Workflow page (bokeh is imported then,
    not with dask_parsl)."""
    preloads = dask.config.get("distributed.scheduler.preload", default=None) or []
    if isinstance(preloads, str):
        preloads = [preloads]
    if "dask_parsl.dashboard" not in preloads:
        dask.config.set({"distributed.scheduler.preload": [*preloads, "dask_parsl.dashboard"]})


_preload_workflow_page()

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


"""Prints where ``parsl`` comes from, here and on a worker, and the arguments it was given."""
import sys

import parsl
from parsl.app.app import python_app
from parsl.configs.htex_local import config


@python_app
def worker_side():
    import parsl

    return parsl.python_app.__module__.split(".")[0]


@python_app
def global_reference():
    return parsl.File.__module__.split(".")[0]  # the module object itself is shipped


with parsl.load(config):
    print("script:", parsl.python_app.__module__.split(".")[0], sys.argv[1:])
    print("worker:", worker_side().result())
    if parsl.python_app.__module__.startswith("dask_parsl"):  # Parsl cannot ship module globals
        print("global:", global_reference().result())

"""A workflow on a scheduler and worker started apart from the script (argv[1]: the scheduler file)."""
import json
import sys

import parsl
from parsl.app.app import python_app
from parsl.config import Config

from dask_parsl import DaskExecutor


@python_app
def file_class():
    return parsl.File.__module__  # the scheduler unpickles this function, with its parsl global


def parsl_on_scheduler():
    import sys

    return sys.modules["parsl"].python_app.__module__


with open(sys.argv[1]) as scheduler_file:
    address = json.load(scheduler_file)["address"]
with parsl.load(Config(executors=[DaskExecutor(cluster=address)])) as dfk:
    print("worker:", file_class().result())
    print("scheduler:", dfk.executors["dask"].client.run_on_scheduler(parsl_on_scheduler))

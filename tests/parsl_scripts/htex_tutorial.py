"""An htex_local configuration written out, apps that import what they use inside their body."""
import sys

import parsl
from parsl.app.app import python_app
from parsl.config import Config
from parsl.data_provider.files import File
from parsl.executors import HighThroughputExecutor
from parsl.providers import LocalProvider

config = Config(
    executors=[
        HighThroughputExecutor(
            label="htex_local",
            cores_per_worker=1,
            max_workers_per_node=2,
            provider=LocalProvider(init_blocks=1, max_blocks=1),
        )
    ],
)


@python_app
def hypotenuse(a, b):
    import math

    return round(math.hypot(a, b), 3)


@python_app
def describe(path):
    # runs on a worker: Parsl's names must resolve there too
    from parsl.app.errors import AppException
    from parsl.data_provider.files import File

    return f"{File(path).filename} {issubclass(AppException, Exception)}"


@python_app
def fails():
    raise ValueError("bad input")


parsl.load(config)
size = int(sys.argv[1])
futures = [hypotenuse(i, i + 1) for i in range(size)]
print("hypotenuses:", [f.result() for f in futures])
print("describe:", describe(File("data/input.csv").filepath).result())
try:
    fails().result()
except ValueError as error:
    print("failed as expected:", error)
parsl.dfk().cleanup()

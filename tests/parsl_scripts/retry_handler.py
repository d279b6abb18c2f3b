"""Retries with a retry handler: a flaky app succeeds on its third try, a hopeless one is not retried."""
import os

import parsl
from parsl.app.app import python_app
from parsl.config import Config
from parsl.executors.threads import ThreadPoolExecutor

TRIES = os.path.abspath("tries.log")
COSTS = os.path.abspath("costs.log")


def cost(exception, task_record):
    expensive = isinstance(exception, KeyError)
    with open(COSTS, "a") as log:
        log.write(f"{task_record['func_name']} failure {task_record['fail_count']}: "
                  f"{type(exception).__name__}\n")
    return 100 if expensive else 1


@python_app
def flaky(path):
    with open(path, "a") as log:
        log.write("try\n")
    with open(path) as log:
        tries = len(log.readlines())
    if tries < 3:
        raise ValueError(f"try {tries} failed")
    return f"succeeded on try {tries}"


@python_app
def hopeless():
    raise KeyError("missing")


parsl.load(Config(executors=[ThreadPoolExecutor()], retries=3, retry_handler=cost))
print(flaky(TRIES).result())
try:
    hopeless().result()
except KeyError as error:
    print("hopeless failed with", repr(error))
parsl.dfk().cleanup()
print(open(COSTS).read().strip())

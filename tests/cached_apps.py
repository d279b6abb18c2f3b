"""Apps the memoization and checkpoint tests share; each run appends to a log."""
import threading

from dask_parsl import join_app, python_app

#: a global no hash can describe (each process that imports this module has its own)
LOG_LOCK = threading.Lock()


def count_run(path):
    with open(path, "a") as log:
        log.write("x")


def runs(path):
    try:
        return len(open(path).read())
    except FileNotFoundError:
        return 0


@python_app(cache=True)
def cached_square(x, log):
    count_run(log)
    return x * x


@python_app(cache=True)
def cached_describe(value, log):
    count_run(log)
    return repr(type(value).__name__)


@python_app
def uncached_square(x, log):
    count_run(log)
    return x * x


@python_app(cache=True)
def cached_sum(log, inputs=()):
    count_run(log)
    return sum(inputs)


@python_app(cache=True)
def cached_scale(x, factor, log, verbose=False):
    count_run(log)
    return x * factor


@python_app(cache=True)
def always_fails(log):
    count_run(log)
    raise KeyError("boom")


@python_app(cache=True)
def cached_zeros(n, log):
    import numpy as np

    count_run(log)
    return np.zeros(n)


@join_app(cache=True)
def squares_joined(n, log):
    count_run(log)
    return [uncached_square(i, log + ".inner") for i in range(n)]


class Reading:
    """A measurement: the same reading whenever it has the same name, whenever it was taken."""

    def __init__(self, name, taken_at):
        self.name = name
        self.taken_at = taken_at


def reading_id(reading, output_ref=False):
    """An ``id_for_memo`` hasher for ``Reading`` (registered by the tests that need it)."""
    return reading.name.encode()


@python_app
def take_reading(name):
    import time

    return Reading(name, time.time())


@python_app(cache=True)
def describe_reading(reading, log):
    count_run(log)
    return f"reading {reading.name}"


def count_run_locked(path):
    with LOG_LOCK:
        count_run(path)


@python_app(cache=True)
def locked_square(x, log):
    count_run_locked(log)
    return x * x

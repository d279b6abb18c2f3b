"""Apps the memoization and checkpoint tests share; each run appends to a log."""
from dask_parsl import python_app


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

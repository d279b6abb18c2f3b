"""Small apps several test files share: one that doubles, one that raises ``Boom``."""
from dask_parsl import python_app


class Boom(Exception):
    pass


@python_app
def double(x):
    return 2 * x


@python_app
def boom():
    raise Boom("no")

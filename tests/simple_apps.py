"""Small apps several test files share: one that doubles, one that raises ``Boom``, one that
raises it on its first try only."""
import os

from dask_parsl import python_app


class Boom(Exception):
    pass


@python_app
def double(x):
    return 2 * x


@python_app
def boom():
    raise Boom("no")


@python_app
def fails_once(path):
    """Raises ``Boom`` unless ``path`` exists, which the failing try creates."""
    if not os.path.exists(path):
        open(path, "w").close()
        raise Boom("first try")
    return "second try"

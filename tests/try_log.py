"""Counting an app's tries in a file, across worker processes and threads."""
import os


class Flaky(Exception):
    """Raised by a try that should be retried."""


def count_try(path):
    """Record one try in ``path`` and return how many there have been, across processes."""
    with open(path, "a") as log:
        log.write("x")
    with open(path) as log:
        return len(log.read())


def tries_in(path):
    """How many tries ``count_try`` has recorded in ``path``."""
    return len(open(path).read()) if os.path.exists(path) else 0

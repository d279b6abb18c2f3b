"""Numbered run directories (``runinfo/000``, ``001``, ...) and the run's log file."""
from __future__ import annotations

import logging
import os
import re
from typing import Callable

from ..errors import ConfigurationError

_NUMBERED = re.compile(r"^\d+$")


def numbered_runs(root: str) -> list[str]:
    """The names of the numbered run directories under ``root``, in order."""
    if not os.path.isdir(root):
        return []
    return sorted((name for name in os.listdir(root) if _NUMBERED.match(name)), key=int)


def make_rundir(root: str) -> str:
    """Create and return ``root/NNN``, one more than the highest number there;
    ``ConfigurationError`` if ``root`` cannot hold it."""
    try:
        os.makedirs(root, exist_ok=True)
        while True:
            runs = numbered_runs(root)
            path = os.path.join(root, f"{int(runs[-1]) + 1 if runs else 0:03}")
            try:
                os.mkdir(path, 0o755)  # never writable by others, whatever the umask: it holds checkpoints
                return path
            except FileExistsError:  # another process took this number first
                continue
    except OSError as error:
        raise ConfigurationError(f"cannot make this run's directory under run_dir={root!r} "
                                 f"({error.strerror or error}): give Config(run_dir=...) a directory "
                                 "you can write") from error


def start_file_logging(path: str, level: int = logging.INFO) -> Callable[[], None]:
    """Log the ``dask_parsl`` logger to ``path``; returns the function that stops it."""
    logger = logging.getLogger("dask_parsl")
    handler = logging.FileHandler(path)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(name)s:%(lineno)d %(threadName)s %(levelname)s: %(message)s")
    )
    handler.setLevel(level)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)

    def stop() -> None:
        logger.removeHandler(handler)
        handler.close()

    return stop

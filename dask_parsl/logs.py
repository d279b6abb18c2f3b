"""Logging to a stream or a file, as Parsl's ``set_stream_logger`` and ``set_file_logger`` do."""
from __future__ import annotations

import logging
from typing import IO

DEFAULT_FORMAT = "%(asctime)s %(name)s:%(lineno)d [%(levelname)s] %(message)s"


def set_stream_logger(name: str = "dask_parsl", level: int = logging.DEBUG,
                      format_string: str | None = None, stream: IO[str] | None = None) -> logging.Logger:
    """Send the records of logger ``name`` (``parsl`` means ``dask_parsl``) at ``level`` and
    above to ``stream`` (default stderr); returns the logger."""
    return _add_handler(name, level, logging.StreamHandler(stream), format_string)


def set_file_logger(filename: str, name: str = "dask_parsl", level: int = logging.DEBUG,
                    format_string: str | None = None) -> logging.Logger:
    """Append the records of logger ``name`` (``parsl`` means ``dask_parsl``) at ``level``
    and above to ``filename``; returns the logger."""
    return _add_handler(name, level, logging.FileHandler(filename), format_string)


def _add_handler(name: str, level: int, handler: logging.Handler,
                 format_string: str | None) -> logging.Logger:
    if name == "parsl" or name.startswith("parsl."):
        name = "dask_parsl" + name[len("parsl"):]
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET or logger.level > level:  # never hide what another handler wants
        logger.setLevel(level)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(format_string or DEFAULT_FORMAT))
    logger.addHandler(handler)
    return logger

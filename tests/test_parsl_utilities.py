"""Parsl's small utilities that scripts call: addresses for configs, and logging setup."""
import io
import logging
import socket

import pytest

from dask_parsl import set_file_logger, set_stream_logger
from dask_parsl.addresses import address_by_hostname, address_by_interface, get_all_addresses


def test_addresses():
    assert address_by_hostname() == socket.getfqdn()
    assert address_by_interface("lo") == "127.0.0.1"
    assert "127.0.0.1" in get_all_addresses()
    with pytest.raises(ValueError, match="'no-such-if0' has no IPv4 address; interfaces here: .*lo"):
        address_by_interface("no-such-if0")


@pytest.fixture
def restore_logger():
    logger = logging.getLogger("dask_parsl")
    handlers, level = list(logger.handlers), logger.level
    yield
    for handler in set(logger.handlers) - set(handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(level)


def test_parsl_logger_names_mean_dask_parsl(restore_logger, tmp_path):
    stream = io.StringIO()
    set_stream_logger("parsl", logging.INFO, "%(name)s %(message)s", stream=stream)
    set_file_logger(str(tmp_path / "workflow.log"), level=logging.WARNING)
    logging.getLogger("dask_parsl.dataflow").info("info record")
    logging.getLogger("dask_parsl.dataflow").warning("warning record")
    assert stream.getvalue().splitlines() == ["dask_parsl.dataflow info record",
                                              "dask_parsl.dataflow warning record"]
    assert (tmp_path / "workflow.log").read_text().count("record") == 1

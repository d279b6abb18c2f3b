"""dask_parsl/internals/: version checks at import, and probes that name a missing internal."""
import subprocess
import sys

import pytest

from dask_parsl import internals

IMPORT_WITH_DISTRIBUTED = """
import importlib.metadata as metadata
real = metadata.version
metadata.version = lambda name: {version!r} if name == "distributed" else real(name)
import warnings
warnings.simplefilter("default")
import dask_parsl, dask_parsl.internals, importlib
importlib.import_module("dask_parsl.executors")
"""


def import_dask_parsl_pretending(version):
    done = subprocess.run([sys.executable, "-c", IMPORT_WITH_DISTRIBUTED.format(version=version)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_an_untested_distributed_warns_once_at_import():
    stderr = import_dask_parsl_pretending("2099.1.0")
    assert stderr.count("RuntimeWarning") == 1
    assert "distributed 2099.1.0 (tested: 2026.8.0 to 2026.8.0)" in stderr


def test_a_tested_distributed_imports_quietly():
    assert "RuntimeWarning" not in import_dask_parsl_pretending(internals.TESTED["distributed"][0])


def test_a_missing_internal_fails_where_it_is_needed_naming_it():
    class ClientOfAnotherVersion:
        """Stands for a distributed.Client whose internals changed."""

    missing = r"distributed\.Client\._graph_to_futures is missing"
    with pytest.raises(internals.DaskInternalsMissing, match=missing):
        internals.submit_graph(ClientOfAnotherVersion(), {}, [], {})
    with pytest.raises(internals.DaskInternalsMissing, match="_stream_handlers"):
        internals.add_client_stream_handler(ClientOfAnotherVersion(), "op", print)

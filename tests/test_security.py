"""TLS on the clusters dask_parsl starts: only a process holding the run's certificate can
connect to the scheduler (which runs whatever it is sent)."""
import os
import stat

import dask.config
import pytest
from distributed import Client, Security

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor, HighThroughputExecutor, python_app, security_from
from dask_parsl.providers import LocalProvider


@python_app
def double(x):
    return 2 * x


def cannot_connect(address, **options):
    with pytest.raises((OSError, TimeoutError)):
        Client(address, timeout=3, **options).close()


def test_only_clients_holding_the_runs_certificate_connect_to_the_embedded_cluster(run_dir):
    with parsl.load(Config(run_dir=run_dir)) as dfk:
        address = dfk.executors["dask"].scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        assert [f.result(timeout=60) for f in [double(x) for x in range(4)]] == [0, 2, 4, 6]
        this_run = os.path.join(run_dir, "000")
        pem = os.path.join(this_run, "tls", "dask.pem")
        assert stat.S_IMODE(os.stat(pem).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(pem)).st_mode) == 0o700
        with Client(address, security=security_from(this_run), timeout=10) as client:
            assert client.submit(sum, [1, 2]).result(timeout=30) == 3
        cannot_connect(address, security=Security.temporary())  # a certificate of its own
        cannot_connect(address.replace("tls://", "tcp://"))


@pytest.mark.parametrize("form", ["setting", "htex"])
def test_encryption_can_be_turned_off(run_dir, form):
    if form == "setting":
        executor, setting = DaskExecutor(), {"parsl.encrypted": False}
    else:
        executor, setting = HighThroughputExecutor(provider=LocalProvider(), encrypted=False), {}
    with dask.config.set(setting), parsl.load(Config(executors=[executor], run_dir=run_dir)):
        assert executor.scheduler_address.startswith("tcp://127.0.0.1:")
        assert double(4).result(timeout=60) == 8
    assert not os.path.exists(os.path.join(run_dir, "000", "tls"))

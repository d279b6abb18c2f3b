"""What a notebook shows of a kernel, a future and a config (``_repr_html_``), and what
re-running a cell that loads a kernel says."""
import re

import pytest
from simple_apps import Boom, boom, double

import dask_parsl
from dask_parsl import Config, ConfigurationError, DaskExecutor, MonitoringHub, ThreadPoolExecutor


def test_a_kernel_shows_its_run_executors_dashboards_and_tasks_by_state(cluster, run_dir):
    with dask_parsl.load(Config(executors=[DaskExecutor(cluster=cluster), ThreadPoolExecutor()],
                                run_dir=run_dir)) as dfk:
        assert double(2).result(timeout=60) == 4
        with pytest.raises(Boom):
            boom().result(timeout=60)
        page = dfk._repr_html_()
        assert "DataFlowKernel (running)" in page and dfk.run_id in page and dfk.run_dir in page
        dashboard = dfk.executors["dask"].dashboard_link
        assert f"<a href='{dashboard}'" in page  # the Dask dashboard, one click away
        workflow = dashboard.replace("/status", "/workflow")
        assert f"<a href='{workflow}' target='_blank'>Workflow page</a>" in page
        assert "threads (ThreadPoolExecutor)" in page
        assert re.search(r"exec_done: 1\b", page) and re.search(r"failed: 1\b", page)
    assert "DataFlowKernel (cleaned up)" in dfk._repr_html_()


def test_a_future_shows_its_app_state_executor_and_exception(cluster, run_dir):
    with dask_parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)):
        done, failed = double(1), boom()
        done.result(timeout=60)
        failed.exception(timeout=60)
        shown = done._repr_html_()
        assert ">double<" in shown and ">exec_done<" in shown and ">dask<" in shown
        assert f">{done.tid}<" in shown and "exception" not in shown
        shown = failed._repr_html_()
        assert ">failed<" in shown and "Boom(&#x27;no&#x27;)" in shown  # escaped for HTML


def test_a_config_shows_its_executors_and_settings(tmp_path):
    config = Config(executors=[ThreadPoolExecutor(label="local")], retries=3, run_dir=str(tmp_path / "runs"),
                    monitoring=MonitoringHub())
    shown = config._repr_html_()
    assert "local (ThreadPoolExecutor)" in shown and ">3<" in shown
    assert f"sqlite:///{tmp_path / 'runs' / 'monitoring.db'}" in shown


def test_loading_again_says_how_to_go_on(run_dir):
    with dask_parsl.load(Config(executors=[ThreadPoolExecutor()], run_dir=run_dir)) as dfk:
        with pytest.raises(ConfigurationError) as error:
            dask_parsl.load(Config(executors=[ThreadPoolExecutor()], run_dir=run_dir))
        message = str(error.value)
        assert dfk.run_dir in message
        assert "dask_parsl.dfk().cleanup()" in message and "dask_parsl.clear()" in message
        assert "with dask_parsl.load(config):" in message

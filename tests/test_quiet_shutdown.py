"""A closing worker does not log the heartbeat its own closing cut as an ERROR
(dask/distributed#7105); a running worker's failed heartbeat is still logged."""
import logging

from distributed import LocalCluster, WorkerPlugin

import dask_parsl as parsl
from dask_parsl import Config, DaskExecutor
from dask_parsl.internals import HEARTBEAT_FAILED_MESSAGE

worker_log = logging.getLogger("distributed.worker")


class LogsAsItCloses(WorkerPlugin):
    """Logs what a heartbeat cut by the worker's closing logs, while the worker closes."""

    name = "test-logs-as-it-closes"

    def teardown(self, worker):
        worker_log.error(HEARTBEAT_FAILED_MESSAGE)
        worker_log.error("Another error while closing")


def test_only_a_running_worker_logs_a_failed_heartbeat(run_dir, caplog):
    with caplog.at_level(logging.ERROR, logger="distributed.worker"):
        with LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as cluster:
            with parsl.load(Config(executors=[DaskExecutor(cluster=cluster)], run_dir=run_dir)) as kernel:
                kernel.executors["dask"].client.register_plugin(LogsAsItCloses())
                worker_log.error(HEARTBEAT_FAILED_MESSAGE)
                assert [r.getMessage() for r in caplog.records] == [HEARTBEAT_FAILED_MESSAGE]
                caplog.clear()
        assert [r.getMessage() for r in caplog.records] == ["Another error while closing"]

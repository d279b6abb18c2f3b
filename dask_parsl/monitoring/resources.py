"""Resource rows: psutil samples of the worker processes running app tasks.

``ResourceSampler``, a worker plugin, samples its worker process and all its
children (so a bash app's command counts) at most once per interval per worker:
when an app task starts and the last sample is older than the interval, and every
interval while app tasks run. Each sample is one message per running app task on
Dask's own event topic (``RESOURCE_TOPIC``), which the kernel's completion
listener reads with its other task reports. Short tasks on a busy worker share
samples, so monitoring a 100,000-task run costs little; with resource monitoring
disabled, the plugin is never installed.
"""
from __future__ import annotations

import time
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin
from tornado.ioloop import PeriodicCallback

from ..scheduler.task_logs import is_app_task

RESOURCE_TOPIC = "dask-parsl-resources"
PLUGIN_NAME = "dask-parsl-resources"


class ResourceSampler(WorkerPlugin):
    """Samples the worker's process tree while app tasks run, every ``interval`` seconds."""

    def __init__(self, interval: float, name: str = PLUGIN_NAME) -> None:
        self.interval = interval
        self.name = name  # one per client: kernels sharing a cluster each sample at their interval

    def setup(self, worker: Any) -> None:
        import psutil

        self.worker = worker
        self.process = psutil.Process()
        self._last = 0.0
        self._running: set = set()
        self._periodic = PeriodicCallback(self._sample_running, self.interval * 1000)
        self._periodic.start()

    def teardown(self, worker: Any) -> None:
        self._periodic.stop()

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish == "executing" and is_app_task(self.worker.state.tasks.get(key)):
            self._running.add(key)
            if time.time() - self._last >= self.interval:
                self._sample_running()
        elif start == "executing":
            self._running.discard(key)

    def _sample_running(self) -> None:
        if not self._running:
            return
        self._last = time.time()
        sample = sample_process_tree(self.process)
        sample["resource_monitoring_interval"] = self.interval
        for key in self._running:
            self.worker.log_event(RESOURCE_TOPIC, {"kind": "resource", "key": key, **sample})


def sample_process_tree(process: Any) -> dict:
    """One of Parsl's resource samples of ``process`` and all its children."""
    import psutil

    tree = [process]
    try:
        tree += process.children(recursive=True)
    except psutil.Error:
        pass
    totals = dict.fromkeys(("memory_percent", "time_user", "time_system", "memory_virtual",
                            "memory_resident", "disk_read", "disk_write", "ctx_voluntary",
                            "ctx_involuntary"), 0.0)
    for member in tree:
        try:
            with member.oneshot():
                memory, cpu, switches = member.memory_info(), member.cpu_times(), member.num_ctx_switches()
                totals["memory_percent"] += member.memory_percent()
                totals["time_user"] += cpu.user
                totals["time_system"] += cpu.system
                totals["memory_virtual"] += memory.vms
                totals["memory_resident"] += memory.rss
                totals["ctx_voluntary"] += switches.voluntary
                totals["ctx_involuntary"] += switches.involuntary
                try:
                    io = member.io_counters()
                    totals["disk_read"] += io.read_chars
                    totals["disk_write"] += io.write_chars
                except (psutil.Error, AttributeError):
                    pass
        except psutil.Error:  # it ended meanwhile
            continue
    try:
        state, cpu_num = process.status(), str(process.cpu_num())
    except (psutil.Error, AttributeError):
        state, cpu_num = None, None
    return {
        "timestamp": time.time(), "psutil_process_pid": process.pid,
        "psutil_process_memory_percent": totals["memory_percent"],
        "psutil_process_children_count": float(len(tree) - 1),
        "psutil_process_time_user": totals["time_user"], "psutil_process_time_system": totals["time_system"],
        "psutil_process_memory_virtual": totals["memory_virtual"],
        "psutil_process_memory_resident": totals["memory_resident"],
        "psutil_process_disk_read": totals["disk_read"], "psutil_process_disk_write": totals["disk_write"],
        "psutil_process_status": state, "psutil_cpu_num": cpu_num,
        "psutil_process_num_ctx_switches_voluntary": totals["ctx_voluntary"],
        "psutil_process_num_ctx_switches_involuntary": totals["ctx_involuntary"],
    }

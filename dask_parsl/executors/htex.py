"""Parsl's ``HighThroughputExecutor``, as Dask workers in jobs of Parsl's providers."""
from __future__ import annotations

import math
from typing import Any

from ..errors import ConfigurationError
from ..providers import LocalProvider
from .dask_executor import DaskExecutor
from .provider_mapping import plan_cluster


class HighThroughputExecutor(DaskExecutor):
    """Parsl's ``HighThroughputExecutor``, as Dask workers provisioned by ``provider``.

    Each job runs ``cores_per_node / cores_per_worker`` single-threaded worker
    processes (at most ``max_workers_per_node``, and fewer if
    ``mem_per_worker`` says so). ``Config(strategy=None)`` keeps ``init_blocks``
    jobs; otherwise jobs adapt between ``min_blocks`` and ``max_blocks``, and
    idle ones are released after ``Config(max_idletime=...)`` seconds.
    """

    _accepted = {"address", "worker_debug", "label", "provider", "max_workers_per_node",
                 "cores_per_worker", "mem_per_worker", "storage_access", "working_dir"}

    def __init__(
        self,
        label: str = "HighThroughputExecutor",
        provider: Any = None,
        *,
        max_workers_per_node: float = math.inf,
        cores_per_worker: float = 1.0,
        mem_per_worker: float | None = None,
        storage_access: list | None = None,
        working_dir: str | None = None,
        address: str | None = None,
        worker_debug: bool = False,
        **parsl_options: Any,
    ) -> None:
        if parsl_options:
            raise ConfigurationError(
                f"HighThroughputExecutor option(s) {sorted(parsl_options)} have no Dask equivalent; "
                f"dask_parsl accepts {sorted(self._accepted)}")
        plan = plan_cluster(provider or LocalProvider(), max_workers_per_node, cores_per_worker,
                            mem_per_worker)
        if plan.batch_system is not None:
            if address:
                plan.options["scheduler_options"] = {"host": address}
            if worker_debug:
                plan.options.setdefault("job_script_prologue", []).append(
                    "export DASK_LOGGING__DISTRIBUTED=debug")
        super().__init__(label, provider=plan, storage_access=storage_access, working_dir=working_dir)

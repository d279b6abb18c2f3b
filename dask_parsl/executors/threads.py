"""``ThreadPoolExecutor``: apps run in threads of this process."""
from __future__ import annotations

from typing import Any, Mapping

from .base import Executor
from .dask_executor import DaskExecutor


class ThreadPoolExecutor(DaskExecutor):
    """Runs apps in threads of this process (an in-process Dask cluster)."""

    def __init__(
        self,
        label: str = "threads",
        max_threads: int = 2,
        thread_name_prefix: str = "",
        storage_access: Any = None,
        working_dir: str | None = None,
    ) -> None:
        super().__init__(label=label, storage_access=storage_access, working_dir=working_dir)
        self.max_threads = max_threads
        self._local_kwargs = dict(
            n_workers=1,
            threads_per_worker=max_threads,
            processes=False,
            dashboard_address="127.0.0.1:0",
        )

    def dask_options(self, specification: Mapping) -> dict | None:
        """Any key fails: Parsl's ThreadPoolExecutor takes no resource specification."""
        return Executor.dask_options(self, specification)

"""``ThreadPoolExecutor``: apps run in threads of this process, as in Parsl."""
from __future__ import annotations

import concurrent.futures
from typing import Any, Callable, Mapping

from ..utils import RepresentationMixin
from .errors import InvalidResourceSpecification
from .parsl_style import ParslExecutor


class ThreadPoolExecutor(ParslExecutor, RepresentationMixin):
    """Runs apps in ``max_threads`` threads of the process that calls them.

    Nothing is pickled: apps may take and return locks, events, open connections.
    The kernel still gives them dependencies, retries, memoization and checkpoints.
    Apps here take no ``parsl_resource_specification``.
    """

    def __init__(
        self,
        label: str = "threads",
        max_threads: int = 2,
        thread_name_prefix: str = "",
        storage_access: list | None = None,
        working_dir: str | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(max_threads, int) or isinstance(max_threads, bool) or max_threads < 1:
            raise ValueError(f"max_threads must be a whole number >= 1, not {max_threads!r}")
        self.label = label
        self.max_threads = max_threads
        self.thread_name_prefix = thread_name_prefix
        self.storage_access = storage_access
        self.working_dir = working_dir
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    def start(self) -> None:
        prefix = self.thread_name_prefix or f"ThreadPoolExecutor-{self.label}"
        self._pool = concurrent.futures.ThreadPoolExecutor(self.max_threads, thread_name_prefix=prefix)

    def validate_resource_spec(self, specification: Mapping) -> None:
        """``InvalidResourceSpecification`` for any key: threads take none."""
        if specification:
            raise InvalidResourceSpecification(
                set(specification), f"Executor {self.label!r} takes no resource specification: "
                "its apps run in threads of this process.")

    def submit(self, func: Callable, resource_specification: Mapping, *args: Any,
               **kwargs: Any) -> concurrent.futures.Future:
        self.validate_resource_spec(resource_specification)
        if self._pool is None:
            raise RuntimeError(f"ThreadPoolExecutor {self.label!r} is not started")
        return self._pool.submit(func, *args, **kwargs)

    def shutdown(self, block: bool = True) -> None:
        """Stop taking calls; ``block``: wait for running ones to return."""
        if self._pool is not None:
            self._pool.shutdown(wait=block)

    def monitor_resources(self) -> bool:
        return False  # tasks share this process: nothing to measure per task

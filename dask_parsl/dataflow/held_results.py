"""Fetching the results a user still holds before the cluster goes away, within a byte budget.

At cleanup the workers that hold results are about to stop, so each result whose
``AppFuture`` the user still holds is brought to this process: in batches of at most
``FETCH_BATCH_BYTES`` (never every result at once), oldest task first, until
``parsl.cleanup.keep-results`` bytes are kept. A result past that budget is not
fetched: asking for it afterwards raises ``ResultNotKept``.
"""
from __future__ import annotations

import concurrent.futures
import logging
from typing import Any, Iterable

from dask.utils import parse_bytes

from .. import settings
from ..internals import replace_result
from .errors import ResultNotKept
from .futures import ON_WORKER

logger = logging.getLogger(__name__)

FETCH_BATCH_BYTES = 64 * 2**20


def fetch_results_still_held(futures: Iterable[Any]) -> None:
    """Keep in this process the results of ``futures`` that are still on workers."""
    budget = parse_bytes(settings.get("cleanup.keep-results"))
    by_executor: dict[Any, list] = {}
    for future in futures:
        if future._stored_result() is ON_WORKER and future._executor is not None:
            by_executor.setdefault(future._executor, []).append(future)
    for executor, held in by_executor.items():
        held.sort(key=lambda future: future.tid)
        try:
            sizes = executor.result_sizes([future._remote for future in held])
            _fetch_within(executor, held, sizes, budget)
        except Exception:
            logger.exception("Could not fetch results from executor %s", executor.label)


def _fetch_within(executor: Any, held: list, sizes: list[int], budget: int) -> None:
    kept, batch, batch_bytes, left = 0, [], 0, 0
    for future, size in zip(held, sizes, strict=True):
        if kept + size > budget:
            future._replacement = failed_future(ResultNotKept(future.tid, size, budget))
            left += 1
            continue
        kept += size
        batch.append(future)
        batch_bytes += size
        if batch_bytes >= FETCH_BATCH_BYTES:
            _fetch(executor, batch)
            batch, batch_bytes = [], 0
    if batch:
        _fetch(executor, batch)
    if left:
        logger.warning("Cleanup kept %d bytes of results still held; %d more were not kept "
                       "(parsl.cleanup.keep-results)", kept, left)


def _fetch(executor: Any, futures: list) -> None:
    for future, value in zip(futures, executor.gather([f._remote for f in futures]), strict=True):
        replace_result(future, value)


def failed_future(error: BaseException) -> concurrent.futures.Future:
    """A future that has failed with ``error``."""
    future: concurrent.futures.Future = concurrent.futures.Future()
    future.set_exception(error)
    return future

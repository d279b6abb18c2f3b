"""What runs on the worker for a cached app call: look the call up, run it, save the result.

``run_cached`` holds the memoization and checkpoint decisions of one try, as a
plain function: ``CachedAppCall`` calls it in a Dask task on a worker, and an
executor that is not a Dask cluster can call it wherever it runs the app; each
passes its own ``report`` for what the try memoized.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Sequence

import distributed
from dask.sizeof import sizeof

from ..apps.call import AppCall
from ..scheduler.events import MEMO_TOPIC
from ..scheduler.pushed_results import report_with_completion
from .hashers import install_hashers
from .hashing import hash_call, result_token, value_token
from .store import CheckpointStore

logger = logging.getLogger(__name__)

#: ``report(key, hashsum, token, hit, nbytes)``
Report = Callable[[str, str, "str | None", bool, int], None]


class MemoPlan:
    """What the worker needs to hash a cached call and look it up: ``hashers`` are the
    client's ``id_for_memo`` registrations, for the values the worker hashes."""

    __slots__ = ("key", "hashsum", "structure", "dep_tokens", "store", "hashers")

    def __init__(self, key: str, hashsum: str | None, structure: str, dep_tokens: Sequence,
                 store: CheckpointStore | None, hashers: tuple = ()) -> None:
        self.key = key
        self.hashsum = hashsum
        self.structure = structure
        self.dep_tokens = dep_tokens
        self.store = store
        self.hashers = hashers

    def __reduce__(self) -> tuple:
        return MemoPlan, (self.key, self.hashsum, self.structure, self.dep_tokens, self.store, self.hashers)


def run_cached(run: Callable[..., Any], name: str, plan: MemoPlan, dep_values: Sequence,
               args: tuple, kwargs: dict, report: Report) -> Any:
    """One try of a cached call: its result from the checkpoint store if there, else
    ``run(*args, **kwargs)``, saved to the store. ``report(key, hashsum, token, hit, nbytes)``
    tells the kernel the call's hashsum, its result's token and its size in memory."""
    if plan.hashers:
        install_hashers(plan.hashers)
    hashsum = plan.hashsum
    if hashsum is None:
        tokens = [token if token is not None else value_token(value, index, name)
                  for index, (token, value) in enumerate(zip(plan.dep_tokens, dep_values, strict=True))]
        hashsum = hash_call(plan.structure, tokens)
    store = plan.store
    if store is not None:
        found, value = store.lookup(hashsum)
        if found:
            report(plan.key, hashsum, result_token(value), True, sizeof(value))
            return value
    result = run(*args, **kwargs)
    token = result_token(result)
    if store is not None:
        try:
            store.write(hashsum, token, result)
        except Exception:
            logger.exception("Could not checkpoint the result of %s", plan.key)
    report(plan.key, hashsum, token, False, sizeof(result))
    return result


class CachedAppCall(AppCall):
    """An app call that looks up, and saves to, the checkpoint store on the worker."""

    __slots__ = ()
    leading_args = 2  # the plan and the dependency values

    def __call__(self, plan: MemoPlan, dep_values: list, /, *args: Any, **kwargs: Any) -> Any:
        return run_cached(super().__call__, self.name, plan, dep_values, args, kwargs, report_to_worker)


def report_to_worker(key: str, hashsum: str, token: str | None, hit: bool, nbytes: int) -> None:
    """Send a memo report from the worker running the task, with its completion (as an
    event of its own where the scheduler has no WorkflowPlugin; nothing off a worker)."""
    try:
        worker = distributed.get_worker()
    except ValueError:  # not on a worker
        return
    report = {"kind": "memo", "key": key, "hashsum": hashsum, "token": token, "hit": hit, "nbytes": nbytes}
    if not report_with_completion(worker, key, report):
        worker.log_event(MEMO_TOPIC, report)

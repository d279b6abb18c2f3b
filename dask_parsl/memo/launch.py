"""The kernel's side of memoization: answering cached calls (those whose values are on
the client included: joins, executors the kernel drives), and recomputing damaged entries."""
from __future__ import annotations

import logging
import uuid
import warnings
from typing import TYPE_CHECKING, Any, Callable

from dask.sizeof import sizeof

from ..dataflow.errors import BadCheckpoint
from ..dataflow.futures import ON_WORKER, AppFuture
from ..dataflow.states import States
from ..dataflow.waiting import when_all_done
from ..internals import task_type
from .hashing import hash_call, result_token, value_token
from .memoizer import BasicMemoizer
from .store import Entry, read_entry, read_payload

if TYPE_CHECKING:
    from ..dataflow.graph import GraphBuilder
    from ..dataflow.outcomes import Outcomes

logger = logging.getLogger(__name__)


class MemoLauncher:
    """Launches the calls of cached apps: an identical call of this run or a committed
    checkpoint entry answers a call on the client, without a Dask task; otherwise the
    call runs as a cached task, which the worker may still answer from the store."""

    def __init__(self, memoizer: BasicMemoizer, graph: GraphBuilder, outcomes: Outcomes,
                 resubmit: Callable[[AppFuture], AppFuture]) -> None:
        self.memoizer = memoizer
        self.graph = graph
        self.outcomes = outcomes
        self._resubmit = resubmit  # the same call again, not memoized

    def launch(self, record: dict) -> None:
        key = self.graph.task_key(record)
        lookup_key, plan, deps = self.memoizer.plan(record, self.graph.resolver, key)
        if not self._answer(record, lookup_key):
            record["hashsum"] = plan.hashsum  # None until the worker has computed it
            self.graph.enqueue(record, plan, deps)

    def _answer(self, record: dict, lookup_key: str) -> bool:
        """Finish the call from an identical one of this run or a checkpoint entry, if
        there is one; else count a miss, share the call's future, and return False."""
        found = self.memoizer.find(lookup_key)
        name = record["func_name"]
        if found is None:
            self.memoizer.remember(lookup_key, record["app_fu"])
            self.memoizer.misses[name] += 1
            return False
        self.memoizer.hits[name] += 1
        record["from_memo"] = True
        if isinstance(found, Entry):
            record["hashsum"] = lookup_key
            future = record["app_fu"]
            future._entry, future._memo_token = found, found.token
            future._memo_call = (record["args"], record["kwargs"])  # to recompute a damaged entry
            self.outcomes.complete(record, ON_WORKER, States.memo_done)
        else:
            when_all_done([found], lambda: self._complete_like(record, found))
        return True

    # -- calls whose arguments and results are on the client (joins, direct executors) ----
    def answer_on_client(self, record: dict, local_value: Callable[[Any], Any]) -> bool:
        """Hash a cached call here (dependency values by ``local_value(dep)``) and finish
        it from the memo table or the checkpoints if it can; False: run it."""
        _, plan, deps = self.memoizer.plan(record, self.graph.resolver, "")
        hashsum = plan.hashsum or hash_call(plan.structure, [
            token if token is not None else value_token(local_value(dep), index, record["func_name"])
            for index, (token, dep) in enumerate(zip(plan.dep_tokens, deps, strict=True))])
        if self._answer(record, hashsum):
            return True
        record["hashsum"] = hashsum
        return False

    def finished_on_client(self, record: dict, value: Any) -> None:
        """The value of a cached call that ``answer_on_client`` did not answer: share it,
        and save it to the checkpoint store."""
        future, hashsum = record["app_fu"], record["hashsum"]
        future._memo_token = token = result_token(value)
        self.memoizer.hashed(hashsum, future, sizeof(value))
        store = self.memoizer.store
        if store is not None:
            try:
                store.write(hashsum, token, value)
            except Exception:
                logger.exception("Could not checkpoint the result of app %s (task %s)",
                                 record["func_name"], record["id"])

    def _complete_like(self, record: dict, earlier: AppFuture) -> None:
        """Finish a call as the identical ``earlier`` call of this run finished (run it
        after all if that call was cancelled)."""
        if earlier.cancelled():  # (called as it is cancelled: before the kernel forgets it)
            getattr(self.memoizer, "forget", lambda future: None)(earlier)
            record["from_memo"] = None
            self.memoizer.hits[record["func_name"]] -= 1
            self.launch(record)
            return
        error = earlier.exception()
        if error is not None:
            self.outcomes.fail(record, error, States.memo_done)
            return
        future = record["app_fu"]
        for name in ("_remote", "_executor", "_key", "_entry", "_memo_token", "_memo_call", "_replacement",
                     "_released"):
            setattr(future, name, getattr(earlier, name))
        record["hashsum"] = earlier.task_record.get("hashsum")
        self.outcomes.complete(record, earlier._stored_result(), States.memo_done)

    def worker_reported(self, future: AppFuture, report: dict) -> None:
        """A worker hashed a cached call (and maybe answered it from the store)."""
        record = future.task_record
        future._memo_token = report["token"]
        record["hashsum"] = report["hashsum"]
        self.memoizer.hashed(report["hashsum"], future, report.get("nbytes"))
        if report["hit"]:
            record["from_memo"] = True
            self.memoizer.hits[record["func_name"]] += 1
            self.memoizer.misses[record["func_name"]] -= 1

    def entry_node(self, future: AppFuture, recomputed: Callable[[AppFuture], Any]) -> Any:
        """A graph node loading ``future``'s checkpoint entry on the worker, once the
        client has checked the entry is intact; else ``recomputed(new future)``."""
        if not future._entry_verified:
            try:
                read_payload(future._entry)
            except (OSError, BadCheckpoint) as error:
                return recomputed(self._recompute(future, error))
            future._entry_verified = True
        return task_type()(f"load_checkpoint-{uuid.uuid4().hex}", read_entry, future._entry)

    def read_entry(self, future: AppFuture) -> Any:
        """The value of a checkpointed result, computed again if its entry is damaged."""
        try:
            return read_entry(future._entry)
        except (OSError, BadCheckpoint) as error:
            return self._recompute(future, error).result()

    def _recompute(self, future: AppFuture, error: BaseException) -> AppFuture:
        """Run again the call whose checkpoint entry turned out damaged."""
        if future._replacement is None:
            record = future.task_record
            warnings.warn(f"{error}; computing task {record['id']} ({record['func_name']}) again",
                          RuntimeWarning, stacklevel=4)
            future._replacement = self._resubmit(future)
            future._entry = None
        return future._replacement

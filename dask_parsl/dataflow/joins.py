"""Join apps: their bodies run in the kernel's thread pool and return futures to wait for.

A cached join (``cache=True``) is hashed on the client, where its arguments'
values are, and answered like any cached call (``memo.launch``); its final
value is brought to the client, to be hashed and saved as a checkpoint entry.
"""
from __future__ import annotations

import concurrent.futures
import platform
import time
from typing import TYPE_CHECKING, Any

from .dependencies import local_value, swap_dependencies
from .errors import JoinError
from .futures import FUTURE_TYPES, ON_WORKER, AppFuture
from .outcomes import Outcomes, failed_dependencies
from .retries import charge_try_here
from .states import States
from .waiting import when_all_done

if TYPE_CHECKING:
    from .graph import GraphBuilder


class JoinRunner:
    """Runs join app bodies on the client and finishes them with their inner futures."""

    def __init__(self, pool: concurrent.futures.ThreadPoolExecutor, graph: GraphBuilder,
                 outcomes: Outcomes) -> None:
        self.pool = pool
        self.graph = graph
        self.outcomes = outcomes

    def launch(self, record: dict) -> None:
        self.pool.submit(self._run, record)

    def _run(self, record: dict) -> None:
        try:
            args, kwargs = record["args"], record["kwargs"]
            computed = record["_computed"] if record["depends"] else {}

            def value(dep: Any) -> Any:
                return local_value(dep, computed)

            if record["memoize"] and self.graph.memo.answer_on_client(record, value):
                return
            if record["depends"]:
                args, kwargs = swap_dependencies(self.graph.resolver, args, kwargs, value)
            inner = self._call_body(record, args, kwargs)
        except _ChargedFailure as failure:
            self.outcomes.fail(record, failure.error, counted=True)
            return
        except Exception as error:
            self.outcomes.fail(record, error)
            return
        single = isinstance(inner, FUTURE_TYPES)
        if not single and not (isinstance(inner, list) and all(isinstance(f, FUTURE_TYPES) for f in inner)):
            self.outcomes.fail(record, TypeError(
                f"join_app {record['func_name']} must return a Future or a list of Futures, "
                f"not {type(inner).__name__}"))
            return
        record["joins"] = inner
        record["status"] = States.joining
        self.outcomes.events.state_changed(record)
        inner_futures = [inner] if single else inner
        if not inner_futures:
            if record["memoize"]:
                self.graph.memo.finished_on_client(record, [])
            self.outcomes.complete(record, [])
            return
        when_all_done(inner_futures, lambda: self.pool.submit(self._finish, record, inner_futures, single))

    def _call_body(self, record: dict, args: tuple, kwargs: dict) -> Any:
        """Run the body, retrying it under the same budget as other apps."""
        policy = self.graph.retry_policy(record["app"])
        events = self.outcomes.events
        while True:
            record["try_time_launched"] = time.time()
            if record["try_id"] == 0:  # retries: published with the failure
                record["status"] = States.launched
                events.state_changed(record)
            start = time.time()
            try:
                inner = record["app"].func(*args, **kwargs)
                if events.subscribers:
                    events.ran(record, {"start": start, "stop": time.time(), "worker": platform.node()})
                return inner
            except Exception as error:
                if events.subscribers:
                    events.ran(record, {"start": start, "stop": time.time(), "worker": platform.node()})
                final = charge_try_here(policy, record, error)
                if final is not None:
                    raise _ChargedFailure(final) from None
                self.outcomes.events.try_failed(record, {"retry": True, "error": repr(error)})

    def _finish(self, record: dict, inner: list, single: bool) -> None:
        failed = failed_dependencies(inner)
        if failed:
            self.outcomes.fail(record, JoinError(failed, record["id"]))
            return
        future = record["app_fu"]
        remote = [f for f in inner if isinstance(f, AppFuture) and f._stored_result() is ON_WORKER]
        executors = {f._executor for f in remote}
        try:
            if record["memoize"]:
                values = [f.result() for f in inner]
                value = values[0] if single else values
                self.graph.memo.finished_on_client(record, value)
                self.outcomes.complete(record, value)
            elif len(remote) == len(inner) and len(executors) == 1:
                # the results stay where they are; the join's future points at them
                future._executor = executors.pop()
                if single:
                    future._remote, key = inner[0]._remote, inner[0]._key
                else:
                    future._remote, key = [f._remote for f in inner], [f._key for f in inner]
                self.outcomes.complete(record, ON_WORKER)
                future._key = key
            else:
                values = [f.result() for f in inner]
                self.outcomes.complete(record, values[0] if single else values)
        except Exception as error:
            self.outcomes.fail(record, error)


class _ChargedFailure(Exception):
    """The body's last failure, already counted in the record."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


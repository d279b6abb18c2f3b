"""Memoization: Parsl's app cache, keyed by Dask tokens.

A cached call's *hashsum* is the Dask token (deterministic mode) of

* its *structure*: the app's identity, a fingerprint of its code, and its
  arguments (minus ``ignore_for_cache``) with each dependency replaced by a
  numbered slot, computed on the client; and
* the token of each dependency's value, in slot order.

A dependency's token is known on the client when it is a ``File`` or the
result of a cached task whose worker reported it; otherwise the worker running
the call computes it from the value it received, so values never travel to the
client to be hashed. The client answers what it can (identical calls in this
run, committed checkpoint entries) without creating a Dask task; the worker
looks up the checkpoint store for what only it can hash.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import types
from collections import Counter
from typing import Any, Callable, Sequence

import distributed
from dask.base import tokenize

from .checkpoint import (
    CheckpointStore,
    Entry,
    commit_pending,
    get_all_checkpoints,
    load_index,
    make_private_dirs,
)
from .config import CHECKPOINT_MODES
from .dependencies import is_dependency
from .errors import ConfigurationError
from .futures import AppFuture, DataFuture
from .worker_tasks import AppCall

logger = logging.getLogger(__name__)

MEMO_TOPIC = "dask-parsl-memo"
DEFAULT_CHECKPOINT_PERIOD = "00:30:00"


class BasicMemoizer:
    """Parsl's memoizer: the in-run cache of app results and the checkpoint store.

    ``checkpoint_mode`` is ``None`` (no checkpoints), ``"task_exit"`` (each
    result is committed as its task finishes), ``"periodic"`` (every
    ``checkpoint_period``, ``"HH:MM:SS"``), ``"dfk_exit"`` (at cleanup) or
    ``"manual"`` (at ``checkpoint()`` and at cleanup). ``checkpoint_files``
    lists earlier runs' checkpoint directories to reuse; by default, with a
    mode set, every earlier run under the config's ``run_dir``.

    ``hits`` and ``misses`` count, per app name, the calls answered from the
    cache and the calls that ran.
    """

    def __init__(
        self,
        *,
        checkpoint_files: Sequence[str] | None = None,
        checkpoint_period: str | None = None,
        checkpoint_mode: str | None = None,
        memoize: bool = True,
    ) -> None:
        if checkpoint_mode not in CHECKPOINT_MODES:
            raise ConfigurationError(
                f"checkpoint_mode must be one of {CHECKPOINT_MODES}, not {checkpoint_mode!r}"
            )
        self.checkpoint_files = checkpoint_files
        self.checkpoint_mode = checkpoint_mode
        self.checkpoint_period = _seconds(checkpoint_period or DEFAULT_CHECKPOINT_PERIOD)
        self.memoize = memoize
        self.hits: Counter = Counter()
        self.misses: Counter = Counter()
        self.checkpoint_dir: str | None = None
        self.store: CheckpointStore | None = None
        self._table: dict[str, Any] = {}
        self._index: dict[str, Entry] = {}
        self._prefixes: dict[Any, tuple] = {}
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------
    def start(self, *, run_dir: str, config_run_dir: str) -> None:
        """Load the earlier checkpoints this run may reuse and prepare its own."""
        if self.checkpoint_files is not None:
            read_dirs = [os.path.abspath(path) for path in self.checkpoint_files]
        elif self.checkpoint_mode is not None:
            read_dirs = get_all_checkpoints(config_run_dir)
        else:
            read_dirs = []
        self._index = load_index(read_dirs) if self.memoize else {}
        if self.checkpoint_mode is not None:
            self.checkpoint_dir = os.path.abspath(os.path.join(run_dir, "checkpoint"))
            make_private_dirs(self.checkpoint_dir)
        if self.checkpoint_dir or read_dirs:
            self.store = CheckpointStore(self.checkpoint_dir, read_dirs,
                                         commit_at_once=self.checkpoint_mode == "task_exit")
        if self.checkpoint_mode == "periodic":
            self._schedule_checkpoint()
        logger.info("Memoizer: %d checkpoint entries from %s", len(self._index), read_dirs)

    def checkpoint(self) -> str | None:
        """Commit the results written so far; returns the checkpoint directory."""
        if self.checkpoint_dir is not None and self.checkpoint_mode != "task_exit":
            with self._lock:
                count = commit_pending(self.checkpoint_dir)
            logger.info("Committed %d checkpoint entries to %s", count, self.checkpoint_dir)
        return self.checkpoint_dir

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.checkpoint()
        self._table.clear()

    def _schedule_checkpoint(self) -> None:
        def tick() -> None:
            try:
                self.checkpoint()
            except Exception:
                logger.exception("Periodic checkpoint failed")
            if self._timer is not None:
                self._schedule_checkpoint()

        self._timer = threading.Timer(self.checkpoint_period, tick)
        self._timer.daemon = True
        self._timer.start()

    # -- lookups -----------------------------------------------------------
    def plan(self, record: dict, resolver: Any, key: str) -> tuple[str, MemoPlan, list]:
        """``(lookup key, plan for the worker, dependencies in slot order)`` of a call.

        The lookup key is the hashsum when every dependency's token is known,
        else a stand-in that identifies the dependencies by task, so identical
        calls of this run still meet. Raises ``ValueError`` naming an argument
        that has no deterministic token.
        """
        app = record["app"]
        slots: dict[int, int] = {}
        deps: list = []

        def slot(dep: Any) -> DependencySlot:
            index = slots.get(id(dep))
            if index is None:
                index = slots[id(dep)] = len(deps)
                deps.append(dep)
            return DependencySlot(index)

        args, kwargs = record["args"], record["kwargs"]
        if record["depends"]:
            args, kwargs = _with_slots(resolver, args, kwargs, slot)
        ignored = record["ignore_for_cache"]
        if ignored:
            kwargs = {name: value for name, value in kwargs.items() if name not in ignored}
        structure = _structure_token(self._prefix(app), args, kwargs, record)
        tokens = [_known_token(dep) for dep in deps]
        if None in tokens:
            stand_ins = [token or _stand_in(dep) for token, dep in zip(tokens, deps, strict=True)]
            lookup_key = "provisional-" + hashlib.md5(repr((structure, stand_ins)).encode()).hexdigest()
            plan = MemoPlan(key, None, structure, tokens, self.store)
        else:
            lookup_key = hash_call(structure, tokens)
            plan = MemoPlan(key, lookup_key, structure, (), self.store)
        return lookup_key, plan, deps

    def find(self, lookup_key: str) -> Any:
        """The future of an identical call of this run, a checkpoint ``Entry``, or None."""
        found = self._table.get(lookup_key)
        if found is None:
            found = self._index.get(lookup_key)
        return found

    def remember(self, lookup_key: str, future: Any) -> None:
        self._table.setdefault(lookup_key, future)

    def _prefix(self, app: Any) -> tuple:
        prefix = self._prefixes.get(app)
        if prefix is None:
            func = app.func
            identity = f"{getattr(func, '__module__', None)}.{getattr(func, '__qualname__', repr(func))}"
            prefix = self._prefixes[app] = (identity, code_fingerprint(func))
        return prefix


class DependencySlot:
    """Stands for the n-th dependency of a call in its structure token."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __dask_tokenize__(self) -> tuple:
        return ("dask-parsl-dependency", self.index)

    def __repr__(self) -> str:
        return f"<dependency {self.index}>"


class MemoPlan:
    """What the worker needs to hash a cached call and look it up."""

    __slots__ = ("key", "hashsum", "structure", "dep_tokens", "store")

    def __init__(self, key: str, hashsum: str | None, structure: str, dep_tokens: Sequence,
                 store: CheckpointStore | None) -> None:
        self.key = key
        self.hashsum = hashsum
        self.structure = structure
        self.dep_tokens = dep_tokens
        self.store = store

    def __reduce__(self) -> tuple:
        return MemoPlan, (self.key, self.hashsum, self.structure, self.dep_tokens, self.store)


class CachedAppCall(AppCall):
    """An app call that looks up, and saves to, the checkpoint store on the worker."""

    __slots__ = ()
    leading_args = 2  # the plan and the dependency values

    def __call__(self, plan: MemoPlan, dep_values: list, /, *args: Any, **kwargs: Any) -> Any:
        hashsum = plan.hashsum
        if hashsum is None:
            tokens = [token if token is not None else _value_token(value, index, self.name)
                      for index, (token, value) in enumerate(zip(plan.dep_tokens, dep_values, strict=True))]
            hashsum = hash_call(plan.structure, tokens)
        store = plan.store
        if store is not None:
            found, value = store.lookup(hashsum)
            if found:
                _report(plan.key, hashsum, result_token(value), hit=True)
                return value
        result = AppCall.__call__(self, *args, **kwargs)
        token = result_token(result)
        if store is not None:
            try:
                store.write(hashsum, token, result)
            except Exception:
                logger.exception("Could not checkpoint the result of %s", plan.key)
        _report(plan.key, hashsum, token, hit=False)
        return result


def hash_call(structure: str, dep_tokens: Sequence) -> str:
    """A call's hashsum, from its structure token and its dependencies' value tokens."""
    return hashlib.md5("\0".join([structure, *dep_tokens]).encode()).hexdigest()


def result_token(value: Any) -> str | None:
    """The deterministic Dask token of a result, or None if it has none."""
    try:
        return tokenize(value, ensure_deterministic=True)
    except Exception:
        return None


def code_fingerprint(func: Callable) -> str:
    """A token of a function's code: editing its body changes it; moving it does not."""
    code = getattr(func, "__code__", None)
    if code is None:
        return tokenize(func)
    return tokenize(_code_parts(code))


def _code_parts(code: types.CodeType) -> tuple:
    consts = tuple(_code_parts(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars)


#: argument types whose repr is a deterministic, unambiguous description of them
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), bytes})


def _plain(value: Any) -> bool:
    kind = type(value)
    return kind in _PLAIN_TYPES or kind is DependencySlot or (
        (kind is tuple or kind is list) and all(_plain(item) for item in value))


def _structure_token(prefix: tuple, args: tuple, kwargs: dict, record: dict) -> str:
    """The token of a call minus its dependencies' values (computed on the client only)."""
    if all(_plain(value) for value in args) and all(_plain(value) for value in kwargs.values()):
        # the common case, 20x cheaper than tokenize: scalars, strings, slots
        return hashlib.md5(repr((prefix, args, sorted(kwargs.items()))).encode()).hexdigest()
    try:
        return tokenize(prefix, args, sorted(kwargs.items()), ensure_deterministic=True)
    except Exception:
        named = [(f"positional argument {i}", value) for i, value in enumerate(args)]
        named += [(f"argument {name!r}", value) for name, value in kwargs.items()]
        for name, value in named:
            if result_token(value) is None:
                raise ValueError(
                    f"Task {record['id']} (app {record['func_name']}) cannot be memoized: its "
                    f"{name} ({type(value).__name__}) has no deterministic Dask token. Register "
                    "one with dask.base.normalize_token.register, or name it in ignore_for_cache."
                ) from None
        raise


def _value_token(value: Any, index: int, app_name: str) -> str:
    token = result_token(value)
    if token is None:
        raise ValueError(
            f"{app_name} cannot be memoized: the value of its dependency {index} "
            f"({type(value).__name__}) has no deterministic Dask token. Register one with "
            "dask.base.normalize_token.register, or do not cache this app."
        )
    return token


def _known_token(dep: Any) -> str | None:
    if isinstance(dep, AppFuture):
        return dep._memo_token
    if isinstance(dep, DataFuture):  # stands for its File
        return tokenize(dep.file_obj)
    return None


def _stand_in(dep: Any) -> tuple:
    if isinstance(dep, AppFuture):
        return ("task", dep.tid)
    if isinstance(dep, distributed.Future):
        return ("dask", dep.key)
    return ("object", id(dep))


def _with_slots(resolver: Any, args: tuple, kwargs: dict, slot: Callable) -> tuple[tuple, dict]:
    swap = resolver.traverse_to_replace

    def one(value: Any) -> Any:
        if is_dependency(value):
            return slot(value)
        if isinstance(value, (list, tuple, set, frozenset, dict)):
            return swap(value, slot)
        return value

    new_kwargs = {}
    for name, value in kwargs.items():
        if name == "inputs" and isinstance(value, (list, tuple)):
            new_kwargs[name] = type(value)(one(item) for item in value)
        else:
            new_kwargs[name] = one(value)
    return tuple(one(value) for value in args), new_kwargs


def _report(key: str, hashsum: str, token: str | None, hit: bool) -> None:
    try:
        worker = distributed.get_worker()
    except ValueError:  # not on a worker
        return
    worker.log_event(MEMO_TOPIC, {"kind": "memo", "key": key, "hashsum": hashsum,
                                  "token": token, "hit": hit})


def _seconds(period: str) -> float:
    try:
        hours, minutes, seconds = (int(part) for part in period.split(":"))
    except ValueError:
        raise ConfigurationError(f"checkpoint_period must be 'HH:MM:SS', not {period!r}") from None
    return float(hours * 3600 + minutes * 60 + seconds)

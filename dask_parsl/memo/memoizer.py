"""``BasicMemoizer``: Parsl's app cache and checkpoints, keyed by Dask tokens.

The client answers what it can (identical calls in this run, committed
checkpoint entries) without creating a Dask task; the worker running a call
looks up the checkpoint store for what only it can hash (``cached_call``).
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import warnings
import weakref
from collections import Counter
from typing import Any, Sequence

import distributed
from dask.base import tokenize
from dask.utils import parse_bytes

from .. import settings
from ..dataflow.dependencies import swap_dependencies
from ..dataflow.errors import BadCheckpoint
from ..dataflow.futures import AppFuture, DataFuture
from ..durations import clock_seconds
from ..errors import ConfigurationError
from .cached_call import MemoPlan
from .errors import UntrustedCheckpoint, UntrustedCheckpointWarning
from .fingerprint import code_fingerprint
from .hashers import registered_hashers
from .hashing import DependencySlot, hash_call, structure_token
from .store import (
    CheckpointStore,
    Entry,
    commit_left_pending,
    commit_pending,
    get_all_checkpoints,
    load_index,
    make_private_dirs,
    write_python_tag,
)
from .trust import check_checkpoint_dir

logger = logging.getLogger(__name__)

CHECKPOINT_MODES = (None, "task_exit", "periodic", "dfk_exit", "manual")
DEFAULT_CHECKPOINT_PERIOD = "00:30:00"


def _trusted(checkpoint_dirs: list[str]) -> list[str]:
    """Those of ``checkpoint_dirs`` no other user could have written into; a warning for each other."""
    trusted = []
    for directory in checkpoint_dirs:
        try:
            check_checkpoint_dir(directory)
        except UntrustedCheckpoint as error:
            warnings.warn(f"{error}; their tasks run again", UntrustedCheckpointWarning, stacklevel=4)
            continue
        trusted.append(directory)
    return trusted


def check_checkpoint_mode(mode: Any) -> None:
    """``ConfigurationError`` unless ``mode`` is one of ``CHECKPOINT_MODES``."""
    if mode not in CHECKPOINT_MODES:
        raise ConfigurationError(f"checkpoint_mode must be one of {CHECKPOINT_MODES}, not {mode!r}")


def period_seconds(period: str) -> float:
    """Seconds in a ``checkpoint_period`` (``"HH:MM:SS"``, as Parsl requires)."""
    try:
        if str(period).count(":") != 2:
            raise ValueError(period)
        return clock_seconds(period)
    except ValueError:
        raise ConfigurationError(f"checkpoint_period must be 'HH:MM:SS', not {period!r}") from None


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

    Within a run, identical calls share one result. The results of up to
    ``parsl.memo.pin-limit`` bytes each stay in worker memory for that; a larger
    one is shared only while its future is held (or read back from its
    checkpoint entry), else computed again.
    """

    def __init__(
        self,
        *,
        checkpoint_files: Sequence[str] | None = None,
        checkpoint_period: str | None = None,
        checkpoint_mode: str | None = None,
        memoize: bool = True,
    ) -> None:
        check_checkpoint_mode(checkpoint_mode)
        self.checkpoint_files = checkpoint_files
        self.checkpoint_mode = checkpoint_mode
        self.checkpoint_period = checkpoint_period
        self._period = period_seconds(checkpoint_period or DEFAULT_CHECKPOINT_PERIOD)
        self.pin_limit = 0
        self.memoize = memoize
        self.hits: Counter = Counter()
        self.misses: Counter = Counter()
        self.checkpoint_dir: str | None = None
        self.store: CheckpointStore | None = None
        self._table: dict[str, Any] = {}  # lookup key -> AppFuture, or a weak reference to one
        self._provisional: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # future -> key
        self._index: dict[str, Entry] = {}
        self._prefixes: dict[Any, tuple] = {}
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------
    def start(self, *, run_dir: str, config_run_dir: str) -> None:
        """Load the earlier checkpoints this run may reuse and prepare its own."""
        self.pin_limit = parse_bytes(settings.get("memo.pin-limit"))
        if self.checkpoint_files is not None:
            read_dirs = [os.path.abspath(path) for path in self.checkpoint_files]
            missing = [path for path in read_dirs if not os.path.isdir(path)]
            if missing:
                raise BadCheckpoint(f"checkpoint_files names {', '.join(missing)}, which "
                                    f"{'is' if len(missing) == 1 else 'are'} not a checkpoint directory; "
                                    "get_all_checkpoints(run_dir) lists those of earlier runs")
        elif self.checkpoint_mode is not None:
            read_dirs = get_all_checkpoints(config_run_dir)
        else:
            read_dirs = []
        read_dirs = _trusted(read_dirs)
        if self.memoize:
            commit_left_pending(read_dirs)
            self._index = load_index(read_dirs)
        if self.checkpoint_mode is not None:
            self.checkpoint_dir = os.path.abspath(os.path.join(run_dir, "checkpoint"))
            make_private_dirs(self.checkpoint_dir)
            write_python_tag(self.checkpoint_dir)
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

        self._timer = threading.Timer(self._period, tick)
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
            args, kwargs = swap_dependencies(resolver, args, kwargs, slot)
        ignored = record["ignore_for_cache"]
        if ignored:
            kwargs = {name: value for name, value in kwargs.items() if name not in ignored}
        structure = structure_token(self._prefix(app), args, kwargs, record)
        tokens = [known_token(dep) for dep in deps]
        if None in tokens:
            stand_ins = [token or stand_in(dep) for token, dep in zip(tokens, deps, strict=True)]
            lookup_key = "provisional-" + hashlib.md5(repr((structure, stand_ins)).encode()).hexdigest()
            plan = MemoPlan(key, None, structure, tokens, self.store, registered_hashers())
        else:
            lookup_key = hash_call(structure, tokens)
            plan = MemoPlan(key, lookup_key, structure, (), self.store, registered_hashers())
        return lookup_key, plan, deps

    def find(self, lookup_key: str) -> Any:
        """The future of an identical call of this run, a checkpoint ``Entry``, or None."""
        found = self._table.get(lookup_key)
        if type(found) is weakref.ReferenceType:
            found = found()
        if found is None:
            found = self._index.get(lookup_key)
        return found

    def remember(self, lookup_key: str, future: AppFuture) -> None:
        """Share ``future`` with identical calls of this run (provisional keys until the
        call's hashsum is known)."""
        self._share(lookup_key, future)
        if lookup_key.startswith("provisional-"):
            self._provisional[future] = lookup_key

    def forget(self, future: AppFuture) -> None:
        """Stop sharing ``future`` (its call was cancelled): identical calls run again."""
        for key in (self._provisional.pop(future, None), future.task_record.get("hashsum")):
            found = self._table.get(key) if key is not None else None
            if found is future or (type(found) is weakref.ReferenceType and found() is future):
                del self._table[key]

    def hashed(self, hashsum: str, future: AppFuture, nbytes: int | None) -> None:
        """The call of ``future`` has hashsum ``hashsum`` and a result of ``nbytes``:
        share it by hashsum, and hold it weakly if it is larger than ``pin_limit``."""
        keys = [hashsum]
        provisional = self._provisional.pop(future, None)
        if provisional is not None:
            keys.append(provisional)
        self._share(hashsum, future)
        if nbytes is not None and nbytes > self.pin_limit:
            keys = [key for key in keys if self._table.get(key) is future]
            table = self._table

            def forget(reference: weakref.ReferenceType) -> None:
                for key in keys:
                    if table.get(key) is reference:
                        table.pop(key, None)

            reference = weakref.ref(future, forget)
            for key in keys:
                table[key] = reference

    def _share(self, key: str, future: AppFuture) -> None:
        found = self._table.get(key)
        if found is None or (type(found) is weakref.ReferenceType and found() is None):
            self._table[key] = future

    def _prefix(self, app: Any) -> tuple:
        prefix = self._prefixes.get(app)
        if prefix is None:
            func = app.func
            name = getattr(func, "__qualname__", type(func).__qualname__)  # no repr: it holds an address
            identity = f"{getattr(func, '__module__', None)}.{name}"
            prefix = self._prefixes[app] = (identity, code_fingerprint(func, passed=app.kwargs))
        return prefix


def known_token(dep: Any) -> str | None:
    """The token of a dependency's value, when the client knows it."""
    if isinstance(dep, AppFuture):
        return dep._memo_token
    if isinstance(dep, DataFuture):  # stands for its File
        return tokenize(dep.file_obj)
    return None


def stand_in(dep: Any) -> tuple:
    """What identifies a dependency whose token is not known yet."""
    if isinstance(dep, AppFuture):
        return ("task", dep.tid)
    if isinstance(dep, distributed.Future):
        return ("dask", dep.key)
    return ("object", id(dep))

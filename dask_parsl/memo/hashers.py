"""``id_for_memo``: Parsl's extension point for hashing argument types, feeding Dask tokens.

Parsl users make their types hashable with ``id_for_memo.register``; Dask users
with ``dask.base.normalize_token.register`` (or a ``__dask_tokenize__`` method).
Both count here: ``memo_token`` asks ``id_for_memo``'s registrations first, for
a value and for the items of lists, tuples and dicts (as Parsl does), and
Dask's tokenizer for everything else. The registrations travel to workers with
the cached tasks that hash values there (``registered_hashers``,
``install_hashers``).
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from dask.base import tokenize

from .errors import UnhashableArgument


@functools.singledispatch
def id_for_memo(obj: object, output_ref: bool = False) -> bytes:
    """Bytes that identify ``obj`` for memoization: equal for values that are "the same".

    Register a hasher for your own type, as in Parsl::

        @id_for_memo.register(Particle)
        def _(particle, output_ref=False):
            return id_for_memo([particle.mass, particle.charge])

    ``output_ref`` is True for values given in ``outputs=``. A type without a
    registration is identified by its deterministic Dask token; one that has
    none raises ``UnhashableArgument`` (a ``ValueError``) naming the type.
    """
    token = deterministic_token(obj)
    if token is None:
        raise UnhashableArgument(f"unknown type for memoization: {type(obj)}: it has no deterministic Dask "
                         "token; register a hasher with id_for_memo.register")
    return token.encode()


_DEFAULT = id_for_memo.dispatch(object)
_CONTAINERS = (list, tuple, set, frozenset, dict)


def deterministic_token(*values: Any) -> str | None:
    """Dask's deterministic token of ``values``, or None if they have none."""
    try:
        return tokenize(*values, ensure_deterministic=True)
    except Exception:
        return None


def has_hasher(kind: type) -> bool:
    """Whether a hasher is registered with ``id_for_memo`` for ``kind``."""
    return len(id_for_memo.registry) > 1 and id_for_memo.dispatch(kind) is not _DEFAULT


def registered_hashers() -> tuple[tuple[type, Callable], ...]:
    """The hashers registered with ``id_for_memo`` in this process (none: ``()``)."""
    registry = id_for_memo.registry
    if len(registry) == 1:
        return ()
    return tuple((kind, hasher) for kind, hasher in registry.items() if kind is not object)


def install_hashers(hashers: tuple[tuple[type, Callable], ...]) -> None:
    """Register ``hashers`` (from ``registered_hashers`` elsewhere) in this process."""
    registry = id_for_memo.registry
    for kind, hasher in hashers:
        if registry.get(kind) is not hasher:
            id_for_memo.register(kind, hasher)


def memo_token(value: Any, output_ref: bool = False) -> str:
    """The token of ``value`` for memoization; ``UnhashableArgument`` naming the type of
    the (innermost) part that neither ``id_for_memo`` nor Dask can hash. An exception
    of a registered hasher propagates."""
    token = deterministic_token(with_hashers(value, output_ref))
    if token is None:
        kind = type(unhashable_part(value))
        raise UnhashableArgument(f"{kind.__module__}.{kind.__qualname__} has no deterministic Dask token")
    return token


def with_hashers(value: Any, output_ref: bool = False) -> Any:
    """``value`` with the parts that have a registered hasher replaced by its bytes
    (``value`` itself when it has none, so its token is the same as without hashers).
    An exception of a hasher propagates."""
    if len(id_for_memo.registry) == 1:
        return value
    return _with_hashers(value, output_ref)


def _with_hashers(value: Any, output_ref: bool) -> Any:
    kind = type(value)
    hasher = id_for_memo.dispatch(kind)
    if hasher is not _DEFAULT:
        return ("id_for_memo", kind.__module__, kind.__qualname__, hasher(value, output_ref=output_ref))
    if kind is list or kind is tuple:
        items = [_with_hashers(item, output_ref) for item in value]
        if any(new is not old for new, old in zip(items, value, strict=True)):
            return ("id_for_memo", kind.__name__, items)
    elif kind is dict:
        items = {key: _with_hashers(item, output_ref) for key, item in value.items()}
        if any(items[key] is not item for key, item in value.items()):
            pairs = sorted((memo_token(key), memo_token(item)) for key, item in items.items())
            return ("id_for_memo", "dict", pairs)
    return value


def unhashable_part(value: Any) -> Any:
    """The innermost item of ``value`` (through lists, tuples, sets and dicts) without a token."""
    if isinstance(value, _CONTAINERS):
        items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        for item in items:
            if not _hashable(item):
                return unhashable_part(item)
    return value


def _hashable(value: Any) -> bool:
    try:
        memo_token(value)
    except UnhashableArgument:
        return False
    return True

"""Hashing app calls for memoization, by memoization tokens (``hashers``).

A cached call's *hashsum* is the md5 of

* its *structure*: the app's identity, the fingerprint of its code
  (``fingerprint``), and its arguments (minus ``ignore_for_cache``) with each
  dependency replaced by a numbered ``DependencySlot``, computed on the client; and
* the memoization token of each dependency's value, in slot order, known on the
  client or computed by the worker that received the value.

Users make more types hashable with ``id_for_memo.register`` (Parsl's way) or
``dask.base.normalize_token.register``.
"""
from __future__ import annotations

import hashlib
from typing import Any, Sequence

from .errors import UnhashableArgument
from .hashers import deterministic_token, has_hasher, id_for_memo, memo_token, with_hashers


class DependencySlot:
    """Stands for the n-th dependency of a call in its structure token."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __dask_tokenize__(self) -> tuple:
        return ("dask-parsl-dependency", self.index)

    def __repr__(self) -> str:
        return f"<dependency {self.index}>"


def hash_call(structure: str, dep_tokens: Sequence) -> str:
    """A call's hashsum, from its structure token and its dependencies' value tokens."""
    return hashlib.md5("\0".join([structure, *dep_tokens]).encode()).hexdigest()


def result_token(value: Any) -> str | None:
    """The memoization token of a result, or None if it has none."""
    try:
        return memo_token(value)
    except Exception:
        return None


#: argument types whose repr is a deterministic, unambiguous description of them
_PLAIN_TYPES = (str, int, float, bool, type(None), bytes)


def _plain(value: Any) -> bool:
    kind = type(value)
    return kind in _PLAIN_TYPES or kind is DependencySlot or (
        (kind is tuple or kind is list) and all(_plain(item) for item in value))


def structure_token(prefix: tuple, args: tuple, kwargs: dict, record: dict) -> str:
    """The token of a call minus its dependencies' values (computed on the client only).

    ``UnhashableArgument`` names an argument that cannot be hashed; the exception
    of a hasher registered with ``id_for_memo`` propagates."""
    if (all(_plain(value) for value in args) and all(_plain(value) for value in kwargs.values())
            and (len(id_for_memo.registry) == 1 or not any(map(has_hasher, _PLAIN_TYPES)))):
        # the common case, 20x cheaper than tokenize: scalars, strings, slots
        return hashlib.md5(repr((prefix, args, sorted(kwargs.items()))).encode()).hexdigest()
    hashed_args, hashed_kwargs = args, kwargs
    if len(id_for_memo.registry) > 1:
        hashed_args = tuple(with_hashers(value) for value in args)
        hashed_kwargs = {name: with_hashers(value, name == "outputs") for name, value in kwargs.items()}
    token = deterministic_token(prefix, hashed_args, sorted(hashed_kwargs.items()))
    if token is not None:
        return token
    named = [(f"positional argument {i}", value) for i, value in enumerate(args)]
    named += [(f"argument {name!r}", value) for name, value in kwargs.items()]
    for name, value in named:
        try:
            memo_token(value)
        except UnhashableArgument as error:
            raise UnhashableArgument(
                f"Task {record['id']} (app {record['func_name']}) cannot be memoized: its {name} "
                f"({type(value).__name__}) cannot be hashed ({error}). Register a hasher with "
                "id_for_memo.register (or dask.base.normalize_token.register), or name it in "
                "ignore_for_cache."
            ) from None
    raise UnhashableArgument(f"Task {record['id']} (app {record['func_name']}) cannot be memoized")


def value_token(value: Any, index: int, app_name: str) -> str:
    """The memoization token of a dependency's value, computed where the value is."""
    try:
        return memo_token(value)
    except UnhashableArgument as error:
        raise UnhashableArgument(
            f"{app_name} cannot be memoized: the value of its dependency {index} "
            f"({type(value).__name__}) cannot be hashed ({error}). Register a hasher with "
            "id_for_memo.register (or dask.base.normalize_token.register), or do not cache this app."
        ) from None

"""Hashing app calls for memoization, by Dask tokens.

A cached call's *hashsum* is the md5 of

* its *structure*: the app's identity, a fingerprint of its code, and its
  arguments (minus ``ignore_for_cache``) with each dependency replaced by a
  numbered ``DependencySlot``, computed on the client; and
* the Dask token (deterministic mode) of each dependency's value, in slot order,
  known on the client or computed by the worker that received the value.

Users make more types hashable with ``dask.base.normalize_token.register``.
"""
from __future__ import annotations

import hashlib
import types
from typing import Any, Callable, Sequence

from dask.base import tokenize


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


def structure_token(prefix: tuple, args: tuple, kwargs: dict, record: dict) -> str:
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


def value_token(value: Any, index: int, app_name: str) -> str:
    token = result_token(value)
    if token is None:
        raise ValueError(
            f"{app_name} cannot be memoized: the value of its dependency {index} "
            f"({type(value).__name__}) has no deterministic Dask token. Register one with "
            "dask.base.normalize_token.register, or do not cache this app."
        )
    return token

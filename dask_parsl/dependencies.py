"""Which arguments of an app call are dependencies, and how to replace them.

The shallow resolver (the default, as in Parsl) looks at each positional
argument, each keyword argument and each item of ``inputs``. The deep resolver
also looks inside lists, tuples, sets and dict values, at any depth; register
more container types with ``deep_gather.register`` / ``deep_replace.register``.
"""
from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from functools import singledispatch
from typing import Any, Callable

import distributed
from dask import is_dask_collection
from dask._task_spec import parse_input


def is_dependency(obj: Any) -> bool:
    """Futures of any kind and Dask collections are dependencies."""
    return isinstance(obj, (concurrent.futures.Future, distributed.Future)) or (
        not isinstance(obj, (str, bytes, int, float)) and is_dask_collection(obj)
    )


@dataclass(frozen=True)
class DependencyResolver:
    """How to find dependencies in one argument, and how to swap them out."""

    traverse_to_gather: Callable[[Any], list]
    traverse_to_replace: Callable[[Any, Callable[[Any], Any]], Any]


def _shallow_gather(obj: Any) -> list:
    return [obj] if is_dependency(obj) else []


def _shallow_replace(obj: Any, replace: Callable[[Any], Any]) -> Any:
    return replace(obj) if is_dependency(obj) else obj


@singledispatch
def deep_gather(obj: Any) -> list:
    return [obj] if is_dependency(obj) else []


@deep_gather.register(list)
@deep_gather.register(tuple)
@deep_gather.register(set)
@deep_gather.register(frozenset)
def _(obj) -> list:
    return [dep for item in obj for dep in deep_gather(item)]


@deep_gather.register(dict)
def _(obj: dict) -> list:
    return [dep for value in obj.values() for dep in deep_gather(value)]


@singledispatch
def deep_replace(obj: Any, replace: Callable[[Any], Any]) -> Any:
    return replace(obj) if is_dependency(obj) else obj


@deep_replace.register(list)
@deep_replace.register(tuple)
@deep_replace.register(set)
@deep_replace.register(frozenset)
def _(obj, replace):
    if is_dependency(obj):  # e.g. a namedtuple-like collection
        return replace(obj)
    return type(obj)(deep_replace(item, replace) for item in obj)


@deep_replace.register(dict)
def _(obj: dict, replace):
    return type(obj)((key, deep_replace(value, replace)) for key, value in obj.items())


SHALLOW_DEPENDENCY_RESOLVER = DependencyResolver(_shallow_gather, _shallow_replace)
DEEP_DEPENDENCY_RESOLVER = DependencyResolver(deep_gather, deep_replace)


def gather_dependencies(resolver: DependencyResolver, args: tuple, kwargs: dict) -> list:
    """All dependencies of a call, in argument order, each listed once."""
    found: list = []
    gather = resolver.traverse_to_gather
    for value in args:
        found.extend(gather(value))
    for name, value in kwargs.items():
        if name == "inputs" and isinstance(value, (list, tuple)):
            for item in value:
                found.extend(gather(item))
        else:
            found.extend(gather(value))
    if len(found) > 1:
        unique = {id(dep): dep for dep in found}
        found = list(unique.values())
    return found


def replace_dependencies(
    resolver: DependencyResolver, args: tuple, kwargs: dict, replace: Callable[[Any], Any]
) -> tuple[tuple, dict]:
    """The call's arguments with every dependency swapped for ``replace(dep)``.

    ``replace`` may return dask graph nodes; containers holding them are turned
    into graph containers so Dask resolves what is inside.
    """
    swap = resolver.traverse_to_replace

    def swap_value(value: Any) -> Any:
        if is_dependency(value):
            return replace(value)
        if not isinstance(value, (list, tuple, set, frozenset, dict)):
            return value
        replaced = 0

        def counting_replace(dep: Any) -> Any:
            nonlocal replaced
            replaced += 1
            return replace(dep)

        new_value = swap(value, counting_replace)
        return parse_input(new_value) if replaced else value

    new_args = tuple(swap_value(value) for value in args)
    new_kwargs = {}
    for name, value in kwargs.items():
        if name == "inputs" and isinstance(value, (list, tuple)):
            items = type(value)(swap_value(item) for item in value)
            new_kwargs[name] = parse_input(items)
        else:
            new_kwargs[name] = swap_value(value)
    return new_args, new_kwargs

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
from typing import Any, Callable, Iterator

import distributed
from dask import is_dask_collection

from ..internals import graph_value
from .futures import DataFuture

#: keyword arguments whose list items, not the list, are the values of a call
INPUTS = ("inputs",)
_CONTAINERS = (list, tuple, set, frozenset, dict)


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


def call_values(args: tuple, kwargs: dict, lists: tuple = INPUTS, skip: tuple = ()) -> Iterator[Any]:
    """The values of a call: each positional argument, each keyword argument not in
    ``skip``, and, for the keywords in ``lists`` (``inputs``), each item instead."""
    yield from args
    for name, value in kwargs.items():
        if name in lists and isinstance(value, (list, tuple)):
            yield from value
        elif name not in skip:
            yield value


def map_call_values(args: tuple, kwargs: dict, change: Callable[[Any], Any],
                    skip: tuple = ()) -> tuple[tuple, dict]:
    """The call with ``change(value)`` for each value ``call_values`` yields; ``inputs``
    keeps its type, and keywords in ``skip`` are kept as they are."""
    new_kwargs = {}
    for name, value in kwargs.items():
        if name in INPUTS and isinstance(value, (list, tuple)):
            new_kwargs[name] = type(value)(change(item) for item in value)
        elif name in skip:
            new_kwargs[name] = value
        else:
            new_kwargs[name] = change(value)
    return tuple(change(value) for value in args), new_kwargs


def gather_dependencies(resolver: DependencyResolver, args: tuple, kwargs: dict) -> list:
    """All dependencies of a call, in argument order, each listed once."""
    gather = resolver.traverse_to_gather
    found: list = []
    for value in call_values(args, kwargs):
        found += gather(value)
    if len(found) > 1:
        found = list({id(dep): dep for dep in found}.values())
    return found


def swap_dependencies(resolver: DependencyResolver, args: tuple, kwargs: dict,
                      replace: Callable[[Any], Any]) -> tuple[tuple, dict]:
    """The call's arguments with every dependency swapped for ``replace(dep)``,
    containers rebuilt only where they held one."""
    swap = resolver.traverse_to_replace

    def swap_value(value: Any) -> Any:
        if is_dependency(value):
            return replace(value)
        return swap(value, replace) if isinstance(value, _CONTAINERS) else value

    return map_call_values(args, kwargs, swap_value)


def replace_dependencies(
    resolver: DependencyResolver, args: tuple, kwargs: dict, replace: Callable[[Any], Any]
) -> tuple[tuple, dict]:
    """The call's arguments with every dependency swapped for ``replace(dep)``, which
    may return Dask graph nodes: containers that held one become graph containers,
    so Dask resolves what is inside."""
    swap = resolver.traverse_to_replace

    def swap_value(value: Any) -> Any:
        if is_dependency(value):
            return replace(value)
        if not isinstance(value, _CONTAINERS):
            return value
        replaced = False

        def noting_replace(dep: Any) -> Any:
            nonlocal replaced
            replaced = True
            return replace(dep)

        new_value = swap(value, noting_replace)
        return graph_value(new_value) if replaced else value

    new_args, new_kwargs = map_call_values(args, kwargs, swap_value)
    if isinstance(new_kwargs.get("inputs"), (list, tuple)):
        new_kwargs["inputs"] = graph_value(new_kwargs["inputs"])
    return new_args, new_kwargs


def local_value(dep: Any, computed: dict) -> Any:
    """The value of ``dep`` in this process (blocking until it is there): a
    ``DataFuture``'s ``File``, a Dask collection's computed result, a future's result."""
    if isinstance(dep, DataFuture):
        return dep.file_obj
    if id(dep) in computed:
        return computed[id(dep)].result()
    return dep.result()

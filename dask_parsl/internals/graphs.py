"""Building and submitting task graphs (``dask._task_spec``, ``dask._expr``, ``Client._graph_to_futures``)."""
from __future__ import annotations

import uuid
from typing import Any

from distributed import Client
from distributed.spans import SpanMetadata

from .probes import _dask_module, _require, _task_spec
from .released_futures import release_in_batches


# -- task graphs (dask 2026.8.0) ------------------------------------------------------
def task_type() -> type:
    """The class of graph nodes that call a function: ``Task(key, func, *args, **kwargs)``
    (``dask._task_spec.Task``; tested on dask 2026.8.0)."""
    return _task_spec("Task")


def task_ref(key: Any) -> Any:
    """A reference to the result of another key, or a list of them
    (``TaskRef``, ``List``; tested on dask 2026.8.0)."""
    ref = _task_spec("TaskRef")
    if isinstance(key, list):
        return _task_spec("List")(*[ref(k) for k in key])
    return ref(key)


def graph_value(value: Any) -> Any:
    """``value`` as a graph argument, containers of graph nodes included
    (``dask._task_spec.parse_input``; tested on dask 2026.8.0)."""
    return _task_spec("parse_input")(value)


def user_arguments(task: Any, skip: int) -> tuple[tuple, dict]:
    """The positional (minus the first ``skip``) and keyword arguments of a ``task_type()`` node."""
    return task.args[skip:], task.kwargs


try:
    from dask._expr import LLGExpr as _LowLevelGraph
except ImportError:  # reported by submit_graph, where it is needed
    _LowLevelGraph = None
else:
    class _AnnotatedTasks(_LowLevelGraph):
        """A graph whose tasks carry Dask annotations (resource restrictions, priorities)
        by key (a class at module level: the scheduler unpickles it by name)."""

        _parameters = ["dsk", "annotations"]

        def __dask_annotations__(self) -> dict:
            return self.operand("annotations")


def submit_graph(client: Client, tasks: dict, keys: list, annotations: dict) -> list:
    """Submit ``tasks`` as one graph; returns the futures of ``keys``, in order.

    The tasks run in the order of ``keys`` (after those of earlier graphs), as
    ``client.map`` orders its tasks: ``Client.get`` would leave the order to
    ``dask.order``, which runs a burst of independent calls last-called first.
    The graph is named by a random token: tokenizing every task, as ``Client.get``
    does, costs most of a batch, and app calls are never deduplicated.
    ``annotations`` maps ``resources`` and ``priority`` to values by key (a
    priority annotation outranks the call order). The futures are released in
    batches once dropped (``BatchReleasedFuture``). Uses
    ``Client._graph_to_futures`` and ``dask._expr.LLGExpr`` (tested on 2026.8.0).
    """
    if _LowLevelGraph is None:  # raises, naming what is missing
        _require(_dask_module("dask._expr"), "LLGExpr", "dask._expr", "dask")
    token = uuid.uuid4().hex
    if annotations:
        graph = _AnnotatedTasks(tasks, annotations, _determ_token=token)
    else:
        graph = _LowLevelGraph(tasks, _determ_token=token)
    to_futures = _require(client, "_graph_to_futures", "distributed.Client")
    in_order = {key: position for position, key in enumerate(keys)}
    futures = to_futures(graph, keys, span_metadata=SpanMetadata(collections=[{"type": "low-level-graph"}]),
                         internal_priority=in_order, fifo_timeout=0)
    release_in_batches(futures.values())
    return [futures[key] for key in keys]

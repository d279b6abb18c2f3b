"""The dataflow: tasks, their futures and dependencies, and the kernel that runs them
(Parsl's ``parsl.dataflow``).

The kernel itself is ``dataflow.kernel.DataFlowKernel``, started by
``dataflow.loader.load``; this package's top level holds what apps and
executors share with it.
"""
from .dependencies import DEEP_DEPENDENCY_RESOLVER, SHALLOW_DEPENDENCY_RESOLVER, DependencyResolver
from .events import EventStream, TaskEvent
from .futures import AppFuture, DataFuture
from .states import States

__all__ = [
    "DEEP_DEPENDENCY_RESOLVER", "SHALLOW_DEPENDENCY_RESOLVER", "AppFuture", "DataFuture",
    "DependencyResolver", "EventStream", "States", "TaskEvent",
]

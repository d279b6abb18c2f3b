"""Executors: where app calls run (Parsl's ``parsl.executors``). Each is a Dask
cluster: embedded, given, or built from a batch system through dask-jobqueue.
"""
from .base import Executor
from .dask_executor import DaskExecutor
from .errors import ExecutorError, InvalidResourceSpecification
from .htex import HighThroughputExecutor
from .threads import ThreadPoolExecutor

__all__ = [
    "DaskExecutor", "Executor", "ExecutorError", "HighThroughputExecutor", "InvalidResourceSpecification",
    "ThreadPoolExecutor",
]

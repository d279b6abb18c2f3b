"""Executors: where app calls run (Parsl's ``parsl.executors``). Most are a Dask
cluster: embedded, given, or built from a batch system through dask-jobqueue.
``ThreadPoolExecutor``, and any executor written to Parsl's interface
(``ParslExecutor``), take calls from the kernel one by one.
"""
from .base import Executor
from .dask_executor import DaskExecutor
from .errors import ExecutorError, InvalidResourceSpecification
from .htex import HighThroughputExecutor
from .mpi_executor import MPIExecutor
from .parsl_style import ParslExecutor
from .threads import ThreadPoolExecutor
from .tls import security_from

__all__ = [
    "DaskExecutor", "Executor", "ExecutorError", "HighThroughputExecutor", "InvalidResourceSpecification",
    "MPIExecutor", "ParslExecutor", "ThreadPoolExecutor", "security_from",
]

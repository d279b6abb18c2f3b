"""dask_parsl: Parsl's workflow model (apps, futures, retries, checkpoints) on Dask."""
from . import settings  # noqa: F401  (registers the ``parsl`` dask.config defaults)
from .apps import JoinApp, PythonApp, join_app, python_app
from .bash import AUTO_LOGNAME, BashApp, bash_app
from .checkpoint import get_all_checkpoints, get_last_checkpoint
from .config import Config
from .dataflow import DataFlowKernel
from .dependencies import (
    DEEP_DEPENDENCY_RESOLVER,
    SHALLOW_DEPENDENCY_RESOLVER,
    DependencyResolver,
)
from .errors import (
    AppBadFormatting,
    AppException,
    AppTimeout,
    BadCheckpoint,
    BadStdStreamFile,
    BashAppNoReturn,
    BashExitFailure,
    ConfigurationError,
    DataFlowException,
    DependencyError,
    ExecutorLost,
    JobSubmissionFailed,
    JoinError,
    MissingOutputs,
    NoDataFlowKernelError,
    ParslError,
    ResourcesUnavailable,
    SerializationError,
    TaskCancelledAtCleanup,
    WalltimeReached,
    WorkerLost,
)
from .executors import DaskExecutor, ThreadPoolExecutor
from .files import File
from .futures import AppFuture, DataFuture
from .htex import HighThroughputExecutor
from .loader import DataFlowKernelLoader, clear, dfk, load, wait_for_current_tasks
from .memoization import BasicMemoizer
from .plugin import WorkflowPlugin
from .retries import RetryPolicy
from .staging import DataManager, Staging
from .staging_providers import (
    DEFAULT_STAGING,
    FTPSeparateTaskStaging,
    HTTPSeparateTaskStaging,
    NoOpFileStaging,
    ZipFileStaging,
)
from .states import States

__version__ = "0.1.0"

__all__ = [
    "AUTO_LOGNAME", "BashApp", "HighThroughputExecutor", "DEFAULT_STAGING", "DataManager",
    "FTPSeparateTaskStaging",
    "HTTPSeparateTaskStaging", "NoOpFileStaging", "Staging", "ZipFileStaging", "bash_app",
    "AppBadFormatting", "AppException", "AppFuture", "AppTimeout", "BadCheckpoint", "BasicMemoizer",
    "BadStdStreamFile", "BashAppNoReturn", "BashExitFailure", "Config", "ConfigurationError",
    "DEEP_DEPENDENCY_RESOLVER", "DaskExecutor", "DataFlowException", "DataFlowKernel",
    "DataFlowKernelLoader", "DataFuture", "DependencyError", "DependencyResolver",
    "ExecutorLost", "File", "JobSubmissionFailed", "JoinApp", "JoinError", "MissingOutputs",
    "NoDataFlowKernelError",
    "ParslError", "PythonApp", "SHALLOW_DEPENDENCY_RESOLVER", "SerializationError", "States",
    "ResourcesUnavailable", "RetryPolicy", "TaskCancelledAtCleanup", "ThreadPoolExecutor", "WalltimeReached",
    "WorkerLost",
    "WorkflowPlugin",
    "clear", "dfk", "get_all_checkpoints", "get_last_checkpoint", "join_app", "load",
    "python_app", "wait_for_current_tasks",
]

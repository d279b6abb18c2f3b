"""dask_parsl: Parsl's workflow model (apps, futures, retries, checkpoints) on Dask.

Every name a Parsl user imports from ``parsl`` is here. The kernel is imported
first: it pulls in the subpackages in the order they depend on one another.
"""
from . import settings  # noqa: F401  (registers the ``parsl`` dask.config defaults first)
from .apps import AUTO_LOGNAME, BashApp, JoinApp, PythonApp, bash_app, join_app, python_app
from .apps.errors import (
    AppBadFormatting,
    AppException,
    AppTimeout,
    BadAppArgument,
    BadStdStreamFile,
    BashAppNoReturn,
    BashExitFailure,
    MissingOutputs,
)
from .config import Config
from .dataflow import (
    DEEP_DEPENDENCY_RESOLVER,
    SHALLOW_DEPENDENCY_RESOLVER,
    AppFuture,
    DataFuture,
    DependencyResolver,
    States,
)
from .dataflow.errors import (
    BadCheckpoint,
    DataFlowException,
    DependencyError,
    ExecutorLost,
    JoinError,
    RemoteExceptionNotLoadable,
    ResultNotKept,
    SerializationError,
    TaskCancelled,
    TaskCancelledAtCleanup,
)
from .dataflow.kernel import DataFlowKernel
from .dataflow.loader import DataFlowKernelLoader, clear, dfk, load, wait_for_current_tasks
from .dataflow.retries import RetryPolicy
from .errors import (
    ConfigurationError,
    NoDataFlowKernelError,
    ParslError,
    ParslNameNotProvided,
    ParslOptionIgnored,
)
from .executors import DaskExecutor, HighThroughputExecutor, MPIExecutor, ThreadPoolExecutor, security_from
from .executors.errors import ExecutorError, InvalidResourceSpecification
from .executors.multi_node import multi_node_class
from .logs import set_file_logger, set_stream_logger
from .memo import BasicMemoizer, get_all_checkpoints, get_last_checkpoint
from .monitoring import MonitoringHub
from .progress import progress
from .scheduler import WorkflowPlugin
from .scheduler.errors import JobSubmissionFailed, ResourcesUnavailable, WalltimeReached, WorkerLost
from .staging import (
    DEFAULT_STAGING,
    File,
    FTPSeparateTaskStaging,
    HTTPSeparateTaskStaging,
    NoOpFileStaging,
    Staging,
    ZipFileStaging,
)
from .staging.data_manager import DataManager

__version__ = "0.1.0"

__all__ = [
    # apps
    "AUTO_LOGNAME", "BashApp", "JoinApp", "PythonApp", "bash_app", "join_app", "python_app",
    # the kernel and its lifecycle
    "Config", "DataFlowKernel", "DataFlowKernelLoader", "clear", "dfk", "load", "wait_for_current_tasks",
    # logging, as Parsl's
    "set_file_logger", "set_stream_logger",
    # futures, dependencies, states, retries
    "AppFuture", "DEEP_DEPENDENCY_RESOLVER", "DataFuture", "DependencyResolver", "RetryPolicy",
    "SHALLOW_DEPENDENCY_RESOLVER", "States",
    # executors and the scheduler plugin
    "DaskExecutor", "HighThroughputExecutor", "MPIExecutor", "ThreadPoolExecutor", "WorkflowPlugin",
    "multi_node_class", "security_from",
    # memoization and checkpoints
    "BasicMemoizer", "get_all_checkpoints", "get_last_checkpoint",
    # monitoring and progress
    "MonitoringHub", "progress",
    # files and staging
    "DEFAULT_STAGING", "DataManager", "FTPSeparateTaskStaging", "File", "HTTPSeparateTaskStaging",
    "NoOpFileStaging", "Staging", "ZipFileStaging",
    # errors
    "AppBadFormatting", "AppException", "AppTimeout", "BadAppArgument", "BadCheckpoint", "BadStdStreamFile",
    "BashAppNoReturn", "BashExitFailure", "ConfigurationError", "DataFlowException", "DependencyError",
    "ExecutorError", "ExecutorLost", "InvalidResourceSpecification", "JobSubmissionFailed", "JoinError",
    "MissingOutputs", "NoDataFlowKernelError", "ParslError", "ParslNameNotProvided", "ParslOptionIgnored",
    "RemoteExceptionNotLoadable", "ResourcesUnavailable", "ResultNotKept", "SerializationError",
    "TaskCancelled", "TaskCancelledAtCleanup", "WalltimeReached", "WorkerLost",
]

"""``Config``: what a DataFlowKernel is built from."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

from .dataflow.dependencies import DependencyResolver
from .dataflow.retries import check_retries
from .errors import ConfigurationError, warn_ignored
from .executors.base import Executor
from .executors.dask_executor import DaskExecutor
from .executors.parsl_style import is_parsl_style
from .memo.memoizer import check_checkpoint_mode
from .monitoring.hub import monitoring_hub_from

EXIT_MODES = ("cleanup", "skip", "wait")
#: Config keywords without a Dask meaning (given a value, they are warned about) -> why
IGNORED = {
    "usage_tracking": "dask_parsl sends no usage data",
    "project_name": "it only labels Parsl's usage data",
}


class Config:
    """Configuration of a workflow session, with Parsl's parameters.

    ``executors`` defaults to one ``DaskExecutor`` running an embedded
    ``LocalCluster``. Parsl's older keywords ``app_cache``, ``checkpoint_mode``,
    ``checkpoint_files`` and ``checkpoint_period`` are accepted.
    ``strategy_period`` is how often (seconds) batch executors adapt their
    job count. ``monitoring=MonitoringHub(...)`` writes Parsl's monitoring
    database (``dask_parsl.monitoring``). ``usage_tracking`` and ``project_name``
    are accepted without effect: given, they are named in one
    ``dask_parsl.errors.ParslOptionIgnored`` warning.
    """

    def __init__(
        self,
        executors: Iterable[Any] | None = None,
        memoizer: Any = None,
        dependency_resolver: DependencyResolver | None = None,
        exit_mode: str = "cleanup",
        garbage_collect: bool = True,
        internal_tasks_max_threads: int = 10,
        retries: int = 0,
        retry_handler: Callable | None = None,
        run_dir: str = "runinfo",
        std_autopath: Callable | None = None,
        strategy: str | None = "simple",
        strategy_period: float = 5,
        max_idletime: float = 120.0,
        monitoring: Any = None,
        usage_tracking: int = 0,
        project_name: str | None = None,
        initialize_logging: bool = True,
        app_cache: bool = True,
        checkpoint_files: Sequence[str] | None = None,
        checkpoint_mode: str | None = None,
        checkpoint_period: str | None = None,
    ) -> None:
        self.executors: tuple = _executors_from(executors)
        for executor in self.executors:
            if not isinstance(executor, Executor) and getattr(executor, "provider", None) is not None:
                raise ConfigurationError(
                    f"{type(executor).__name__} {executor.label!r} gets its workers through Parsl's "
                    "own services (a provider, blocks), which dask_parsl does not run: use "
                    "dask_parsl's HighThroughputExecutor or DaskExecutor(provider=...), which take "
                    "the same provider"
                )
            if not isinstance(executor, Executor) and not is_parsl_style(executor):
                raise ConfigurationError(
                    f"{executor!r} is not an executor: use DaskExecutor(...), ThreadPoolExecutor(...), "
                    "or an object with Parsl's executor interface (label, start(), "
                    "submit(func, resource_specification, *args, **kwargs), shutdown())"
                )
        labels = [executor.label for executor in self.executors]
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates:
            raise ConfigurationError(
                f"Executors must have unique labels; repeated: {', '.join(map(repr, duplicates))}"
            )
        if exit_mode not in EXIT_MODES:
            raise ConfigurationError(f"exit_mode must be one of {EXIT_MODES}, not {exit_mode!r}")
        check_checkpoint_mode(checkpoint_mode)
        check_retries(retries)
        if internal_tasks_max_threads < 1:
            raise ConfigurationError("internal_tasks_max_threads must be at least 1")
        if not isinstance(strategy_period, (int, float)) or strategy_period <= 0:
            raise ConfigurationError(f"strategy_period must be a positive number of seconds, "
                                     f"not {strategy_period!r}")
        given = {"usage_tracking": usage_tracking, "project_name": project_name}
        warn_ignored("Config", {name: why for name, why in IGNORED.items() if given[name]})
        self.memoizer = memoizer
        self.dependency_resolver = dependency_resolver
        self.exit_mode = exit_mode
        self.garbage_collect = garbage_collect
        self.internal_tasks_max_threads = internal_tasks_max_threads
        self.retries = retries
        self.retry_handler = retry_handler
        self.run_dir = run_dir
        self.std_autopath = std_autopath
        self.strategy = strategy
        self.strategy_period = strategy_period
        self.max_idletime = max_idletime
        self.monitoring = None if monitoring is None else monitoring_hub_from(monitoring)
        self.usage_tracking = usage_tracking
        self.project_name = project_name
        self.initialize_logging = initialize_logging
        self.app_cache = app_cache
        self.checkpoint_files = checkpoint_files
        self.checkpoint_mode = checkpoint_mode
        self.checkpoint_period = checkpoint_period

    def __repr__(self) -> str:
        labels = ", ".join(executor.label for executor in self.executors)
        return f"<Config executors=[{labels}] run_dir={self.run_dir!r} exit_mode={self.exit_mode!r}>"

    def _repr_html_(self) -> str:
        from .reprs import config_html

        return config_html(self)


def _executors_from(executors: Any) -> tuple:
    """The executors given, or the embedded LocalCluster's when none is."""
    if executors is None:
        return (DaskExecutor(),)
    if isinstance(executors, (str, bytes)) or not isinstance(executors, Iterable):
        raise ConfigurationError(f"executors must be a list of executors, not {executors!r}: "
                                 "e.g. executors=[DaskExecutor(), ThreadPoolExecutor(label='threads')]")
    executors = tuple(executors)
    if not executors:
        raise ConfigurationError("executors=[] leaves apps nothing to run on: give at least one "
                                 "executor, or leave executors out for the embedded LocalCluster")
    return executors

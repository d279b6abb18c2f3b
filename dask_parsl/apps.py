"""App decorators: ``python_app`` and ``join_app`` (``bash_app`` builds on ``App``)."""
from __future__ import annotations

import functools
import inspect
import uuid
from typing import Any, Callable, Sequence

import dask

from .futures import AppFuture
from .worker_tasks import apply, without_future_defaults


class App:
    """An app: calling it submits a task and returns an ``AppFuture`` at once."""

    kind = "app"
    #: parameters whose defaults are captured at decoration and passed on each call
    captured_defaults: Sequence[str] = (
        "inputs", "outputs", "stdout", "stderr", "walltime", "parsl_resource_specification",
    )

    def __init__(
        self,
        func: Callable,
        data_flow_kernel: Any = None,
        executors: Sequence[str] | str = "all",
        cache: bool = False,
        ignore_for_cache: Sequence[str] | None = None,
        retries: int | None = None,
    ) -> None:
        if not callable(func):
            raise TypeError(f"an app needs a function, not {type(func).__name__}")
        if isinstance(executors, str) and executors != "all":
            executors = [executors]
        functools.update_wrapper(self, func)
        self.func = func
        self.data_flow_kernel = data_flow_kernel
        self.executors = executors
        self.cache = cache
        self.ignore_for_cache = list(ignore_for_cache or ())
        if retries is not None and (not isinstance(retries, int) or retries < 0):
            raise ValueError(f"retries must be a whole number >= 0, not {retries!r}")
        self.retries = retries
        self.kwargs = self._defaults_to_capture(func)

    def _defaults_to_capture(self, func: Callable) -> dict:
        try:
            parameters = inspect.signature(func).parameters.values()
        except (TypeError, ValueError):  # builtins without a signature
            return {}
        return {
            p.name: p.default
            for p in parameters
            if p.default is not p.empty and p.name in self.captured_defaults
        }

    def worker_function(self) -> Callable:
        """What a worker calls for one call of this app."""
        return without_future_defaults(self.func)

    def __call__(self, *args: Any, **kwargs: Any) -> AppFuture:
        from .loader import DataFlowKernelLoader

        dfk = self.data_flow_kernel or DataFlowKernelLoader.dfk()
        return dfk.submit(self, args, {**self.kwargs, **kwargs} if self.kwargs else kwargs)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__name__}>"


class PythonApp(App):
    """A Python function run as a task on a Dask worker."""

    kind = "python"

    def delayed(self, *args: Any, **kwargs: Any) -> dask.delayed:
        """This call as a ``dask.delayed`` object, for ``dask.compute`` / ``persist``.

        The key starts with the app's name; every call is a new task.
        """
        key = f"{self.__name__}-{uuid.uuid4().hex}"
        return dask.delayed(apply, pure=False)(
            self.func, args, {**self.kwargs, **kwargs}, dask_key_name=key
        )


class JoinApp(App):
    """A function run on the client that returns futures of other apps.

    The join app's future completes with their results when they finish.
    """

    kind = "join"

    def __init__(self, func: Callable, data_flow_kernel: Any = None, cache: bool = False,
                 ignore_for_cache: Sequence[str] | None = None, retries: int | None = None) -> None:
        super().__init__(func, data_flow_kernel=data_flow_kernel, executors="all",
                         cache=cache, ignore_for_cache=ignore_for_cache, retries=retries)


def _decorator(app_class: type, function: Callable | None, **options: Any) -> Any:
    if function is not None:
        return app_class(function, **options)
    return lambda func: app_class(func, **options)


def python_app(
    function: Callable | None = None,
    data_flow_kernel: Any = None,
    cache: bool = False,
    executors: Sequence[str] | str = "all",
    ignore_for_cache: Sequence[str] | None = None,
    retries: int | None = None,
) -> Any:
    """Make a function a python app: ``@python_app``, ``@python_app(...)`` or ``python_app(f)``.

    ``retries`` (a dask_parsl extension) overrides ``Config(retries=...)`` for this app.
    """
    return _decorator(PythonApp, function, data_flow_kernel=data_flow_kernel, cache=cache,
                      executors=executors, ignore_for_cache=ignore_for_cache, retries=retries)


def join_app(
    function: Callable | None = None,
    data_flow_kernel: Any = None,
    cache: bool = False,
    ignore_for_cache: Sequence[str] | None = None,
    retries: int | None = None,
) -> Any:
    """Make a function a join app, whose body runs on the client and returns futures."""
    return _decorator(JoinApp, function, data_flow_kernel=data_flow_kernel, cache=cache,
                      ignore_for_cache=ignore_for_cache, retries=retries)

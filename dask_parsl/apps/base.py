"""``App``: what every app decorator makes; calling one submits a task to the loaded kernel."""
from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..dataflow.current import loaded_kernel
from ..dataflow.retries import check_retries
from ..errors import ConfigurationError
from .call import without_future_defaults

if TYPE_CHECKING:
    from ..dataflow.futures import AppFuture


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
        self.ignore_for_cache = _checked_ignore_for_cache(func, ignore_for_cache)
        if retries is not None:
            check_retries(retries)
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
        dfk = self.data_flow_kernel or loaded_kernel()
        return dfk.submit(self, args, {**self.kwargs, **kwargs} if self.kwargs else kwargs)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__name__}>"


def _checked_ignore_for_cache(func: Callable, names: Sequence[str] | None) -> list[str]:
    """``names``, if each is a parameter of ``func`` (or a keyword every app takes)."""
    if isinstance(names, str) or not isinstance(names, (list, tuple, set, frozenset, type(None))):
        raise ConfigurationError(f"ignore_for_cache must be a list of parameter names, not {names!r}")
    names = list(names or ())
    try:
        parameters = inspect.signature(func).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return names
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return names
    unknown = [name for name in names if name not in parameters and name not in App.captured_defaults]
    if unknown:
        raise ConfigurationError(
            f"ignore_for_cache names {', '.join(map(repr, unknown))}, which {func.__name__}() does not "
            f"take; its parameters are: {', '.join(parameters) or 'none'}")
    return names


def make_decorator(app_class: type, function: Callable | None, **options: Any) -> Any:
    if function is not None:
        return app_class(function, **options)
    return lambda func: app_class(func, **options)

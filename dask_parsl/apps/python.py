"""``python_app``: a Python function run as a task on a Dask worker."""
from __future__ import annotations

import uuid
from typing import Any, Callable, Sequence

import dask

from .base import App, make_decorator
from .call import apply


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
    return make_decorator(PythonApp, function, data_flow_kernel=data_flow_kernel, cache=cache,
                          executors=executors, ignore_for_cache=ignore_for_cache, retries=retries)

"""File staging: moving the ``File`` arguments and outputs of apps to and from workers.

Providers implement Parsl's ``Staging`` interface and are chosen per executor
(``DaskExecutor(storage_access=[...])``, default ``DEFAULT_STAGING``): for each
``File`` (or ``DataFuture``) among a call's arguments, and each ``File`` in its
``outputs``, the first provider that accepts the file's URL stages it.
"""
from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Callable

from .files import File
from .futures import DataFuture

if TYPE_CHECKING:
    from .dataflow import DataFlowKernel


class Staging:
    """A staging provider; the default implementation accepts no file and does nothing.

    Override ``can_stage_in``/``can_stage_out`` to accept files (usually by URL
    scheme), then ``stage_in``/``stage_out`` to launch staging tasks, and/or
    ``replace_task``/``replace_task_stage_out`` to wrap the app's function.
    Each method receives a fresh copy of the ``File``, which it may change
    (``local_path``) without affecting the user's object.
    """

    def can_stage_in(self, file: File) -> bool:
        return False

    def can_stage_out(self, file: File) -> bool:
        return False

    def stage_in(self, dm: DataManager, executor: str, file: File,
                 parent_fut: Future | None) -> DataFuture | None:
        """Launch what must run before the app may read ``file``; return its ``DataFuture``,
        or None if the app can read the file as it is."""
        return None

    def stage_out(self, dm: DataManager, executor: str, file: File, app_fu: Future) -> Future | None:
        """Launch what must run after the app (``app_fu``) has written ``file``; return the
        future the output's ``DataFuture`` should wait for, or None for ``app_fu`` itself."""
        return None

    def replace_task(self, dm: DataManager, executor: str, file: File, func: Callable) -> Callable | None:
        """Optionally, the app's function wrapped to stage ``file`` in on the worker."""
        return None

    def replace_task_stage_out(self, dm: DataManager, executor: str, file: File,
                               func: Callable) -> Callable | None:
        """Optionally, the app's function wrapped to stage ``file`` out on the worker."""
        return None


class DataManager:
    """Applies an executor's staging providers to one app call."""

    def __init__(self, dfk: DataFlowKernel) -> None:
        self.dfk = dfk
        self._apps: dict[tuple, Any] = {}

    def internal_app(self, executor: str, func: Callable) -> Any:
        """``func`` as a python app on ``executor``, for staging tasks."""
        app = self._apps.get((executor, func))
        if app is None:
            from .apps import PythonApp

            app = self._apps[executor, func] = PythonApp(func, data_flow_kernel=self.dfk,
                                                          executors=[executor])
        return app

    def providers(self, executor: str) -> list[Staging]:
        from .staging_providers import DEFAULT_STAGING

        chosen = getattr(self.dfk.executors[executor], "storage_access", None)
        return DEFAULT_STAGING if chosen is None else chosen

    def needs_staging(self, executor: str, args: tuple, kwargs: dict) -> bool:
        """Whether a call has files any provider could act on (cheap; the common case is no)."""
        if not _has_files(args, kwargs):
            return False
        files = _file_arguments(args, kwargs)
        files += [f for f in kwargs.get("outputs") or () if isinstance(f, File)]
        if not files:
            return False
        if getattr(self.dfk.executors[executor], "storage_access", None) is not None:
            return True
        return any(_file_of(value).scheme != "file" for value in files)

    def _provider(self, executor: str, file: File, direction: str) -> Staging:
        for provider in self.providers(executor):
            if getattr(provider, f"can_stage_{direction}")(file):
                return provider
        raise ValueError(f"Executor {executor!r} has no staging provider that can stage "
                         f"{direction} {file.url} (scheme {file.scheme!r}); give it one in "
                         "DaskExecutor(storage_access=[...])")

    def stage_inputs(self, executor: str, args: tuple, kwargs: dict,
                     func: Callable) -> tuple[tuple, dict, Callable]:
        """The call's arguments with files replaced by their staged copies (or the
        ``DataFuture`` of their stage-in task), and the function to run."""
        def stage(value: Any) -> Any:
            nonlocal func
            if not isinstance(value, (File, DataFuture)):
                return value
            file = _file_of(value).cleancopy()
            provider = self._provider(executor, file, "in")
            parent = value if isinstance(value, DataFuture) else None
            staged = provider.stage_in(self, executor, file, parent)
            func = provider.replace_task(self, executor, file, func) or func
            if staged is not None:
                return staged
            return value if parent is not None else file

        new_kwargs = {}
        for name, value in kwargs.items():
            if name == "inputs" and isinstance(value, (list, tuple)):
                new_kwargs[name] = type(value)(stage(item) for item in value)
            elif name in ("stdout", "stderr", "outputs"):
                new_kwargs[name] = value
            else:
                new_kwargs[name] = stage(value)
        new_args = tuple(stage(value) for value in args)
        return new_args, new_kwargs, func

    def stage_outputs(self, executor: str, kwargs: dict, app_fu: Future,
                      func: Callable) -> tuple[list[DataFuture], Callable]:
        """One ``DataFuture`` per output ``File`` (completing once its stage-out is
        done), with ``kwargs['outputs']`` rewritten to the staged copies."""
        outputs = list(kwargs.get("outputs") or ())
        data_futures = []
        for index, file in enumerate(outputs):
            if not isinstance(file, File):
                continue
            copy = file.cleancopy()
            provider = self._provider(executor, copy, "out")
            staged = provider.stage_out(self, executor, copy, app_fu)
            func = provider.replace_task_stage_out(self, executor, copy, func) or func
            outputs[index] = copy
            data_futures.append(DataFuture(staged or app_fu, file, tid=app_fu.tid))
        kwargs["outputs"] = outputs
        return data_futures, func


def _has_files(args: tuple, kwargs: dict) -> bool:
    # plain loops: this runs for every app call, and allocates nothing
    for value in args:
        if isinstance(value, _FILE_TYPES):
            return True
    for name, value in kwargs.items():
        if isinstance(value, _FILE_TYPES):
            return True
        if (name == "inputs" or name == "outputs") and isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, _FILE_TYPES):
                    return True
    return False


_FILE_TYPES = (File, DataFuture)


def _file_arguments(args: tuple, kwargs: dict) -> list:
    found = [value for value in args if isinstance(value, (File, DataFuture))]
    for name, value in kwargs.items():
        if name == "inputs" and isinstance(value, (list, tuple)):
            found += [item for item in value if isinstance(item, (File, DataFuture))]
        elif name not in ("stdout", "stderr", "outputs") and isinstance(value, (File, DataFuture)):
            found.append(value)
    return found


def _file_of(value: File | DataFuture) -> File:
    return value.file_obj if isinstance(value, DataFuture) else value

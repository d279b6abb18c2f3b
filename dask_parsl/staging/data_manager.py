"""``DataManager``: applies an executor's staging providers to the files of each app call.

Providers implement Parsl's ``Staging`` interface and are chosen per executor
(``DaskExecutor(storage_access=[...])``, default ``DEFAULT_STAGING``): for each
``File`` (or ``DataFuture``) among a call's arguments, and each ``File`` in its
``outputs``, ``stdout`` or ``stderr``, the first provider that accepts the file's
URL stages it.
"""
from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Callable

from ..apps.python import PythonApp
from ..dataflow.dependencies import call_values, gather_dependencies, map_call_values
from ..dataflow.futures import DataFuture
from .base import Staging
from .files import File
from .providers import DEFAULT_STAGING

if TYPE_CHECKING:
    from ..dataflow.kernel import DataFlowKernel

#: keyword arguments that name where an app writes, never files to stage in
_NOT_INPUTS = ("stdout", "stderr", "outputs")


class DataManager:
    """Applies an executor's staging providers to one app call."""

    def __init__(self, dfk: DataFlowKernel) -> None:
        self.dfk = dfk
        self._apps: dict[tuple, Any] = {}

    def internal_app(self, executor: str, func: Callable) -> Any:
        """``func`` as a python app on ``executor``, for staging tasks."""
        app = self._apps.get((executor, func))
        if app is None:
            app = self._apps[executor, func] = PythonApp(func, data_flow_kernel=self.dfk,
                                                          executors=[executor])
        return app

    def providers(self, executor: str) -> list[Staging]:
        chosen = getattr(self.dfk.executors[executor], "storage_access", None)
        return DEFAULT_STAGING if chosen is None else chosen

    def needs_staging(self, executor: str, args: tuple, kwargs: dict) -> bool:
        """Whether a call has files any provider could act on (cheap; the common case is no)."""
        if not _has_files(args, kwargs):
            return False
        if isinstance(kwargs.get("stdout"), File) or isinstance(kwargs.get("stderr"), File):
            return True  # staging out gives the stream its DataFuture
        values = call_values(args, kwargs, lists=("inputs", "outputs"), skip=("stdout", "stderr"))
        files = [value for value in values if isinstance(value, _FILE_TYPES)]
        if not files:
            return False
        if getattr(self.dfk.executors[executor], "storage_access", None) is not None:
            return True
        return any(_file_of(value).scheme != "file" for value in files)

    def stage(self, record: dict, executor: str) -> list:
        """Stage the call's files in and out; returns its dependencies, stage-in tasks included."""
        future = record["app_fu"]
        worker_function = record["app"].worker_function()
        args, kwargs, function = self.stage_inputs(executor, record["args"], record["kwargs"],
                                                   worker_function)
        if "outputs" in kwargs:
            future._outputs, function = self.stage_outputs(executor, kwargs, future, function)
        if isinstance(kwargs.get("stdout"), File):
            kwargs["stdout"], future._stdout_future, function = self.stage_out_file(
                executor, kwargs["stdout"], future, function)
        if isinstance(kwargs.get("stderr"), File):
            kwargs["stderr"], future._stderr_future, function = self.stage_out_file(
                executor, kwargs["stderr"], future, function)
        if function is not worker_function:
            record["_worker_function"] = function
        record["args"], record["kwargs"] = args, kwargs
        return gather_dependencies(self.dfk.resolver, args, kwargs)

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

        new_args, new_kwargs = map_call_values(args, kwargs, stage, skip=_NOT_INPUTS)
        return new_args, new_kwargs, func

    def stage_outputs(self, executor: str, kwargs: dict, app_fu: Future,
                      func: Callable) -> tuple[list[DataFuture], Callable]:
        """One ``DataFuture`` per output ``File`` (completing once its stage-out is
        done), with ``kwargs['outputs']`` rewritten to the staged copies."""
        outputs = list(kwargs.get("outputs") or ())
        data_futures = []
        for index, file in enumerate(outputs):
            if isinstance(file, File):
                outputs[index], data_future, func = self.stage_out_file(executor, file, app_fu, func)
                data_futures.append(data_future)
        kwargs["outputs"] = outputs
        return data_futures, func

    def stage_out_file(self, executor: str, file: File, app_fu: Future,
                       func: Callable) -> tuple[File, DataFuture, Callable]:
        """Stage out one file the app writes: the copy the app gets, the ``DataFuture``
        of the user's ``file`` (completing once its stage-out is done), the function to run."""
        copy = file.cleancopy()
        provider = self._provider(executor, copy, "out")
        staged = provider.stage_out(self, executor, copy, app_fu)
        func = provider.replace_task_stage_out(self, executor, copy, func) or func
        return copy, DataFuture(staged or app_fu, file, tid=app_fu.tid), func


_FILE_TYPES = (File, DataFuture)


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


def _file_of(value: File | DataFuture) -> File:
    return value.file_obj if isinstance(value, DataFuture) else value

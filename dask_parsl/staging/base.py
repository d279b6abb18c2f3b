"""``Staging``: Parsl's interface of a staging provider."""
from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Callable

from .files import File

if TYPE_CHECKING:
    from ..dataflow.futures import DataFuture
    from .data_manager import DataManager


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

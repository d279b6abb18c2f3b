"""``bash_app``: apps whose function returns a command line, run by ``/bin/bash`` on a worker."""
from __future__ import annotations

import inspect
from typing import Any, Callable, Sequence

from .base import App, make_decorator
from .bash_command import BashCommand


class BashApp(App):
    """An app whose function returns a bash command line; the command runs on a worker.

    Every parameter with a default is captured at decoration and passed on each
    call (as Parsl does), so the command can be formatted from any of them.
    """

    kind = "bash"

    def worker_function(self) -> Callable:
        return BashCommand(super().worker_function(), self.__name__)

    def _defaults_to_capture(self, func: Callable) -> dict:
        return {name: p.default for name, p in inspect.signature(func).parameters.items()
                if p.default is not p.empty}


def bash_app(
    function: Callable | None = None,
    data_flow_kernel: Any = None,
    cache: bool = False,
    executors: Sequence[str] | str = "all",
    ignore_for_cache: Sequence[str] | None = None,
    retries: int | None = None,
) -> Any:
    """Make a function a bash app: it returns the command line to run with ``/bin/bash``.

    Special keyword arguments: ``stdout``/``stderr`` (a path, ``(path, mode)``, a
    ``File``, ``AUTO_LOGNAME`` or ``None``), ``walltime`` (seconds; the command's
    whole process group is killed, then ``AppTimeout``), ``inputs``, ``outputs``.
    The future's result is ``0``; a non-zero exit raises ``BashExitFailure``.
    """
    return make_decorator(BashApp, function, data_flow_kernel=data_flow_kernel, cache=cache,
                          executors=executors, ignore_for_cache=ignore_for_cache, retries=retries)

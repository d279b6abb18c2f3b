"""``future[key]`` and ``future.attr``: new app calls computed where the parent's result is."""
from __future__ import annotations

import operator
from typing import Any

from .python import PythonApp


class LiftedCalls:
    """Makes (and keeps, one per operation and executor) the apps of lifted operations."""

    def __init__(self, dfk: Any) -> None:
        self.dfk = dfk
        self._apps: dict[tuple, PythonApp] = {}

    def call(self, parent: Any, operation: str, argument: Any) -> Any:
        """``parent[argument]`` (``"getitem"``) or ``getattr(parent, argument)`` as a new task."""
        executors = (parent._executor.label,) if parent._executor is not None else "all"
        app = self._apps.get((operation, executors))
        if app is None:
            func = operator.getitem if operation == "getitem" else getattr
            app = self._apps[operation, executors] = PythonApp(func, data_flow_kernel=self.dfk,
                                                                executors=executors)
        return app(parent, argument)

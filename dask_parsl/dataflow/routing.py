"""Choosing the executor of an app call, by label, as Parsl does."""
from __future__ import annotations

import random
from typing import Any

#: the ``executor`` of join app records, whose bodies run in the kernel
JOIN_EXECUTOR = "_join"


class Router:
    """The loaded executors by label, and which one runs each call."""

    def __init__(self, executors: dict[str, Any]) -> None:
        self.executors = executors
        self.labels = list(executors)

    def choose(self, app: Any, tid: int, depends: list) -> Any:
        """The executor for a call of ``app``: among those it names (``executors=``),
        the one holding a dependency's data if any, else one at random.
        ``ValueError`` naming an unknown label."""
        if app.executors == "all":
            labels = self.labels
        else:
            labels = list(app.executors)
            unknown = [label for label in labels if label not in self.executors]
            if unknown:
                raise ValueError(f"Task {tid} (app {app.__name__}) asks for executor {unknown[0]!r}, "
                                 f"but the loaded executors are {self.labels}")
        if len(labels) == 1:
            return self.executors[labels[0]]
        for dep in depends:  # run next to the data when we can
            where = getattr(dep, "_executor", None)
            if where is not None and where.label in labels:
                return where
        return self.executors[random.choice(labels)]

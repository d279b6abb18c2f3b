"""Errors about executors (Parsl's ``parsl.executors.errors``)."""
from __future__ import annotations

from typing import Any, Iterable

from ..errors import ParslError


class ExecutorError(ParslError):
    """Base class of errors about an executor."""

    def __init__(self, executor: Any, reason: str) -> None:
        super().__init__(executor, reason)
        self.executor, self.reason = executor, reason

    def __str__(self) -> str:
        label = getattr(self.executor, "label", self.executor)
        return f"Executor {label} failed: {self.reason}"


class InvalidResourceSpecification(ExecutorError):
    """A call's ``parsl_resource_specification`` names keys its executor cannot honour.

    ``invalid_keys`` is the set of those keys; ``message`` says what the executor offers.
    The call's future fails with it at once, before anything waits for resources.
    """

    def __init__(self, invalid_keys: Iterable[str], message: str = "") -> None:
        self.invalid_keys = set(invalid_keys)
        self.message = self.reason = message
        self.executor = None
        ParslError.__init__(self, self.invalid_keys, message)

    def __str__(self) -> str:
        keys = ", ".join(map(repr, sorted(self.invalid_keys, key=str)))
        return f"Invalid resource specification: {keys}. {self.message}".rstrip()

    def __reduce__(self) -> tuple:
        return type(self), (self.invalid_keys, self.message)

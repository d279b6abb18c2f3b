"""Errors raised by apps themselves (Parsl's ``parsl.app.errors``)."""
from __future__ import annotations

from typing import Sequence

from ..errors import ParslError


class AppException(ParslError):
    """Base class of errors raised by apps themselves."""


class AppBadFormatting(AppException):
    """A bash app's command string could not be built."""


class BashAppNoReturn(AppException):
    """A bash app returned nothing instead of a command string."""


class AppTimeout(AppException):
    """An app ran longer than its walltime."""


class BashExitFailure(AppException):
    """A bash app's command exited with a non-zero code.

    ``stdout`` and ``stderr`` are the paths the command wrote to (if any), and
    the message ends with the last lines of its stderr.
    """

    def __init__(self, app_name: str, exitcode: int, stdout: str | None = None,
                 stderr: str | None = None, stderr_tail: str = "") -> None:
        super().__init__(app_name, exitcode)
        self.app_name, self.exitcode = app_name, exitcode
        self.stdout, self.stderr, self.stderr_tail = stdout, stderr, stderr_tail

    def __reduce__(self):
        return type(self), (self.app_name, self.exitcode, self.stdout, self.stderr, self.stderr_tail)

    def __str__(self) -> str:
        message = f"bash_app {self.app_name} failed with unix exit code {self.exitcode}"
        streams = [f"{name} {path}" for name, path in (("stdout", self.stdout), ("stderr", self.stderr))
                   if path]
        if streams:
            message += f" ({', '.join(streams)})"
        if self.stderr_tail:
            message += f"; the end of its stderr:\n{self.stderr_tail}"
        return message


class MissingOutputs(AppException):
    """Output files an app promised do not exist after it ran."""

    def __init__(self, reason: str, outputs: Sequence[str]) -> None:
        super().__init__(reason, outputs)
        self.reason, self.outputs = reason, list(outputs)

    def __str__(self) -> str:
        return f"Missing Outputs: {self.outputs}, Reason: {self.reason}"


class BadStdStreamFile(AppException):
    """A bash app's stdout/stderr target cannot be opened."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return f"Bad Stream File: {self.reason}"


class BadAppArgument(AppException, TypeError):
    """A keyword every app reads (``inputs``, ``outputs``, ``walltime``) was given a value it
    cannot use. Also a ``TypeError``: the call was made with the wrong kind of value."""

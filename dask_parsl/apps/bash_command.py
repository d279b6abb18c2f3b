"""What runs on the worker for a bash app: build the command, run it, check the outcome."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import deque
from typing import IO, Any, Callable

from ..staging.files import File
from .errors import (
    AppBadFormatting,
    AppTimeout,
    BadStdStreamFile,
    BashAppNoReturn,
    BashExitFailure,
    MissingOutputs,
)

#: after a walltime's SIGTERM, how long the command's processes get before SIGKILL
KILL_GRACE_SECONDS = 2.0
_STDERR_TAIL_LINES = 10


class BashCommand:
    """Runs on the worker: builds a bash app's command line, runs it, checks the outcome."""

    __slots__ = ("func", "name")

    def __init__(self, func: Callable, name: str) -> None:
        self.func = func
        self.name = name

    def __reduce__(self) -> tuple:
        return BashCommand, (self.func, self.name)

    def __call__(self, *args: Any, **kwargs: Any) -> int:
        command = self._command(args, kwargs)
        stdout = _open_stream("stdout", kwargs.get("stdout"))
        stderr = _open_stream("stderr", kwargs.get("stderr"))
        try:
            if stderr is not None:
                stderr.write(f"# {self.name}: running with /bin/bash:\n{command}\n# end of command\n")
                stderr.flush()
            returncode = self._run(command, stdout, stderr, kwargs.get("walltime"))
        finally:
            for stream in (stdout, stderr):
                if stream is not None:
                    stream.close()
        if returncode != 0:
            raise BashExitFailure(self.name, returncode, _path_of(kwargs.get("stdout")),
                                  _path_of(kwargs.get("stderr")), _tail(_path_of(kwargs.get("stderr"))))
        missing = [f for f in kwargs.get("outputs") or () if not os.path.exists(os.fspath(f))]
        if missing:
            raise MissingOutputs(f"Missing outputs from app {self.name}", missing)
        return 0

    def _command(self, args: tuple, kwargs: dict) -> str:
        try:
            command = self.func(*args, **kwargs)
        except AttributeError as error:
            raise BashAppNoReturn(
                f"Bash app {self.name!r} did not return a command line: {error}") from error
        except IndexError as error:
            raise AppBadFormatting(
                f"Formatting the command of bash app {self.name!r} failed: IndexError: {error}") from error
        if not isinstance(command, str):
            raise ValueError(
                f"bash app {self.name!r} must return its command line as a str, "
                f"not {type(command).__name__}")
        return command

    def _run(self, command: str, stdout: IO | None, stderr: IO | None, walltime: float | None) -> int:
        # its own session, so a walltime kills the command and everything it started
        process = subprocess.Popen(command, shell=True, executable="/bin/bash", stdout=stdout,
                                   stderr=stderr, start_new_session=True)
        try:
            return process.wait(timeout=walltime)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise AppTimeout(f"App {self.name} exceeded walltime: {walltime} seconds") from None
        finally:
            if process.returncode is None:  # interrupted: leave nothing running
                _kill_group(process)


def _kill_group(process: subprocess.Popen) -> None:
    """SIGTERM the command's process group; SIGKILL whatever is left after a grace period."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + KILL_GRACE_SECONDS
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, or the group never looks empty
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()


def _open_stream(name: str, spec: Any) -> IO | None:
    """Open a bash app's stdout or stderr target as Parsl accepts it."""
    if spec is None:
        return None
    if isinstance(spec, File):
        path, mode = os.fspath(spec), "w"
    elif isinstance(spec, (str, os.PathLike)):
        path, mode = os.fspath(spec), "a+"
    elif isinstance(spec, tuple):
        if len(spec) != 2:
            raise BadStdStreamFile(f"{name} must be a path or (path, mode), not a tuple of {len(spec)}")
        path, mode = os.fspath(spec[0]), spec[1]
    else:
        raise TypeError(f"{name} must be a path, (path, mode), a File, AUTO_LOGNAME or None, "
                        f"not {type(spec).__name__}")
    try:
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        return open(path, mode)
    except Exception as error:
        raise BadStdStreamFile(f"{path} (mode {mode!r}): {error}") from error


def _path_of(spec: Any) -> str | None:
    if isinstance(spec, tuple):
        spec = spec[0]
    if isinstance(spec, (str, os.PathLike)):
        return os.fspath(spec)
    return None


def _tail(path: str | None) -> str:
    if path is None:
        return ""
    try:
        with open(path, errors="replace") as file:
            return "".join(deque(file, maxlen=_STDERR_TAIL_LINES)).rstrip()
    except OSError:
        return ""

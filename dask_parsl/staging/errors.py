"""Errors of file staging."""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from ..errors import ParslError
from .files import File


class ZipAuthorityError(ParslError):
    """A ``zip:`` URL named a host; zip files must be local paths."""

    def __init__(self, file: File) -> None:
        super().__init__(file.url)
        self.url = file.url

    def __str__(self) -> str:
        return f"zip: URLs name a local zip file and cannot have a host: {self.url}"


class _UrlError(ParslError):
    """An error about staging the file at ``url``, for ``reason``."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url, self.reason = url, reason

    def __reduce__(self):
        return type(self), (self.url, self.reason)


class UnsafeStagingPath(_UrlError, ValueError):
    """A URL would make staging write outside its directory: a ``zip:`` member name with
    ``..`` or a leading ``/``, or an ``http``/``ftp`` URL whose path names no file."""

    def __str__(self) -> str:
        return f"cannot stage {_without_password(self.url)}: {self.reason}"


class StagingFailed(_UrlError):
    """A file could not be staged in from its URL; ``reason`` says what the server or the
    network answered. The URL is shown without its password."""

    def __str__(self) -> str:
        advice = ""
        if "530" in self.reason or "401" in self.reason or "403" in self.reason:
            advice = ": check the user name and password in the URL"
        elif "refused" in self.reason.lower():
            advice = ": nothing answers at that host and port (is the server up, and the port right?)"
        return f"could not download {_without_password(self.url)} ({self.reason}){advice}"


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))

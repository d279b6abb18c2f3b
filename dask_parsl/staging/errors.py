"""Errors of file staging."""
from __future__ import annotations

from ..errors import ParslError
from .files import File


class ZipAuthorityError(ParslError):
    """A ``zip:`` URL named a host; zip files must be local paths."""

    def __init__(self, file: File) -> None:
        super().__init__(file.url)
        self.url = file.url

    def __str__(self) -> str:
        return f"zip: URLs name a local zip file and cannot have a host: {self.url}"

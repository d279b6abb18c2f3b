"""``File``: a path or URL that apps read or write."""
from __future__ import annotations

import os
from urllib.parse import urlparse


class File:
    """A file named by a local path or a URL (``file://``, ``http://``, ...).

    Staging may set ``local_path``, the place where the file can be read on the
    worker; ``filepath`` gives it, or the path of a ``file`` URL.
    """

    def __init__(self, url: str | os.PathLike) -> None:
        if not isinstance(url, (str, os.PathLike)):
            raise TypeError(f"File() takes a path or URL string, not {type(url).__name__}")
        self.url = os.fspath(url)
        parts = urlparse(self.url)
        self.scheme = parts.scheme or "file"
        self.netloc = parts.netloc
        self.path = parts.path
        self.filename = os.path.basename(self.path)
        self.local_path: str | None = None

    @property
    def filepath(self) -> str:
        """The path to open: ``local_path`` if staged, else the ``file`` URL's path."""
        if self.local_path is not None:
            return self.local_path
        if self.scheme == "file":
            return self.path
        raise ValueError(f"{self!r} has no local path: stage it in before opening it")

    def cleancopy(self) -> File:
        """A copy without site-local state (``local_path``)."""
        return File(self.url)

    def __fspath__(self) -> str:
        return self.filepath

    def __str__(self) -> str:
        return self.filepath

    def __repr__(self) -> str:
        local = f" local_path={self.local_path}" if self.local_path is not None else ""
        return (
            f"<File at 0x{id(self):x} url={self.url} scheme={self.scheme} "
            f"netloc={self.netloc} path={self.path} filename={self.filename}{local}>"
        )

    def __dask_tokenize__(self):
        return ("dask_parsl.File", self.url)

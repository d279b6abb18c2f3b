"""The staging providers of ``DEFAULT_STAGING``: ``file``, ``http``/``https``, ``ftp`` and ``zip``.

Downloads and zip updates run as separate tasks on the executor's workers, into
its ``working_dir`` (by default ``run_dir/NNN/staging``), which the workers and
the apps must share. Nothing is written outside it, whatever a URL holds: a
``zip:`` member named with ``..`` or a leading ``/``, or a download URL naming no
file, is refused at the call (``UnsafeStagingPath``), and the staging tasks check
again that each path they write resolves inside the working directory.
"""
from __future__ import annotations

import fcntl
import ftplib
import hashlib
import os
import shutil
import urllib.request
import uuid
import zipfile
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import urlparse

from .base import Staging
from .errors import StagingFailed, UnsafeStagingPath, ZipAuthorityError
from .files import File

if TYPE_CHECKING:
    from .data_manager import DataManager


class NoOpFileStaging(Staging):
    """``file`` URLs and plain paths: the workers share the filesystem; nothing to do."""

    def can_stage_in(self, file: File) -> bool:
        return file.scheme == "file"

    def can_stage_out(self, file: File) -> bool:
        return file.scheme == "file"


class HTTPSeparateTaskStaging(Staging):
    """``http``/``https`` inputs, downloaded by a task before the app runs."""

    schemes = ("http", "https")

    def can_stage_in(self, file: File) -> bool:
        return file.scheme in self.schemes

    def stage_in(self, dm: DataManager, executor: str, file: File, parent_fut: Any) -> Any:
        file.local_path = _download_path(dm, executor, file)
        download = dm.internal_app(executor, _download)
        return download(file.url, _working_dir(dm, executor), outputs=[file], parent_fut=parent_fut,
                        _parsl_staging_inhibit=True).outputs[0]


class FTPSeparateTaskStaging(HTTPSeparateTaskStaging):
    """``ftp`` inputs, downloaded by a task before the app runs."""

    schemes = ("ftp",)


class ZipFileStaging(Staging):
    """``zip:/path/archive.zip/inside/name.txt``: outputs are added to the archive
    after the app writes them; inputs are extracted before the app runs."""

    def can_stage_in(self, file: File) -> bool:
        return self._is_zip(file)

    def can_stage_out(self, file: File) -> bool:
        return self._is_zip(file)

    def _is_zip(self, file: File) -> bool:
        if file.scheme != "zip":
            return False
        if file.netloc:
            raise ZipAuthorityError(file)
        return True

    def stage_out(self, dm: DataManager, executor: str, file: File, app_fu: Any) -> Any:
        archive, inside = split_zip_path(file)
        staging = os.path.join(_working_dir(dm, executor), "zip-out", uuid.uuid4().hex)
        file.local_path = os.path.join(staging, inside)
        os.makedirs(os.path.dirname(file.local_path), exist_ok=True)
        add = dm.internal_app(executor, _add_to_zip)
        return add(archive, inside, inputs=[file], parent_fut=app_fu, _parsl_staging_inhibit=True)

    def stage_in(self, dm: DataManager, executor: str, file: File, parent_fut: Any) -> Any:
        archive, inside = split_zip_path(file)
        file.local_path = os.path.join(_working_dir(dm, executor), "zip-in", _digest(archive), inside)
        extract = dm.internal_app(executor, _extract_from_zip)
        return extract(archive, inside, _working_dir(dm, executor), outputs=[file], parent_fut=parent_fut,
                       _parsl_staging_inhibit=True).outputs[0]


def split_zip_path(file: File) -> tuple[str, str]:
    """``zip:/a/b.zip/c/d.txt`` -> (``/a/b.zip``, ``c/d.txt``); ``UnsafeStagingPath`` for a
    member name that would leave the directory it is staged in."""
    archive, separator, inside = file.path.partition(".zip/")
    if not separator or not inside:
        raise ValueError(f"a zip: URL names a file inside an archive, like "
                         f"zip:/data/archive.zip/inside/name.txt; got path {file.path!r}")
    if inside.startswith("/") or ".." in inside.split("/"):
        raise UnsafeStagingPath(file.url, f"the member name {inside!r} would be written outside the "
                                          "staging directory: name a file inside the archive, without "
                                          "'..' or a leading '/'")
    return archive + ".zip", inside


DEFAULT_STAGING: list[Staging] = [NoOpFileStaging(), FTPSeparateTaskStaging(),
                                  HTTPSeparateTaskStaging(), ZipFileStaging()]


# -- the staging tasks (run on workers) --------------------------------------------
def _download(url: str, working_dir: str, outputs: list, parent_fut: Any = None,
              _parsl_staging_inhibit: bool = True) -> None:
    target = outputs[0].local_path
    _check_inside(working_dir, target, url)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = f"{target}.{uuid.uuid4().hex}.part"
    try:
        with open(partial, "wb") as out:
            try:
                if urlparse(url).scheme == "ftp":
                    _ftp_download(url, out)
                else:
                    with urllib.request.urlopen(url, timeout=60) as response:
                        shutil.copyfileobj(response, out)
            except (OSError, ftplib.Error) as error:  # (urllib's errors are OSErrors)
                raise StagingFailed(url, f"{type(error).__name__}: {error}") from None
        os.rename(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _ftp_download(url: str, out: Any) -> None:
    parts = urlparse(url)
    with ftplib.FTP() as ftp:
        ftp.connect(parts.hostname, parts.port or 21, timeout=60)
        ftp.login(parts.username or "anonymous", parts.password or "")
        ftp.retrbinary(f"RETR {parts.path}", out.write)


def _add_to_zip(archive: str, inside: str, inputs: list, parent_fut: Any = None,
                _parsl_staging_inhibit: bool = True) -> None:
    written = inputs[0].local_path
    os.makedirs(os.path.dirname(os.path.abspath(archive)), exist_ok=True)
    with _locked(archive), zipfile.ZipFile(archive, mode="a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(written, arcname=inside)
    os.remove(written)


def _extract_from_zip(archive: str, inside: str, working_dir: str, outputs: list, parent_fut: Any = None,
                      _parsl_staging_inhibit: bool = True) -> None:
    target = outputs[0].local_path
    _check_inside(working_dir, target, f"zip:{archive}/{inside}")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with _locked(archive), zipfile.ZipFile(archive) as zf, zf.open(inside) as member, \
            open(target, "wb") as out:
        shutil.copyfileobj(member, out)


@contextmanager
def _locked(archive: str) -> Iterator[None]:
    """Serialize updates of one archive across worker processes."""
    with open(archive + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _check_inside(directory: str, path: str, url: str) -> None:
    """``UnsafeStagingPath`` unless ``path`` resolves (symbolic links too) inside ``directory``."""
    directory, resolved = os.path.realpath(directory), os.path.realpath(path)
    if os.path.commonpath([directory, resolved]) != directory:
        raise UnsafeStagingPath(url, f"it would be written to {resolved}, outside {directory}")


# -- helpers -----------------------------------------------------------------------
def _working_dir(dm: DataManager, executor: str) -> str:
    return dm.dfk.executors[executor].working_dir


def _download_path(dm: DataManager, executor: str, file: File) -> str:
    # a directory per URL, so two URLs with the same file name never collide
    if file.filename in ("", ".", ".."):
        raise UnsafeStagingPath(file.url, "its path names no file to download into the staging directory")
    return os.path.join(_working_dir(dm, executor), "downloads", _digest(file.url), file.filename)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]

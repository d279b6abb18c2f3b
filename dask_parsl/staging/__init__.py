"""Files and staging: ``File`` arguments and outputs of apps, moved by staging
providers (Parsl's ``parsl.data_provider``). ``data_manager.DataManager`` applies
them to the calls of a kernel.
"""
from .base import Staging
from .errors import StagingFailed, UnsafeStagingPath, ZipAuthorityError
from .files import File
from .providers import (
    DEFAULT_STAGING,
    FTPSeparateTaskStaging,
    HTTPSeparateTaskStaging,
    NoOpFileStaging,
    ZipFileStaging,
)

__all__ = [
    "DEFAULT_STAGING", "FTPSeparateTaskStaging", "File", "HTTPSeparateTaskStaging",
    "NoOpFileStaging", "Staging", "StagingFailed", "UnsafeStagingPath", "ZipAuthorityError", "ZipFileStaging",
]

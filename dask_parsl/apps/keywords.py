"""The keywords every app reads, checked at each call: ``inputs``, ``outputs``, ``walltime``."""
from __future__ import annotations

import numbers
from typing import Any

from ..staging.files import File
from .errors import BadAppArgument


def check_app_keywords(app_name: str, kwargs: dict) -> None:
    """``BadAppArgument`` naming the app and the keyword if one of them cannot be used."""
    inputs = kwargs.get("inputs")
    if inputs is not None and not isinstance(inputs, (list, tuple)):
        raise BadAppArgument(f"{app_name}(inputs=...) must be a list (of futures, Files or values), "
                             f"not {_shown(inputs)}")
    outputs = kwargs.get("outputs")
    if outputs is not None:
        if not isinstance(outputs, (list, tuple)):
            raise BadAppArgument(f"{app_name}(outputs=...) must be a list of File objects, "
                                 f"not {_shown(outputs)}")
        wrong = [item for item in outputs if not isinstance(item, File)]
        if wrong:
            raise BadAppArgument(f"{app_name}(outputs=...) must hold File objects; {_shown(wrong[0])} is not "
                                 f"one: write File({wrong[0]!r})")
    walltime = kwargs.get("walltime")
    if walltime is not None and (isinstance(walltime, bool) or not isinstance(walltime, numbers.Real)
                                 or not walltime > 0):
        raise BadAppArgument(f"{app_name}(walltime=...) must be a number of seconds > 0, "
                             f"not {_shown(walltime)}")


def _shown(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"

"""Clock-style durations, as Parsl's ``checkpoint_period`` and batch walltimes write them."""
from __future__ import annotations

import re

_CLOCK = re.compile(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?")


def clock_seconds(text: str, two_parts: str = "minutes:seconds") -> float:
    """Seconds in ``[D-]HH:MM:SS``. Two parts are ``MM:SS`` (Slurm), or ``HH:MM`` with
    ``two_parts="hours:minutes"`` (LSF) or after a day count; one part is minutes.
    ``ValueError`` if ``text`` is not such a duration."""
    match = _CLOCK.fullmatch(str(text).strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration like [D-]HH:MM:SS")
    days, first, second, third = match.groups()
    if third is not None:
        hours, minutes, seconds = int(first), int(second), int(third)
    elif two_parts == "hours:minutes" or days is not None:
        hours, minutes, seconds = int(first), int(second or 0), 0
    else:
        hours, minutes, seconds = 0, int(first), int(second or 0)
    return float(int(days or 0) * 86400 + hours * 3600 + minutes * 60 + seconds)

"""``when_all_done``: a callback once a set of futures has finished."""
from __future__ import annotations

import threading
from typing import Any, Callable


def when_all_done(futures: list, callback: Callable[[], Any]) -> None:
    """Call ``callback()`` once every future in ``futures`` is done (at once if none)."""
    remaining = len(futures)
    if not remaining:
        callback()
        return
    lock = threading.Lock()

    def one_done(_: Any) -> None:
        nonlocal remaining
        with lock:
            remaining -= 1
            if remaining:
                return
        callback()

    for future in futures:
        future.add_done_callback(one_done)

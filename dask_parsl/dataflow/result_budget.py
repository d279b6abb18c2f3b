"""How much of the client's memory the results workers push with completions may take."""
from __future__ import annotations

import time

from .records import FinishedFutures


class ResultBudget:
    """Admits pushed results while those held by live futures stay within ``limit`` bytes.

    Admitted sizes add up; a result that would pass the limit has the futures still alive
    counted again first (at most once a second), since dropped futures free theirs. A
    result not admitted stays on its worker until read, as a large one does."""

    def __init__(self, limit: int, finished: FinishedFutures) -> None:
        self.limit = limit
        self.held = 0
        self._finished = finished
        self._counted_at = float("-inf")

    def admit(self, nbytes: int) -> bool:
        if self.held + nbytes > self.limit:
            now = time.monotonic()
            if now - self._counted_at < 1.0:
                return False
            self._counted_at = now
            self.held = sum(future._pushed_nbytes for future in self._finished.alive())
            if self.held + nbytes > self.limit:
                return False
        self.held += nbytes
        return True

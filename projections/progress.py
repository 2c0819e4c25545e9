"""Whether the read models keep up with the log: how long they have stood still while the
log was ahead of them (a projector that is running but stuck is not ready either)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Progress:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._position: int | None = None
        self._behind_since: float | None = None
        self._lock = threading.Lock()

    def stalled_for(self, projected: int, head: int) -> float:
        """Seconds the read models have stayed at ``projected`` while the log, at ``head``,
        was ahead of them (0 while they advance or are caught up)."""
        now = self._clock()
        with self._lock:
            if projected >= head:
                self._position, self._behind_since = projected, None
                return 0.0
            if projected != self._position or self._behind_since is None:
                self._position, self._behind_since = projected, now
                return 0.0
            return now - self._behind_since

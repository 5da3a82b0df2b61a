"""Per-token request rate limit over a rolling time window, as Liquid enforced it.

Liquid allowed 300 requests per 5 minutes per API token and answered 429 beyond that.
Only admitted requests count: a request refused by the limiter does not extend the wait.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Admits at most ``limit`` requests per key within any rolling ``window_seconds``.

    Thread-safe. ``clock`` returns seconds on a monotonic scale (``time.monotonic`` by default).
    """

    def __init__(
        self,
        limit: int = 300,
        window_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._admitted: dict[str, deque[float]] = {}
        self.configure(limit, window_seconds)

    def configure(self, limit: int, window_seconds: float) -> None:
        """Change the limit; requests already admitted keep counting against the new one."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"rate limit must be an integer >= 1, got {limit!r}")
        if isinstance(window_seconds, bool) or not isinstance(window_seconds, (int, float)):
            raise ValueError(f"rate window must be a number of seconds, got {window_seconds!r}")
        if not math.isfinite(window_seconds) or window_seconds <= 0:
            raise ValueError(f"rate window must be > 0 seconds, got {window_seconds!r}")
        with self._lock:
            self.limit = limit
            self.window_seconds = float(window_seconds)

    def admit(self, key: str) -> bool:
        """Count one request for ``key`` and return True, or return False if over the limit."""
        with self._lock:
            now = self._clock()
            admitted = self._admitted.setdefault(key, deque())
            horizon = now - self.window_seconds
            while admitted and admitted[0] <= horizon:
                admitted.popleft()
            if len(admitted) >= self.limit:
                return False
            admitted.append(now)
            return True

    def reset(self) -> None:
        """Forget every admitted request."""
        with self._lock:
            self._admitted.clear()

    @property
    def exceeded_message(self) -> str:
        """Liquid's 429 body; the wait is the window in whole seconds (rounded up)."""
        return f"API rate limit exceeded. Please retry after {math.ceil(self.window_seconds)}s"

    def settings(self) -> dict:
        return {"limit": self.limit, "window_seconds": self.window_seconds}

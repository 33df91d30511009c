"""Per-user rate limits on search endpoints (a sliding one-minute window per user)."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque


class RateLimiter:
    """At most ``per_minute`` calls per key in any 60-second window."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, key: str) -> float:
        """Record a call; 0 if allowed, else the seconds to wait before the next one."""
        now = time.monotonic()
        with self._lock:
            calls = self._calls[key]
            while calls and calls[0] <= now - 60.0:
                calls.popleft()
            if len(calls) >= self.per_minute:
                return max(calls[0] + 60.0 - now, 0.001)
            calls.append(now)
            return 0.0

    def clear(self) -> None:
        """Forget every count (a new window for everyone)."""
        with self._lock:
            self._calls.clear()

    @staticmethod
    def retry_after(wait: float) -> str:
        """The Retry-After header value (whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait)))

"""Per-key rate limits (a sliding one-minute window per key), counting calls or their cost
(title linking counts titles, not requests)."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque


class RateLimiter:
    """At most ``per_minute`` units (calls, or a cost per call) per key in any 60-second window."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._calls: dict[str, deque[tuple[float, int]]] = defaultdict(deque)
        self._spent: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def check(self, key: str, cost: int = 1) -> float:
        """Record a call of ``cost`` units; 0 if allowed, else the seconds to wait until it
        would be (a call costing more than the whole budget waits a full minute)."""
        now = time.monotonic()
        with self._lock:
            calls = self._calls[key]
            while calls and calls[0][0] <= now - 60.0:
                self._spent[key] -= calls.popleft()[1]
            if self._spent[key] + cost > self.per_minute:
                if cost > self.per_minute or not calls:
                    return 60.0
                freed, wait = self._spent[key] + cost - self.per_minute, 60.0
                for at, spent in calls:
                    freed -= spent
                    wait = at + 60.0 - now
                    if freed <= 0:
                        break
                return max(wait, 0.001)
            calls.append((now, cost))
            self._spent[key] += cost
            return 0.0

    def clear(self) -> None:
        """Forget every count (a new window for everyone)."""
        with self._lock:
            self._calls.clear()
            self._spent.clear()

    @staticmethod
    def retry_after(wait: float) -> str:
        """The Retry-After header value (whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait)))

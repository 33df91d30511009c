"""Per-key rate limits (a sliding one-minute window per key), counting calls or their cost
(title linking counts titles, not requests). The spends live in a :class:`LimitStore`: the
database by default, so that every worker and host counts a user once."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from tremplin.store.limits import LimitStore, MemoryLimits, Window

WINDOW_S = 60.0


class RateLimiter:
    """At most ``per_minute`` units (calls, or a cost per call) per key in any 60-second window."""

    def __init__(
        self,
        per_minute: int,
        store: LimitStore | None = None,
        scope: str = "calls",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.per_minute = per_minute
        self.store: LimitStore = store or MemoryLimits()
        self.scope = scope
        self.clock = clock

    def check(self, key: str, cost: int = 1) -> float:
        """Record a call of ``cost`` units; 0 if allowed, else the seconds to wait until it
        would be (a call costing more than the whole budget waits a full minute)."""
        now = self.clock()

        def decide(window: Window) -> float:
            spent = sum(c for _, c in window)
            if spent + cost <= self.per_minute:
                return 0.0
            if cost > self.per_minute or not window:
                return WINDOW_S
            freed, wait = spent + cost - self.per_minute, WINDOW_S
            for at, c in window:
                freed -= c
                wait = at + WINDOW_S - now
                if freed <= 0:
                    break
            return max(wait, 0.001)

        return self.store.spend(self.scope, key, cost, now, now - WINDOW_S, decide)

    def clear(self) -> None:
        """Forget every count of this limit (a new window for everyone)."""
        self.store.clear(self.scope)

    @staticmethod
    def retry_after(wait: float) -> str:
        """The Retry-After header value (whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait)))

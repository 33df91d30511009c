"""Sign-in throttling, after OWASP ASVS v4 §2.2 and NIST SP 800-63B §5.2.2.

Failed sign-ins are counted, in a window of :attr:`SignInPolicy.window_s`, per account *and*
client address, per account over all addresses, per address over all accounts, and for the
whole process:

* an (account, address) pair gets :attr:`free_failures` free attempts, then must wait a delay
  that doubles with each further failure (capped): a single guesser gets a handful of tries per
  minute, and the right password from another address is not refused;
* an account gets :attr:`account_failures` failures from all addresses before the same growing
  delays apply to it (distributed guessing of one account; no permanent lockout);
* an address gets :attr:`address_failures` failures over all accounts (password spraying);
* the process accepts at most :attr:`global_failures_per_minute` failures a minute in total.

State is bounded: at most :attr:`max_entries` keys, the oldest dropped first, and entries
older than the window forgotten. Usernames longer than the longest an account can have are
refused before any lookup or count, so junk sign-ins cannot grow memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from data_contracts.types import USERNAME_MAX_LENGTH
from tremplin.passwords import MAX_LENGTH

USERNAME_MAX = USERNAME_MAX_LENGTH  # as UserIn allows
PASSWORD_MAX = MAX_LENGTH  # as UserIn allows (argon2 never sees a longer one)


class SignInPolicy(BaseModel):
    """The limits (defaults: a few tries a minute for one guesser, none for the real user)."""

    free_failures: int = Field(default=5, ge=1)
    base_delay_s: float = Field(default=2.0, gt=0)
    max_delay_s: float = Field(default=900.0, gt=0)
    account_failures: int = Field(default=100, ge=1)
    address_failures: int = Field(default=50, ge=1)
    global_failures_per_minute: int = Field(default=600, ge=1)
    window_s: float = Field(default=900.0, gt=0)
    max_entries: int = Field(default=50_000, ge=100)


@dataclass
class _Count:
    failures: int
    last: float


class SignInGuard:
    """Counts failed sign-ins and says how long a new attempt must wait."""

    def __init__(
        self, policy: SignInPolicy | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy or SignInPolicy()
        self.clock = clock
        self._counts: OrderedDict[tuple[str, ...], _Count] = OrderedDict()
        self._global: list[float] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._counts)

    def wait(self, username: str, address: str) -> float:
        """Seconds before an attempt for ``username`` from ``address`` is admitted (0: now)."""
        p = self.policy
        now = self.clock()
        with self._lock:
            self._expire(now)
            waits = [
                self._delay(("pair", username, address), p.free_failures, now),
                self._delay(("account", username), p.account_failures, now),
            ]
            spray = self._counts.get(("address", address))
            if spray is not None and spray.failures >= p.address_failures:
                waits.append(spray.last + p.window_s - now)
            recent = [t for t in self._global if t > now - 60.0]
            if len(recent) >= p.global_failures_per_minute:
                waits.append(recent[0] + 60.0 - now)
        return max(0.0, *waits)

    def failed(self, username: str, address: str) -> None:
        """Count one failed attempt."""
        now = self.clock()
        with self._lock:
            for key in (("pair", username, address), ("account", username), ("address", address)):
                count = self._counts.pop(key, None) or _Count(0, now)
                count.failures += 1
                count.last = now
                self._counts[key] = count  # most recent last
            self._global.append(now)
            self._global = [t for t in self._global if t > now - 60.0][
                -self.policy.global_failures_per_minute :
            ]
            while len(self._counts) > self.policy.max_entries:
                self._counts.popitem(last=False)

    def succeeded(self, username: str, address: str) -> None:
        """The right password: this pair starts afresh."""
        with self._lock:
            self._counts.pop(("pair", username, address), None)

    def clear(self) -> None:
        """Forget every count."""
        with self._lock:
            self._counts.clear()
            self._global.clear()

    def _delay(self, key: tuple[str, ...], free: int, now: float) -> float:
        count = self._counts.get(key)
        if count is None or count.failures < free:
            return 0.0
        p = self.policy
        delay = min(p.base_delay_s * 2 ** (count.failures - free), p.max_delay_s)
        return float(count.last + delay - now)

    def _expire(self, now: float) -> None:
        horizon = now - self.policy.window_s
        while self._counts:
            key, count = next(iter(self._counts.items()))
            if count.last > horizon:
                break
            del self._counts[key]

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
* the service accepts at most :attr:`global_failures_per_minute` failures a minute in total.

The counts live in a :class:`~tremplin.store.limits.LimitStore`: the application database by
default, so that a guesser whose attempts go to several workers or hosts is counted once, and
a restart forgets nothing. State is bounded: entries older than the window are swept, at most
:attr:`max_entries` keys are kept (the oldest dropped first). Usernames longer than the
longest an account can have are refused before any lookup or count, so junk sign-ins cannot
grow the tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import BaseModel, Field

from data_contracts.types import USERNAME_MAX_LENGTH
from tremplin.passwords import MAX_LENGTH
from tremplin.store.limits import LimitStore, MemoryLimits

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


GLOBAL = ("signin", "*")  # the whole service's failures (scope, key)
MINUTE_S = 60.0


class SignInGuard:
    """Counts failed sign-ins and says how long a new attempt must wait."""

    def __init__(
        self,
        policy: SignInPolicy | None = None,
        clock: Callable[[], float] = time.time,
        store: LimitStore | None = None,
    ) -> None:
        self.policy = policy or SignInPolicy()
        self.clock = clock
        self.store: LimitStore = store or MemoryLimits()

    def __len__(self) -> int:
        return self.store.size()

    def attempt(self, username: str, address: str) -> float:
        """Seconds before an attempt for ``username`` from ``address`` may be made; 0: it is
        admitted now and counted as a failure until :meth:`succeeded` says otherwise, so that
        guesses sent at once (threads, workers, hosts) cannot all pass on the same count."""
        p, now = self.policy, self.clock()
        pair, account, spray = keys = _keys(username, address)
        recent = self.store.window(*GLOBAL, now - MINUTE_S)
        if len(recent) >= p.global_failures_per_minute:
            return max(0.0, recent[-p.global_failures_per_minute][0] + MINUTE_S - now)

        def decide(counts: dict[str, tuple[int, float]]) -> float:
            waits = [
                self._delay(counts.get(pair), p.free_failures, now),
                self._delay(counts.get(account), p.account_failures, now),
            ]
            if spray in counts and counts[spray][0] >= p.address_failures:
                waits.append(counts[spray][1] + p.window_s - now)
            return max(0.0, *waits)

        return self.store.admit(keys, now, now - p.window_s, p.max_entries, decide)

    def failed(self, username: str, address: str) -> None:
        """The attempt admitted failed (its counts stay; the service's count grows)."""
        now = self.clock()
        self.store.spend(*GLOBAL, 1, now, now - MINUTE_S, lambda _: 0.0)

    def succeeded(self, username: str, address: str) -> None:
        """The right password: this pair starts afresh, and the account's and the address's
        counts give back the failure counted in advance."""
        pair, account, spray = _keys(username, address)
        self.store.reset(pair)
        self.store.forgive((account, spray))

    def clear(self) -> None:
        """Forget every count."""
        self.store.clear()

    def _delay(self, count: tuple[int, float] | None, free: int, now: float) -> float:
        if count is None or count[0] < free:
            return 0.0
        p = self.policy
        delay = min(p.base_delay_s * 2 ** (count[0] - free), p.max_delay_s)
        return float(count[1] + delay - now)


def _keys(username: str, address: str) -> tuple[str, str, str]:
    """The three counts an attempt adds to: the pair, the account, the address."""
    return (f"pair\x1f{username}\x1f{address}", f"account\x1f{username}", f"address\x1f{address}")

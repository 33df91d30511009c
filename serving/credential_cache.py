"""Recently resolved credentials, so that a busy client is not looked up on every request.

A bearer token or API key is resolved from the database once, then served from memory for
``ttl_s`` seconds (5 by default, never past the credential's own expiry). A revocation made
through this process (logout, admin revoke, deactivation, password reset) empties the cache
at once; one made by another process (another API worker, the CLI) takes effect there within
``ttl_s``. Entries are keyed by the credential's SHA-256 digest, never the secret itself.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from tremplin.actors import Principal


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    until: float  # monotonic deadline


class CredentialCache:
    """An LRU of resolved principals with a time limit; ``ttl_s <= 0`` disables it."""

    def __init__(self, ttl_s: float, size: int = 4096) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0

    @property
    def generation(self) -> int:
        """Changes on every :meth:`clear`: read it before a database lookup and give it to
        :meth:`put`, so a lookup that raced a revocation is not cached."""
        return self._generation

    def get(self, kind: str, digest: str) -> Principal | None:
        """The cached principal for this credential, if still fresh."""
        if self.ttl_s <= 0:
            return None
        with self._lock:
            entry = self._entries.get((kind, digest))
            if entry is None:
                return None
            if entry.until <= time.monotonic():
                del self._entries[(kind, digest)]
                return None
            self._entries.move_to_end((kind, digest))
            return entry.principal

    def put(
        self,
        kind: str,
        digest: str,
        principal: Principal,
        expires_at: dt.datetime | None,
        generation: int,
    ) -> None:
        """Remember a principal just resolved (unless a revocation happened meanwhile)."""
        if self.ttl_s <= 0:
            return
        ttl = self.ttl_s
        if expires_at is not None:
            ttl = min(ttl, (expires_at - dt.datetime.now(dt.UTC)).total_seconds())
        if ttl <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return
            self._entries[(kind, digest)] = _Entry(principal, time.monotonic() + ttl)
            self._entries.move_to_end((kind, digest))
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (after any revocation, deactivation or password change)."""
        with self._lock:
            self._entries.clear()
            self._generation += 1

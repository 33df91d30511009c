"""The short-lived cache of resolved credentials: freshness, expiry, revocation races."""

from __future__ import annotations

import datetime as dt

import pytest

from serving import credential_cache
from serving.credential_cache import CredentialCache
from tremplin.actors import Principal, Role

WHO = Principal(user_id=1, username="coach", role=Role.COACH, credential_id=7, cpas_id="c1")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(credential_cache.time, "monotonic", c)
    return c


def test_an_entry_is_served_for_ttl_seconds_then_looked_up_again(clock: Clock) -> None:
    cache = CredentialCache(ttl_s=5)
    cache.put("token", "d1", WHO, None, cache.generation)
    assert cache.get("token", "d1") == WHO
    assert cache.get("api_key", "d1") is None  # the kind is part of the key
    clock.now += 5.01
    assert cache.get("token", "d1") is None


def test_an_entry_never_outlives_its_credential(clock: Clock) -> None:
    cache = CredentialCache(ttl_s=5)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    cache.put("token", "d1", WHO, soon, cache.generation)
    clock.now += 1.5
    assert cache.get("token", "d1") is None
    cache.put("token", "d2", WHO, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1), 0)
    assert cache.get("token", "d2") is None  # already expired: not cached at all


def test_a_lookup_that_raced_a_revocation_is_not_cached(clock: Clock) -> None:
    cache = CredentialCache(ttl_s=5)
    before = cache.generation  # a request starts its database lookup...
    cache.clear()  # ...a revocation commits and clears the cache...
    cache.put("token", "d1", WHO, None, before)  # ...the stale answer arrives
    assert cache.get("token", "d1") is None


def test_clear_forgets_everything_and_zero_disables(clock: Clock) -> None:
    cache = CredentialCache(ttl_s=5)
    cache.put("token", "d1", WHO, None, cache.generation)
    cache.clear()
    assert cache.get("token", "d1") is None
    off = CredentialCache(ttl_s=0)
    off.put("token", "d1", WHO, None, off.generation)
    assert off.get("token", "d1") is None


def test_the_cache_keeps_its_size(clock: Clock) -> None:
    cache = CredentialCache(ttl_s=5, size=3)
    for i in range(5):
        cache.put("token", f"d{i}", WHO, None, cache.generation)
    assert [cache.get("token", f"d{i}") is not None for i in range(5)] == [
        False,
        False,
        True,
        True,
        True,
    ]

"""Sign-in throttling: a guesser is slowed, the real user is not, memory stays bounded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serving.signin import SignInGuard, SignInPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def guard(**policy: float) -> tuple[SignInGuard, Clock]:
    clock = Clock()
    return SignInGuard(SignInPolicy(**policy), clock), clock  # type: ignore[arg-type]


def test_one_guesser_waits_longer_after_each_failure_and_the_real_user_is_not_locked_out() -> None:
    g, clock = guard(free_failures=5, base_delay_s=2.0)
    for _ in range(5):
        assert g.wait("alice", "10.0.0.9") == 0.0
        g.failed("alice", "10.0.0.9")
    assert g.wait("alice", "10.0.0.9") == pytest.approx(2.0)  # after 5 free failures
    clock.now += 2.0
    g.failed("alice", "10.0.0.9")
    assert g.wait("alice", "10.0.0.9") == pytest.approx(4.0)  # doubled
    # the right password from her own address is admitted at once
    assert g.wait("alice", "192.168.1.20") == 0.0
    g.succeeded("alice", "192.168.1.20")


def test_attempts_a_single_guesser_gets_per_minute() -> None:
    """Trying as fast as allowed for a minute: a handful of attempts, not hundreds."""
    g, clock = guard()
    attempts, end = 0, clock.now + 60.0
    while clock.now < end:
        wait = g.wait("alice", "10.0.0.9")
        if wait > 0:
            clock.now += wait
            continue
        attempts += 1
        g.failed("alice", "10.0.0.9")
        clock.now += 0.05  # argon2 answers in about 50 ms
    assert attempts <= 10


def test_spraying_many_accounts_from_one_address_is_stopped() -> None:
    g, _ = guard(address_failures=50)
    for n in range(50):
        assert g.wait(f"user{n}", "10.0.0.9") == 0.0
        g.failed(f"user{n}", "10.0.0.9")
    assert g.wait("user-new", "10.0.0.9") > 0
    assert g.wait("user-new", "10.0.0.10") == 0.0


def test_a_global_ceiling_caps_all_failures() -> None:
    g, _ = guard(global_failures_per_minute=100, address_failures=10_000)
    for n in range(100):
        g.failed(f"user{n}", f"10.0.{n // 250}.{n % 250}")
    assert g.wait("someone", "172.16.0.1") > 0


@given(st.lists(st.tuples(st.text(max_size=64), st.text(max_size=15)), max_size=300))
def test_state_stays_bounded_and_expires(attempts: list[tuple[str, str]]) -> None:
    g, clock = guard(max_entries=100, window_s=900.0)
    for username, address in attempts:
        g.failed(username, address)
        assert len(g) <= 100
    clock.now += 901.0
    g.wait("x", "y")
    assert len(g) == 0

"""Sign-in throttling: a guesser is slowed, the real user is not, state stays bounded; the
counts kept in the database are the same for every worker (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serving.ratelimit import RateLimiter
from serving.signin import SignInGuard, SignInPolicy
from tests.conftest import BACKENDS, _postgres_database
from tremplin.store.db import make_engine, session_factory, upgrade
from tremplin.store.limits import DatabaseLimits, LimitStore, MemoryLimits

SECRET = b"k" * 32


@pytest.fixture(scope="module", params=["memory", *BACKENDS])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LimitStore]:
    """Where the counts live: one process's memory, or a database each worker shares."""
    if request.param == "memory":
        yield MemoryLimits()
        return
    for url in _db_urls(request.param, tmp_path_factory):
        engine = make_engine(url)
        upgrade(engine)
        yield DatabaseLimits(session_factory(engine), SECRET)
        engine.dispose()


def _db_urls(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('limits') / 'tremplin.db'}"
    else:
        yield from _postgres_database()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def guard(store: LimitStore | None = None, **policy: float) -> tuple[SignInGuard, Clock]:
    clock = Clock()
    (store or MemoryLimits()).clear()
    return SignInGuard(SignInPolicy(**policy), clock, store), clock  # type: ignore[arg-type]


def guesses_in_a_minute(workers: list[SignInGuard], clock: Clock) -> int:
    """Guesses admitted in a minute to one guesser trying as fast as allowed, each attempt
    sent to the next of ``workers`` in turn."""
    done, end, turn = 0, clock.now + 60.0, 0
    while clock.now < end:
        worker = workers[turn % len(workers)]
        turn += 1
        wait = worker.attempt("alice", "10.0.0.9")
        if wait > 0:
            clock.now += wait
            continue
        done += 1
        worker.failed("alice", "10.0.0.9")
        clock.now += 0.05  # argon2 answers in about 50 ms
    return done


def test_one_guesser_waits_longer_after_each_failure_and_the_real_user_is_not_locked_out(
    store: LimitStore,
) -> None:
    g, clock = guard(store, free_failures=5, base_delay_s=2.0)
    for _ in range(5):
        assert g.attempt("alice", "10.0.0.9") == 0.0
        g.failed("alice", "10.0.0.9")
    assert g.attempt("alice", "10.0.0.9") == pytest.approx(2.0)  # after 5 free failures
    clock.now += 2.0
    assert g.attempt("alice", "10.0.0.9") == 0.0
    g.failed("alice", "10.0.0.9")
    assert g.attempt("alice", "10.0.0.9") == pytest.approx(4.0)  # doubled
    # the right password from her own address is admitted at once
    assert g.attempt("alice", "192.168.1.20") == 0.0
    g.succeeded("alice", "192.168.1.20")


def test_attempts_a_single_guesser_gets_per_minute(store: LimitStore) -> None:
    """Trying as fast as allowed for a minute: a handful of attempts, not hundreds."""
    g, clock = guard(store)
    assert guesses_in_a_minute([g], clock) <= 10


def test_spraying_many_accounts_from_one_address_is_stopped(store: LimitStore) -> None:
    g, _ = guard(store, address_failures=50)
    for n in range(50):
        assert g.attempt(f"user{n}", "10.0.0.9") == 0.0
        g.failed(f"user{n}", "10.0.0.9")
    assert g.attempt("user-new", "10.0.0.9") > 0
    assert g.attempt("user-new", "10.0.0.10") == 0.0


def test_a_global_ceiling_caps_all_failures(store: LimitStore) -> None:
    g, _ = guard(store, global_failures_per_minute=100, address_failures=10_000)
    for n in range(100):
        g.failed(f"user{n}", f"10.0.{n // 250}.{n % 250}")
    assert g.attempt("someone", "172.16.0.1") > 0


@given(st.lists(st.tuples(st.text(max_size=64), st.text(max_size=15)), max_size=300))
def test_state_stays_bounded_and_expires(attempts: list[tuple[str, str]]) -> None:
    g, clock = guard(max_entries=100, window_s=900.0)
    for username, address in attempts:
        if g.attempt(username, address) == 0:
            g.failed(username, address)
        assert len(g) <= 100
    clock.now += 901.0
    g.attempt("x", "y")
    assert len(g) == 3  # the old counts are gone; this attempt's pair, account and address


def test_the_database_keeps_counts_bounded_expired_and_unreadable(store: LimitStore) -> None:
    g, clock = guard(store, max_entries=100, window_s=900.0)
    for n in range(60):
        assert g.attempt(f"user{n}", f"10.0.0.{n}") == 0
        g.failed(f"user{n}", f"10.0.0.{n}")
        assert len(g) <= 100
    assert len(g) == 100
    if isinstance(store, DatabaseLimits):  # neither a username nor an address is stored
        assert store.hashed("account\x1fuser1") != "account\x1fuser1"
        assert len(store.hashed("account\x1fuser1")) == 64
    clock.now += 901.0
    g.attempt("x", "y")
    assert len(g) == 3


def test_guesses_sent_at_once_do_not_pass_on_one_count(store: LimitStore) -> None:
    """Eight guesses arrive together (threads, workers): five are admitted, as in turn; the
    right password afterwards gives its advance back."""
    g, _ = guard(store, free_failures=5)
    barrier = threading.Barrier(8)
    admitted: list[float] = []

    def guess() -> None:
        barrier.wait()
        admitted.append(g.attempt("alice", "10.0.0.9"))

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(admitted)[:5] == [0.0] * 5 and min(sorted(admitted)[5:]) > 0
    assert g.attempt("alice", "10.0.0.10") == 0.0
    g.succeeded("alice", "10.0.0.10")  # the account's count is back to the five failures
    assert store.failures(["account\x1falice"], 0.0)["account\x1falice"][0] == 5


def test_a_guesser_alternating_between_two_workers_gets_no_more_attempts(
    store: LimitStore,
) -> None:
    """Two guards over one database are two workers (or hosts): the guesser's attempts a
    minute are those against one worker, not twice as many."""
    if isinstance(store, MemoryLimits):
        pytest.skip("one process's memory is not shared: the database is")
    assert isinstance(store, DatabaseLimits)
    other = DatabaseLimits(store.factory, SECRET)
    a, clock = guard(store)
    b = SignInGuard(a.policy, clock, other)  # type: ignore[arg-type]
    one, one_clock = guard(MemoryLimits())
    alone = guesses_in_a_minute([one], one_clock)
    assert guesses_in_a_minute([a, b], clock) == alone <= 10


def test_per_minute_budgets_are_shared_by_every_worker(store: LimitStore) -> None:
    if isinstance(store, MemoryLimits):
        pytest.skip("one process's memory is not shared: the database is")
    assert isinstance(store, DatabaseLimits)
    store.clear()
    clock = Clock()
    a = RateLimiter(3, store, "search", clock)
    b = RateLimiter(3, DatabaseLimits(store.factory, SECRET), "search", clock)
    assert [a.check("user:1"), b.check("user:1"), a.check("user:1")] == [0.0, 0.0, 0.0]
    assert b.check("user:1") == pytest.approx(60.0)  # the fourth call, whichever worker
    assert a.check("user:2") == 0.0  # another user has their own budget
    assert RateLimiter(3, store, "titles", clock).check("user:1") == 0.0  # another limit
    clock.now += 60.0
    assert b.check("user:1") == 0.0

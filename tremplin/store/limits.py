"""The counts behind the service's limits (per-minute budgets, failed sign-ins), kept where
every worker sees them.

:class:`DatabaseLimits` keeps them in the application database (tables ``limit_event`` and
``signin_failure``), so that two workers or two hosts count one guesser or one user once, and
a restart forgets nothing; :class:`MemoryLimits` keeps them in one process (a single-process
service, the unit tests). Both answer the same questions; the policies that read them live
with the service (``serving/ratelimit.py``, ``serving/signin.py``).

Keys name people (a user id, a username, a client address): the database only ever holds
their keyed hash, and rows are swept once their window is over.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from sqlalchemy import case, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from tremplin.store.db import transaction
from tremplin.store.shared_rows import LimitEventRow, SignInFailureRow

Window = list[tuple[float, int]]
"""The spends in a window, oldest first: (time in seconds since the epoch, cost)."""
Decide = Callable[[Window], float]
"""Given the window before a spend, the seconds to wait (0: the spend is admitted)."""
Counts = dict[str, tuple[int, float]]
DecideCounts = Callable[[Counts], float]
"""Given the failure counts (count, last failure) by key, the seconds to wait (0: admitted)."""
SWEEP_EVERY_S = 30.0
EVENT_HORIZON_S = 120.0
"""Spends older than this are swept (every spend window the service uses is one minute)."""


class LimitStore(Protocol):
    """Where the counts live."""

    def window(self, scope: str, key: str, since: float) -> Window:
        """The spends of ``key`` under ``scope`` after ``since``."""

    def spend(
        self, scope: str, key: str, cost: int, now: float, since: float, decide: Decide
    ) -> float:
        """Atomically (for every worker): read the window after ``since``, ask ``decide``, and
        record the spend at ``now`` when it answers 0; returns its answer."""

    def failures(self, keys: Iterable[str], since: float) -> dict[str, tuple[int, float]]:
        """Failures counted per key whose last failure came after ``since``: (count, last)."""

    def admit(
        self, keys: Sequence[str], now: float, since: float, bound: int, decide: DecideCounts
    ) -> float:
        """Atomically (for every worker): the failures of ``keys`` as :meth:`failures` gives
        them, ``decide``'s wait, and when it is 0 one more failure for each key, counted in
        advance (a count whose last failure is not after ``since`` starts again at 1; at most
        ``bound`` keys are kept, the oldest dropped; :meth:`forgive` takes it back); returns
        the wait."""

    def forgive(self, keys: Iterable[str]) -> None:
        """One failure fewer for each key (an attempt counted in advance succeeded)."""

    def reset(self, key: str) -> None:
        """Forget the failures of ``key``."""

    def clear(self, scope: str | None = None) -> None:
        """Forget the spends of ``scope`` (every spend and failure when ``None``)."""

    def size(self) -> int:
        """How many failure counts are kept."""


class MemoryLimits:
    """The counts of one process (a restart forgets them; other workers do not see them)."""

    def __init__(self) -> None:
        self._spends: dict[tuple[str, str], deque[tuple[float, int]]] = defaultdict(deque)
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def window(self, scope: str, key: str, since: float) -> Window:
        with self._lock:
            return self._trimmed(scope, key, since)

    def spend(
        self, scope: str, key: str, cost: int, now: float, since: float, decide: Decide
    ) -> float:
        with self._lock:
            wait = decide(self._trimmed(scope, key, since))
            if wait <= 0:
                self._spends[scope, key].append((now, cost))
            return wait

    def failures(self, keys: Iterable[str], since: float) -> dict[str, tuple[int, float]]:
        with self._lock:
            self._expire(since)
            return {k: self._failures[k] for k in keys if k in self._failures}

    def _add(self, keys: Iterable[str], now: float, bound: int) -> None:
        for key in keys:
            count, _ = self._failures.pop(key, (0, now))
            self._failures[key] = (count + 1, now)  # most recent last
        while len(self._failures) > bound:
            self._failures.popitem(last=False)

    def admit(
        self, keys: Sequence[str], now: float, since: float, bound: int, decide: DecideCounts
    ) -> float:
        with self._lock:
            self._expire(since)
            wait = decide({k: self._failures[k] for k in keys if k in self._failures})
            if wait <= 0:
                self._add(keys, now, bound)
            return wait

    def forgive(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                if key in self._failures:
                    count, last = self._failures[key]
                    if count <= 1:
                        del self._failures[key]
                    else:
                        self._failures[key] = (count - 1, last)

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def clear(self, scope: str | None = None) -> None:
        with self._lock:
            for s, k in [sk for sk in self._spends if scope is None or sk[0] == scope]:
                del self._spends[s, k]
            if scope is None:
                self._failures.clear()

    def size(self) -> int:
        return len(self._failures)

    def _trimmed(self, scope: str, key: str, since: float) -> Window:
        spends = self._spends[scope, key]
        while spends and spends[0][0] <= since:
            spends.popleft()
        return list(spends)

    def _expire(self, since: float) -> None:
        while self._failures:
            key, (_, last) = next(iter(self._failures.items()))
            if last > since:
                break
            del self._failures[key]


class DatabaseLimits:
    """The counts in the application database, shared by every worker and host (their clocks
    are assumed synchronised, as NTP keeps them)."""

    def __init__(self, factory: sessionmaker[Session], secret: bytes) -> None:
        self.factory = factory
        self._secret = secret
        self._swept = 0.0

    def hashed(self, key: str) -> str:
        """The stored form of a key (keyed hash: the key cannot be read back)."""
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    def window(self, scope: str, key: str, since: float) -> Window:
        with transaction(self.factory) as session:
            return self._window(session, scope, self.hashed(key), since, None)

    def spend(
        self, scope: str, key: str, cost: int, now: float, since: float, decide: Decide
    ) -> float:
        hashed = self.hashed(key)
        with transaction(self.factory) as session:
            if session.get_bind().dialect.name == "postgresql":
                lock = int.from_bytes(bytes.fromhex(hashed[:16]), "big", signed=True)
                session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
            # the spend is written first: on SQLite this takes the write lock, so the window
            # read next holds every spend committed before (by any worker)
            row = LimitEventRow(scope=scope, key=hashed, at=now, cost=cost)
            session.add(row)
            session.flush()
            wait = decide(self._window(session, scope, hashed, since, row.id))
            if wait > 0:
                session.delete(row)
            self._sweep(session, now)
            return wait

    def failures(self, keys: Iterable[str], since: float) -> dict[str, tuple[int, float]]:
        hashed = {self.hashed(k): k for k in keys}
        with transaction(self.factory) as session:
            session.execute(delete(SignInFailureRow).where(SignInFailureRow.last_at <= since))
            rows = session.execute(
                select(SignInFailureRow.key, SignInFailureRow.failures, SignInFailureRow.last_at)
                .where(SignInFailureRow.key.in_(hashed), SignInFailureRow.last_at > since)
            ).all()  # fmt: skip
        return {hashed[k]: (n, last) for k, n, last in rows}

    def admit(
        self, keys: Sequence[str], now: float, since: float, bound: int, decide: DecideCounts
    ) -> float:
        hashed = {self.hashed(k): k for k in keys}
        with transaction(self.factory) as session:
            if session.get_bind().dialect.name == "postgresql":  # each key, in one order
                for key in sorted(hashed):
                    lock = int.from_bytes(bytes.fromhex(key[:16]), "big", signed=True)
                    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
            # a write first: on SQLite it takes the write lock, so what is read next holds
            # every attempt admitted before (by any worker)
            session.execute(delete(SignInFailureRow).where(SignInFailureRow.last_at <= since))
            rows = session.execute(
                select(SignInFailureRow.key, SignInFailureRow.failures, SignInFailureRow.last_at)
                .where(SignInFailureRow.key.in_(hashed))
            ).all()  # fmt: skip
            wait = decide({hashed[k]: (n, last) for k, n, last in rows})
            if wait <= 0:
                self._add(session, list(hashed), now, since, bound)
            return wait

    def forgive(self, keys: Iterable[str]) -> None:
        hashed = [self.hashed(k) for k in keys]
        with transaction(self.factory) as session:
            session.execute(
                update(SignInFailureRow)
                .where(SignInFailureRow.key.in_(hashed))
                .values(failures=SignInFailureRow.failures - 1)
            )
            session.execute(delete(SignInFailureRow).where(SignInFailureRow.failures <= 0))

    @staticmethod
    def _add(session: Session, hashed: list[str], now: float, since: float, bound: int) -> None:
        rows = [{"key": k, "failures": 1, "last_at": now} for k in hashed]
        insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        table = SignInFailureRow.__table__
        statement = insert(SignInFailureRow).values(rows)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "failures": case((table.c.last_at > since, table.c.failures + 1), else_=1),
                    "last_at": statement.excluded.last_at,
                },
            )
        )
        extra = session.scalar(select(func.count()).select_from(SignInFailureRow)) or 0
        if extra > bound:
            oldest = (
                select(SignInFailureRow.key)
                .order_by(SignInFailureRow.last_at)
                .limit(extra - bound)
                .scalar_subquery()
            )
            session.execute(delete(SignInFailureRow).where(SignInFailureRow.key.in_(oldest)))

    def reset(self, key: str) -> None:
        with transaction(self.factory) as session:
            session.execute(
                delete(SignInFailureRow).where(SignInFailureRow.key == self.hashed(key))
            )

    def clear(self, scope: str | None = None) -> None:
        with transaction(self.factory) as session:
            events = delete(LimitEventRow)
            if scope is not None:
                events = events.where(LimitEventRow.scope == scope)
            session.execute(events)
            if scope is None:
                session.execute(delete(SignInFailureRow))

    def size(self) -> int:
        with transaction(self.factory) as session:
            return session.scalar(select(func.count()).select_from(SignInFailureRow)) or 0

    @staticmethod
    def _window(
        session: Session, scope: str, hashed: str, since: float, leave_out: int | None
    ) -> Window:
        query = select(LimitEventRow.at, LimitEventRow.cost).where(
            LimitEventRow.scope == scope, LimitEventRow.key == hashed, LimitEventRow.at > since
        )
        if leave_out is not None:
            query = query.where(LimitEventRow.id != leave_out)
        return [(at, cost) for at, cost in session.execute(query.order_by(LimitEventRow.at))]

    def _sweep(self, session: Session, now: float) -> None:
        """Spends past every window go (at most every :data:`SWEEP_EVERY_S` per process)."""
        if now - self._swept < SWEEP_EVERY_S:
            return
        self._swept = now
        session.execute(delete(LimitEventRow).where(LimitEventRow.at < now - EVENT_HORIZON_S))

"""Everything one app instance holds: settings, database, engine, limits, metrics."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Engine

from services.context import ServiceContext
from serving.compute import ComputeScheduler, Priority
from serving.credential_cache import CredentialCache
from serving.metrics import Metrics
from serving.ratelimit import RateLimiter
from serving.signin import SignInGuard
from tremplin.store import repository as repo

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
T = TypeVar("T")
CPAS_NAMES_TTL_S = 60.0


@dataclass
class ServiceState(ServiceContext):
    """The app's shared objects (one per app; stored on ``app.state.tremplin``): the services'
    context, and what only the API holds (its database engine, limits, credentials, metrics)."""

    engine: Engine
    limiter: RateLimiter
    credentials: CredentialCache
    metrics: Metrics
    title_budget: RateLimiter
    role_title_budget: RateLimiter
    _scheduler: ComputeScheduler | None = field(default=None, repr=False)
    signin: SignInGuard = field(default_factory=SignInGuard, repr=False)
    _cpas_names: tuple[float, dict[str, str]] | None = field(default=None, repr=False)
    on_stop: list[Callable[[], object]] = field(default_factory=list, repr=False)
    """What to do when the service stops, before the database is closed (page tasks)."""

    def cpas_names(self) -> dict[str, str]:
        """Every CPAS's name by identifier, as the pages show them; read from the database
        at most once a minute per process (CPAS are added by an operator, rarely), not on
        every page."""
        now = time.monotonic()
        if self._cpas_names is None or self._cpas_names[0] <= now:
            with self.transaction() as session:
                names = dict(repo.cpas_directory(session))
            self._cpas_names = (now + CPAS_NAMES_TTL_S, names)
        return self._cpas_names[1]

    @property
    def scheduler(self) -> ComputeScheduler:
        """The process's compute slots (see :mod:`serving.compute`)."""
        if self._scheduler is None:
            self._scheduler = ComputeScheduler(
                self.settings.compute_concurrency, self.settings.batch_compute_slots
            )
        return self._scheduler

    async def compute(
        self, fn: Callable[..., T], *args: object, priority: Priority = Priority.SHORTLIST
    ) -> T:
        """Run CPU-bound work (a shortlist, title linking) in a worker thread, at most
        ``compute_concurrency`` at once in this process, coaches' shortlists first.

        Ten shortlists sharing one core through the GIL each take ten times longer, and
        keep reads and searches waiting behind them; taking turns, each finishes in its own
        time (measured under 20 users without pauses: 163 -> 187 requests/s, shortlist p99
        900 -> 340 ms, reads p95 150 -> 42 ms)."""
        return await self.scheduler.run(priority, fn, *args)

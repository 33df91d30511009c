"""Everything one app instance holds: settings, database, engine, limits, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from serving.credential_cache import CredentialCache
from serving.matching_service import MatchingService
from serving.metrics import Metrics
from serving.ratelimit import RateLimiter
from tremplin.settings import Settings
from tremplin.store.db import transaction

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


@dataclass
class ServiceState:
    """The app's shared objects (one per app; stored on ``app.state.tremplin``)."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    matching: MatchingService
    limiter: RateLimiter
    credentials: CredentialCache
    metrics: Metrics
    pseudonym_key: bytes

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed on success, rolled back on any error."""
        with transaction(self.factory) as session:
            yield session

"""What every service needs: settings, the database, the served engine, the pseudonym key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from services.engine import MatchingService
from tremplin.audit import pseudonym_key
from tremplin.settings import Settings
from tremplin.store.db import migrated_factory, transaction


@dataclass
class ServiceContext:
    """The shared objects a service works with (the API's state is one, with more beside)."""

    settings: Settings
    factory: sessionmaker[Session]
    matching: MatchingService
    pseudonym_key: bytes

    def today(self) -> dt.date:
        """The request's date: the configured ``as_of``, else today in Brussels (the one clock
        of every shell: pages, API, command line and batch agree on it)."""
        return self.settings.today()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed on success, rolled back on any error."""
        with transaction(self.factory) as session:
            yield session


def open_context(settings: Settings) -> ServiceContext:
    """A context for a one-shot command: the configured database (migrated), an engine loaded
    at its first use (a request refused before ranking never loads it)."""
    factory = migrated_factory(settings.database_url)
    return ServiceContext(
        settings=settings,
        factory=factory,
        matching=MatchingService(settings, factory, one_shot=True),
        pseudonym_key=pseudonym_key(settings),
    )

"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), factories."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tremplin.store.db import make_engine, session_factory, upgrade

POSTGRES_URL = os.environ.get("TREMPLIN_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"]


def _postgres_database() -> Iterator[str]:
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("TREMPLIN_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL")
        pytest.skip("PostgreSQL tests need TREMPLIN_TEST_POSTGRES_URL (set by .ci/run)")
    name = f"tremplin_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'tremplin.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on a migrated database (each backend)."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def sqlite_factory(tmp_path) -> Iterator[sessionmaker[Session]]:  # type: ignore[no-untyped-def]
    """A session factory on a migrated SQLite file (for tests that need one backend only)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'tremplin.db'}")
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()

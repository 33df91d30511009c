"""Storage: SQLAlchemy models, Alembic migrations and repository functions."""

from tremplin.store import shared_rows  # noqa: F401  (registers the workers' shared tables)
from tremplin.store.db import make_engine, session_factory, transaction, upgrade

__all__ = ["make_engine", "session_factory", "transaction", "upgrade"]

"""What every ``tremplin`` sub-command shares: consoles, the error exit, the session factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console

from tremplin.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a French error line on stderr and return the exit to raise (1 data, 2 usage)."""
    err.print(f"[bold red]Erreur :[/] {message}")
    return typer.Exit(code)


def factory(settings: Settings) -> sessionmaker[Session]:
    """A session factory on the configured database, migrated to the latest schema."""
    from tremplin.store.db import make_engine, session_factory, upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    return session_factory(engine)

"""What every ``tremplin`` sub-command shares: consoles, the error exits (domain errors to exit
codes, in one place), the session factory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from tremplin.errors import DomainError, ErrorCode
from tremplin.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

console = Console()
err = Console(stderr=True)


EXIT_CODES: dict[ErrorCode, int] = {
    ErrorCode.NOT_FOUND: 1,
    ErrorCode.EMPTY_PROFILE: 1,
    ErrorCode.CONFLICT: 1,
    ErrorCode.UNKNOWN_CPAS: 1,
    ErrorCode.REGISTRY: 1,
    ErrorCode.GATE_REFUSED: 1,
    ErrorCode.INVALID_REQUEST: 2,
    ErrorCode.UNSUPPORTED_FORMAT: 2,
    ErrorCode.UNREADABLE_FILE: 2,
    ErrorCode.WEAK_PASSWORD: 2,
    ErrorCode.REFUSED_BY_POLICY: 3,
    ErrorCode.UNAUTHENTICATED: 3,
    ErrorCode.NOT_READY: 4,
    ErrorCode.UNAVAILABLE: 4,
    ErrorCode.TIMED_OUT: 4,
    ErrorCode.RATE_LIMITED: 4,
}
"""Exit codes of domain errors: 1 the data, 2 the command's usage, 3 refused, 4 not now."""


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a French error line on stderr and return the exit to raise (1 data, 2 usage)."""
    err.print(f"[bold red]Erreur :[/] {escape(message)}")
    return typer.Exit(code)


def fail_with(error: DomainError) -> typer.Exit:
    """The exit for a domain error: its message (and per-field problems) on stderr, the exit
    code of :data:`EXIT_CODES`."""
    message = error.message
    for problem in error.details or []:
        where = ".".join(str(p) for p in problem.get("loc", ()))
        message += f"\n  {where} : {problem.get('msg', '')}"
    return fail(f"{message} [{error.code.value}]", EXIT_CODES[error.code])


class MappedErrors(TyperGroup):
    """The ``tremplin`` command group: a domain error raised by any sub-command ends it with
    its French line and exit code (:func:`fail_with`), in this one place."""

    def invoke(self, ctx: Any) -> Any:  # click's Context (vendored by Typer)
        """Run the sub-command; map its domain errors to exits."""
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            raise fail_with(exc) from None


def factory(settings: Settings) -> sessionmaker[Session]:
    """A session factory on the configured database, migrated to the latest schema."""
    from tremplin.store.db import migrated_factory

    return migrated_factory(settings.database_url)

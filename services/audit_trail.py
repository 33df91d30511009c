"""The audit trail as an administrator reads it: a page of records for a search, and the
export of every matching record (the export is itself audited). No beneficiary data: the
trail holds pseudonyms only."""

from __future__ import annotations

from collections.abc import Iterator

from services.context import ServiceContext
from tremplin import audit
from tremplin.actors import Principal


def search_audit(
    ctx: ServiceContext, query: audit.AuditQuery, limit: int, offset: int
) -> tuple[list[audit.AuditRecord], int]:
    """A page of the records matching ``query``, oldest first."""
    limit = min(limit, ctx.settings.max_page_size)
    with ctx.transaction() as session:
        return audit.search(session, query, limit, offset)


def export_audit(
    ctx: ServiceContext, actor: Principal, query: audit.AuditQuery, request_id: str
) -> Iterator[audit.AuditRecord]:
    """Every record matching ``query``; the export is recorded first (who exported what),
    then the records stream from their own session."""
    with ctx.transaction() as session:
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.AUDIT_EXPORT,
            inputs=query.model_dump(mode="json", exclude_none=True),
        )

    def records() -> Iterator[audit.AuditRecord]:
        with ctx.factory() as session:
            yield from audit.export(session, query)

    return records()

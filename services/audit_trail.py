"""The audit trail as an administrator reads it: a page of records for a search, the
export of every matching record (the export is itself audited), and the walk of its hash
chain (tamper evidence) with the last one kept. No beneficiary data: the
trail holds pseudonyms only."""

from __future__ import annotations

from collections.abc import Iterator

from services.context import ServiceContext
from services.documents import excel_csv_lines
from services.schemas import Page
from tremplin import audit, audit_chain
from tremplin.actors import Principal
from tremplin.settings import BRUSSELS

AUDIT_CSV_COLUMNS = (
    "Date et heure (Bruxelles)",
    "Action",
    "Acteur",
    "Rôle",
    "CPAS",
    "Sujet (pseudonyme)",
    "Détails",
    "Résultats",
    "Identifiant de requête",
)


def search_audit(
    ctx: ServiceContext, query: audit.AuditQuery, limit: int, offset: int
) -> Page[audit.AuditRecord]:
    """A page of the records matching ``query``, oldest first (at most the configured page
    size)."""
    limit = min(limit, ctx.settings.max_page_size)
    with ctx.transaction() as session:
        items, total = audit.search(session, query, limit, offset)
    return Page[audit.AuditRecord](items=items, total=total, limit=limit, offset=offset)


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


def audit_csv(records: Iterator[audit.AuditRecord]) -> Iterator[str]:
    """Exported records as CSV lines for Excel in a fr-BE locale (times in Brussels time,
    actions named in French)."""
    return excel_csv_lines(
        AUDIT_CSV_COLUMNS,
        (
            (
                r.at.astimezone(BRUSSELS),
                audit.ACTION_LABELS.get(r.action, r.action),
                r.actor,
                r.role,
                r.tenant,
                r.subject,
                ", ".join(f"{k} = {v}" for k, v in sorted(r.inputs.items())),
                len(r.returned_ids),
                r.request_id,
            )
            for r in records
        ),
    )


def verify_chain(ctx: ServiceContext, actor: Principal) -> audit_chain.ChainReport:
    """Walk the audit trail's hash chain and keep the outcome (the admin's page shows the
    last one); the first record that does not match is named."""
    with ctx.transaction() as session:
        report = audit_chain.verify(session)
    with ctx.transaction() as session:
        audit_chain.record_verification(session, report, actor.username)
    return report


def last_verification(ctx: ServiceContext) -> audit_chain.Verification | None:
    """The latest walk of the audit chain, if any."""
    with ctx.transaction() as session:
        return audit_chain.last_verification(session)

"""Outcomes: what happened after an opportunity was proposed (the training signal), recorded
the same way from the API and the coach's pages."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select

from data_contracts.models import OutcomeEvent
from services.context import ServiceContext
from services.tenancy import acting_cpas, in_tenant, owned_row, visible
from tremplin import audit
from tremplin.actors import Principal
from tremplin.errors import ConflictError, NotFoundError
from tremplin.store import repository as repo
from tremplin.store.models import OpportunityRow, OutcomeEventRow


def record_outcome(
    ctx: ServiceContext, actor: Principal, body: BaseModel, request_id: str
) -> OutcomeEvent:
    """Record an outcome for a beneficiary of the actor's CPAS on an opportunity they may see
    (not found otherwise; conflict for an event id already recorded); audited."""
    cpas = acting_cpas(actor)
    event = in_tenant(body, cpas, OutcomeEvent)
    with ctx.transaction() as session:
        owned_row(session, actor, event.beneficiary_id)
        known = session.scalar(  # one the coach may see: not another CPAS's reserved offer
            visible(select(OpportunityRow.id), actor).where(
                OpportunityRow.external_id == event.opportunity_id
            )
        )
        if known is None:
            raise NotFoundError("opportunité inconnue", "unknown opportunity")
        if session.scalar(
            select(OutcomeEventRow.id).where(
                OutcomeEventRow.cpas_id == cpas, OutcomeEventRow.external_id == event.id
            )
        ):
            raise ConflictError("événement déjà enregistré", "duplicate event")
        repo.upsert_outcomes(session, [event])
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.OUTCOME,
            tenant=cpas,
            subject=audit.pseudonym(ctx.pseudonym_key, cpas, event.beneficiary_id),
            inputs={"type": event.type.value},
            returned_ids=[event.opportunity_id],
        )
    return event


def list_outcomes(
    ctx: ServiceContext, actor: Principal, beneficiary_id: str, limit: int, offset: int
) -> tuple[list[OutcomeEvent], int]:
    """A page of a beneficiary's outcomes, oldest first."""
    with ctx.transaction() as session:
        row = owned_row(session, actor, beneficiary_id)
        stmt = select(OutcomeEventRow).where(OutcomeEventRow.beneficiary_id == row.id)
        rows, total = repo.page(
            session, stmt, limit, offset, OutcomeEventRow.occurred_at, OutcomeEventRow.id
        )
        return [OutcomeEvent.model_validate(r.payload) for r in rows], total

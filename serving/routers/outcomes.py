"""Outcomes: what happened after an opportunity was proposed (the training signal)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from data_contracts.models import OutcomeEvent
from services.schemas import Message, OutcomeIn, Page
from services.tenancy import acting_cpas, in_tenant, owned_row, visible
from serving.deps import Caller, State, request_id, roles
from tremplin import audit
from tremplin.actors import Role
from tremplin.errors import ConflictError, NotFoundError
from tremplin.store import repository as repo
from tremplin.store.models import OpportunityRow, OutcomeEventRow

R404: dict[int | str, dict[str, Any]] = {404: {"model": Message}}
router = APIRouter(prefix="/api/v1", tags=["résultats / outcomes"])


@router.post(
    "/outcomes",
    status_code=201,
    response_model=OutcomeEvent,
    responses={**R404, 409: {"model": Message}},
    **roles(Role.COACH),
)
def record_outcome(body: OutcomeIn, state: State, principal: Caller) -> Any:  # type: ignore[valid-type]
    """Record an outcome (proposed, applied, interview, hired, refused with a reason,
    training enrolled or completed) for a beneficiary of the coach's CPAS."""
    cpas = acting_cpas(principal)
    event = in_tenant(body, cpas, OutcomeEvent)
    with state.transaction() as session:
        owned_row(session, principal, event.beneficiary_id)
        known = session.scalar(  # one the coach may see: not another CPAS's reserved offer
            visible(select(OpportunityRow.id), principal).where(
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
            principal,
            request_id(),
            audit.AuditAction.OUTCOME,
            tenant=cpas,
            subject=audit.pseudonym(state.pseudonym_key, cpas, event.beneficiary_id),
            inputs={"type": event.type.value},
            returned_ids=[event.opportunity_id],
        )
    return event


@router.get(
    "/beneficiaries/{beneficiary_id}/outcomes",
    response_model=Page[OutcomeEvent],
    responses=R404,
    **roles(Role.COACH),
)
def list_outcomes(
    beneficiary_id: str,
    state: State,
    principal: Caller,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    """A beneficiary's outcomes, oldest first."""
    limit = min(limit, state.settings.max_page_size)
    with state.transaction() as session:
        row = owned_row(session, principal, beneficiary_id)
        stmt = select(OutcomeEventRow).where(OutcomeEventRow.beneficiary_id == row.id)
        rows, total = repo.page(
            session, stmt, limit, offset, OutcomeEventRow.occurred_at, OutcomeEventRow.id
        )
        items = [OutcomeEvent.model_validate(r.payload) for r in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset}

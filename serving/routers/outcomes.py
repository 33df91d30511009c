"""Outcomes: what happened after an opportunity was proposed (the training signal)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from data_contracts.models import OutcomeEvent
from services import outcomes
from services.schemas import Message, OutcomeIn, Page
from serving.deps import Caller, State, request_id, roles
from tremplin.actors import Role

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
    return outcomes.record_outcome(state, principal, body, request_id())


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
    items, total = outcomes.list_outcomes(state, principal, beneficiary_id, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}

"""What the nightly rescoring found for a person since the coach's last visit
(:mod:`services.batch.fresh`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.batch import fresh
from services.batch.fresh import FreshList
from services.schemas import Message
from serving.compute import Priority
from serving.deps import Caller, State, request_id, roles
from tremplin.actors import Role

router = APIRouter(prefix="/api/v1", tags=["nouveautés / fresh opportunities"])


@router.get(
    "/beneficiaries/{beneficiary_id}/new-opportunities",
    response_model=FreshList,
    responses={404: {"model": Message}},
    **roles(Role.COACH),
)
async def new_opportunities(
    beneficiary_id: str,
    state: State,
    principal: Caller,
    top: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    """Fresh opportunities the nightly rescoring ranked among the person's best since their
    last shortlist, still open and not already shown (best first; audited)."""
    return await state.compute(
        fresh.new_since_last_visit,
        state,
        principal,
        beneficiary_id,
        request_id(),
        top,
        priority=Priority.INTERACTIVE,
    )

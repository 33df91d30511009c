"""Shortlists: the matching engine's ranked opportunities, reasons and pathways.

The routes parse, call :mod:`services.shortlists` and present; the service does the request
(tenancy, served engine, audit, history).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from services import shortlists
from services.schemas import Message, ShortlistRequest, ShortlistResponse
from serving import searches
from serving.deps import Caller, State, roles
from tremplin.actors import Role

router = APIRouter(prefix="/api/v1/shortlists", tags=["shortlists"])
R404: dict[int | str, dict[str, Any]] = {404: {"model": Message}}


@router.post(
    "",
    response_model=ShortlistResponse,
    responses={404: {"model": Message}, 429: {"model": Message}, 503: {"model": Message}},
    **roles(Role.COACH, search=True),
)
async def create_shortlist(body: ShortlistRequest, state: State, principal: Caller) -> Any:
    """Rank opportunities for a stored beneficiary or an ad-hoc profile (not stored)."""
    result = await searches.shortlist(state, principal, body)
    # serialised once by pydantic (the model is the documented response_model already)
    return Response(result.model_dump_json(), media_type="application/json")


@router.get(
    "/{shortlist_id}", response_model=ShortlistResponse, responses=R404, **roles(Role.COACH)
)
def read_shortlist(shortlist_id: str, state: State, principal: Caller) -> Any:
    """An earlier shortlist of one of the CPAS's beneficiaries."""
    return shortlists.read_shortlist(state, principal, shortlist_id)

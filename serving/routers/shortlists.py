"""Shortlists: the matching engine's ranked opportunities, reasons and pathways.

The routes parse, call :mod:`services.shortlists` and present; the service does the request
(tenancy, served engine, audit, history).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response

from services import shortlists
from services.schemas import Message, ShortlistRequest, ShortlistResponse
from serving.deps import Caller, State, request_id, roles
from serving.state import ServiceState
from tremplin.actors import Principal, Role
from tremplin.errors import TimedOutError

router = APIRouter(prefix="/api/v1/shortlists", tags=["shortlists"])
R404: dict[int | str, dict[str, Any]] = {404: {"model": Message}}


def _compute(
    state: ServiceState, principal: Principal, body: ShortlistRequest, rid: str
) -> ShortlistResponse:
    response = shortlists.create_shortlist(state, principal, body, rid)
    state.metrics.shortlists.labels("stored" if response.stored else "ad_hoc").inc()
    return response


@router.post(
    "",
    response_model=ShortlistResponse,
    responses={404: {"model": Message}, 429: {"model": Message}, 503: {"model": Message}},
    **roles(Role.COACH, search=True),
)
async def create_shortlist(body: ShortlistRequest, state: State, principal: Caller) -> Any:
    """Rank opportunities for a stored beneficiary or an ad-hoc profile (not stored)."""
    try:
        result = await asyncio.wait_for(
            state.compute(_compute, state, principal, body, request_id()),
            timeout=state.settings.request_timeout_s,
        )
    except TimeoutError:
        raise TimedOutError("délai dépassé, réessayez", "timed out, retry") from None
    # serialised once by pydantic (the model is the documented response_model already)
    return Response(result.model_dump_json(), media_type="application/json")


@router.get(
    "/{shortlist_id}", response_model=ShortlistResponse, responses=R404, **roles(Role.COACH)
)
def read_shortlist(shortlist_id: str, state: State, principal: Caller) -> Any:
    """An earlier shortlist of one of the CPAS's beneficiaries."""
    return shortlists.read_shortlist(state, principal, shortlist_id)

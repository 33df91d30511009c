"""The anonymised candidate pool (employers, Maison de l'emploi) and contact requests
(employers ask, coaches answer); :mod:`services.pool` does the work."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services import pool
from services.pool_schemas import (
    ContactDecision,
    ContactRequestIn,
    ContactRequestOut,
    ContactStatus,
    PoolNeed,
    PoolPage,
)
from services.schemas import Message
from serving import searches
from serving.deps import Caller, State, request_id, roles
from tremplin.actors import Role

router = APIRouter(prefix="/api/v1", tags=["vivier / pool"])
R404: dict[int | str, dict[str, Any]] = {404: {"model": Message}}
SEARCHERS = (Role.EMPLOYER, Role.MAISON_EMPLOI)


@router.post(
    "/pool/search",
    response_model=PoolPage,
    responses={403: {"model": Message}, 429: {"model": Message}},
    **roles(*SEARCHERS, search=True),
)
async def search(body: PoolNeed, state: State, principal: Caller) -> Any:
    """Anonymised candidates for a need (one of your offers, or described), best first;
    audited, paged, and within a daily budget of cards."""
    return await searches.pool_search(state, principal, body)


@router.post(
    "/pool/contact-requests",
    status_code=201,
    response_model=ContactRequestOut,
    responses={404: {"model": Message}, 409: {"model": Message}},
    **roles(*SEARCHERS),
)
def request_contact(body: ContactRequestIn, state: State, principal: Caller) -> Any:
    """Ask to meet a card; the person's coach answers after asking them."""
    return pool.request_contact(state, principal, body, request_id())


@router.get(
    "/pool/contact-requests",
    response_model=list[ContactRequestOut],
    **roles(*SEARCHERS),
)
def my_requests(state: State, principal: Caller) -> Any:
    """Your contact requests; an accepted one shows what the person shares."""
    return pool.employer_requests(state, principal)


@router.get(
    "/contact-requests",
    response_model=list[ContactRequestOut],
    **roles(Role.COACH),
)
def coach_requests(state: State, principal: Caller, status: ContactStatus | None = None) -> Any:
    """Employers' requests about your CPAS's beneficiaries."""
    return pool.coach_requests(state, principal, status)


@router.post(
    "/contact-requests/{contact_id}/decision",
    response_model=ContactRequestOut,
    responses={404: {"model": Message}, 409: {"model": Message}},
    **roles(Role.COACH),
)
def decide(contact_id: str, body: ContactDecision, state: State, principal: Caller) -> Any:
    """Answer for the beneficiary: accept (with what they share) or decline."""
    return pool.decide(state, principal, contact_id, body, request_id())

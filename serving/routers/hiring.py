"""Employers likely to recruit soon (:mod:`services.hiring`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services import hiring
from services.hiring import ForecastList, ThemeQuery
from services.schemas import Message
from serving.compute import Priority
from serving.deps import Caller, State, request_id, roles
from tremplin.actors import Role

router = APIRouter(prefix="/api/v1", tags=["recrutements probables / hiring forecast"])


@router.post(
    "/employers/likely-to-hire",
    response_model=ForecastList,
    responses={400: {"model": Message}},
    **roles(Role.MAISON_EMPLOI),
)
async def for_theme(body: ThemeQuery, state: State, principal: Caller) -> Any:
    """Employers to invite for a theme: pool members each could fit, and how likely each is
    to recruit in the coming weeks."""
    return await state.compute(
        hiring.for_theme, state, principal, body, request_id(), priority=Priority.BATCH
    )


@router.get(
    "/beneficiaries/{beneficiary_id}/spontaneous-applications",
    response_model=ForecastList,
    responses={404: {"model": Message}},
    **roles(Role.COACH),
)
async def for_beneficiary(
    beneficiary_id: str,
    state: State,
    principal: Caller,
    top: Annotated[int, Query(ge=1, le=100)] = 20,
    today: dt.date | None = None,
) -> Any:
    """Employers within the person's reach likely to recruit soon in their métiers."""
    return await state.compute(
        hiring.for_beneficiary,
        state,
        principal,
        beneficiary_id,
        request_id(),
        top,
        today,
        priority=Priority.INTERACTIVE,
    )

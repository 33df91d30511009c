"""Beneficiaries of the caller's CPAS: create, read, replace, consent, erase, list.

Tenancy: every query takes the coach's CPAS; another CPAS's beneficiary answers 404, exactly
like one that does not exist (no enumeration across tenants).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query

from data_contracts.enums import TrajectoryPhase
from data_contracts.models import BeneficiaryProfile
from services import beneficiaries, erasure, person_file, shortlists
from services.schemas import (
    BeneficiaryIn,
    BeneficiaryOut,
    ConsentUpdate,
    ErasureReport,
    Message,
    Page,
    ShortlistSummary,
)
from serving.deps import Caller, Flag, State, request_id, roles
from tremplin.actors import Role

router = APIRouter(prefix="/api/v1/beneficiaries", tags=["bénéficiaires / beneficiaries"])
R404: dict[int | str, dict[str, Any]] = {404: {"model": Message}}


def to_out(profile: BeneficiaryProfile) -> Any:
    """What a coach reads back: the profile without fairness-monitoring attributes."""
    return BeneficiaryOut.model_validate(profile.model_dump(exclude={"monitoring"}))


@router.post(
    "",
    status_code=201,
    response_model=BeneficiaryOut,
    responses={409: {"model": Message}},
    **roles(Role.COACH),
)
def create_beneficiary(
    body: BeneficiaryIn,  # type: ignore[valid-type]
    state: State,
    principal: Caller,
    background: BackgroundTasks,
) -> Any:
    """Record a new beneficiary in the coach's CPAS."""
    profile = beneficiaries.create_beneficiary(state, principal, body)
    background.add_task(beneficiaries.prepare_query_vector, state, profile)
    return to_out(profile)


@router.get("", response_model=Page[BeneficiaryOut], **roles(Role.COACH))  # type: ignore[valid-type]
def list_beneficiaries(
    state: State,
    principal: Caller,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    phase: TrajectoryPhase | None = None,
    in_employer_pool: Flag | None = None,
) -> Any:
    """A page of the CPAS's beneficiaries, by id, optionally filtered."""
    limit = min(limit, state.settings.max_page_size)
    items, total = beneficiaries.list_beneficiaries(
        state, principal, limit, offset, phase, in_employer_pool
    )
    return {"items": [to_out(p) for p in items], "total": total, "limit": limit, "offset": offset}


@router.get("/{beneficiary_id}", response_model=BeneficiaryOut, responses=R404, **roles(Role.COACH))
def read_beneficiary(beneficiary_id: str, state: State, principal: Caller) -> Any:
    """One beneficiary of the CPAS."""
    return to_out(beneficiaries.read_beneficiary(state, principal, beneficiary_id))


@router.put("/{beneficiary_id}", response_model=BeneficiaryOut, responses=R404, **roles(Role.COACH))
def replace_beneficiary(
    beneficiary_id: str,
    body: BeneficiaryIn,  # type: ignore[valid-type]
    state: State,
    principal: Caller,
    background: BackgroundTasks,
) -> Any:
    """Replace a beneficiary's profile (the body's id must be the path's)."""
    profile = beneficiaries.replace_beneficiary(state, principal, beneficiary_id, body)
    background.add_task(beneficiaries.prepare_query_vector, state, profile)
    return to_out(profile)


@router.get(
    "/{beneficiary_id}/file",
    response_model=person_file.PersonFile,
    responses=R404,
    **roles(Role.COACH),
)
def read_person_file(beneficiary_id: str, state: State, principal: Caller) -> Any:
    """The person's own file (GDPR art. 15 and 22): the stored profile, every shortlist made
    for them with its reasons and versions, the outcomes, the employer searches that showed
    their anonymous card, contact requests, job days and interviews; audited."""
    return person_file.person_file(state, principal, beneficiary_id, request_id())


@router.put(
    "/{beneficiary_id}/consent",
    response_model=BeneficiaryOut,
    responses=R404,
    **roles(Role.COACH),
)
def set_consent(beneficiary_id: str, body: ConsentUpdate, state: State, principal: Caller) -> Any:
    """Record the beneficiary's consent to the anonymised employer pool (or its withdrawal)."""
    return to_out(beneficiaries.set_consent(state, principal, beneficiary_id, body))


@router.delete(
    "/{beneficiary_id}", response_model=ErasureReport, responses=R404, **roles(Role.COACH)
)
def erase_beneficiary(beneficiary_id: str, state: State, principal: Caller) -> Any:
    """Erase a person (GDPR art. 17): profile, monitoring data, outcomes, shortlist history,
    employer-pool presence and the vectors cached from their texts. The audit trail keeps only
    a pseudonymous trace."""
    return erasure.erase_beneficiary(state, principal, beneficiary_id, request_id())


@router.get(
    "/{beneficiary_id}/shortlists",
    response_model=Page[ShortlistSummary],
    responses=R404,
    **roles(Role.COACH),
)
def shortlist_history(
    beneficiary_id: str,
    state: State,
    principal: Caller,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    """The beneficiary's earlier shortlists, newest first."""
    return shortlists.shortlist_history(state, principal, beneficiary_id, limit, offset)

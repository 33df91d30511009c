"""Beneficiaries of the caller's CPAS: create, read, replace, consent, erase, list.

Tenancy: every query takes the coach's CPAS; another CPAS's beneficiary answers 404, exactly
like one that does not exist (no enumeration across tenants).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query

from data_contracts.enums import TrajectoryPhase
from data_contracts.models import BeneficiaryProfile
from matching.profile import ProfileView
from services import erasure, pool, shortlists
from services.schemas import (
    BeneficiaryIn,
    BeneficiaryOut,
    ConsentUpdate,
    ErasureReport,
    Message,
    Page,
    ShortlistSummary,
)
from services.tenancy import acting_cpas, beneficiary_not_found, in_tenant, owned_row
from serving.deps import Caller, Flag, State, request_id, roles
from serving.state import ServiceState
from tremplin.actors import Role
from tremplin.errors import ConflictError, InvalidRequestError
from tremplin.store import repository as repo

router = APIRouter(prefix="/api/v1/beneficiaries", tags=["bénéficiaires / beneficiaries"])
R404: dict[int | str, dict[str, Any]] = {404: {"model": Message}}


def to_out(profile: BeneficiaryProfile) -> Any:
    """What a coach reads back: the profile without fairness-monitoring attributes."""
    return BeneficiaryOut.model_validate(profile.model_dump(exclude={"monitoring"}))


def _prepare_query_vector(state: ServiceState, profile: BeneficiaryProfile) -> None:
    """Encode the profile's query once, after the response (its shortlists are then faster)."""
    served = state.matching.served
    if served is not None:
        view = ProfileView.of(profile, served.catalogue)
        if not view.is_empty:
            served.encoder.encode_query(view.query_text)


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
    profile = in_tenant(body, acting_cpas(principal), BeneficiaryProfile)
    with state.transaction() as session:
        if repo.beneficiary_row(session, profile.cpas_id, profile.id) is not None:
            raise ConflictError("ce bénéficiaire existe déjà", "beneficiary already exists")
        repo.upsert_beneficiaries(session, [profile])
    background.add_task(_prepare_query_vector, state, profile)
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
    with state.transaction() as session:
        items, total = repo.page_beneficiaries(
            session,
            acting_cpas(principal),
            limit,
            offset,
            phase.value if phase else None,
            in_employer_pool,
        )
    return {"items": [to_out(p) for p in items], "total": total, "limit": limit, "offset": offset}


@router.get("/{beneficiary_id}", response_model=BeneficiaryOut, responses=R404, **roles(Role.COACH))
def read_beneficiary(beneficiary_id: str, state: State, principal: Caller) -> Any:
    """One beneficiary of the CPAS."""
    with state.transaction() as session:
        profile = repo.get_beneficiary(session, acting_cpas(principal), beneficiary_id)
    if profile is None:
        raise beneficiary_not_found()
    return to_out(profile)


@router.put("/{beneficiary_id}", response_model=BeneficiaryOut, responses=R404, **roles(Role.COACH))
def replace_beneficiary(
    beneficiary_id: str,
    body: BeneficiaryIn,  # type: ignore[valid-type]
    state: State,
    principal: Caller,
    background: BackgroundTasks,
) -> Any:
    """Replace a beneficiary's profile (the body's id must be the path's)."""
    profile = in_tenant(body, acting_cpas(principal), BeneficiaryProfile)
    if profile.id != beneficiary_id:
        raise InvalidRequestError(
            "l'id du corps diffère de celui du chemin", "body id differs from path id"
        )
    with state.transaction() as session:
        row = owned_row(session, principal, beneficiary_id)
        repo.upsert_beneficiaries(session, [profile])
        if not profile.consent.employer_pool:
            pool.close_requests_of(session, row.id)
    background.add_task(_prepare_query_vector, state, profile)
    return to_out(profile)


@router.put(
    "/{beneficiary_id}/consent",
    response_model=BeneficiaryOut,
    responses=R404,
    **roles(Role.COACH),
)
def set_consent(beneficiary_id: str, body: ConsentUpdate, state: State, principal: Caller) -> Any:
    """Record the beneficiary's consent to the anonymised employer pool (or its withdrawal)."""
    cpas = acting_cpas(principal)
    with state.transaction() as session:
        profile = repo.get_beneficiary(session, cpas, beneficiary_id)
        if profile is None:
            raise beneficiary_not_found()
        updated = profile.model_copy(
            update={"consent": profile.consent.model_copy(update=body.model_dump())}
        )
        repo.upsert_beneficiaries(
            session, [BeneficiaryProfile.model_validate(updated.model_dump())]
        )
        if not body.employer_pool:  # out of the pool at once: pending requests close too
            pool.close_requests_of(session, owned_row(session, principal, beneficiary_id).id)
    return to_out(updated)


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

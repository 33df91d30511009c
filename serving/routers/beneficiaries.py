"""Beneficiaries of the caller's CPAS: create, read, replace, consent, erase, list.

Tenancy: every query takes the coach's CPAS; another CPAS's beneficiary answers 404, exactly
like one that does not exist (no enumeration across tenants).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from data_contracts.enums import TrajectoryPhase
from data_contracts.models import BeneficiaryProfile
from matching.profile import ProfileView
from serving import audit
from serving.deps import Caller, State, coach_tenant, request_id, roles
from serving.roles import Role
from serving.schemas import (
    BeneficiaryIn,
    BeneficiaryOut,
    ConsentUpdate,
    ErasureReport,
    Message,
    Page,
    ShortlistSummary,
)
from serving.state import ServiceState
from tremplin.store import repository as repo
from tremplin.store.models import ShortlistRow

router = APIRouter(prefix="/api/v1/beneficiaries", tags=["bénéficiaires / beneficiaries"])
NOT_FOUND = HTTPException(
    status.HTTP_404_NOT_FOUND, "bénéficiaire introuvable / beneficiary not found"
)
R404: dict[int | str, dict[str, Any]] = {404: {"model": Message}}


def to_profile(body: Any, cpas_id: str) -> BeneficiaryProfile:
    """The full contract for ``body`` in the caller's CPAS (422 when incoherent)."""
    try:
        return BeneficiaryProfile.model_validate({**body.model_dump(), "cpas_id": cpas_id})
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


def owned_row(session: Any, principal: Any, beneficiary_id: str) -> Any:
    """The caller's CPAS's row for ``beneficiary_id``; 404 for anything else."""
    row = repo.beneficiary_row(session, coach_tenant(principal), beneficiary_id)
    if row is None:
        raise NOT_FOUND
    return row


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
    profile = to_profile(body, coach_tenant(principal))
    with state.transaction() as session:
        if repo.beneficiary_row(session, profile.cpas_id, profile.id) is not None:
            raise HTTPException(
                status.HTTP_409_CONFLICT, "ce bénéficiaire existe déjà / beneficiary already exists"
            )
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
    in_employer_pool: bool | None = None,
) -> Any:
    """A page of the CPAS's beneficiaries, by id, optionally filtered."""
    limit = min(limit, state.settings.max_page_size)
    with state.transaction() as session:
        items, total = repo.page_beneficiaries(
            session,
            coach_tenant(principal),
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
        profile = repo.get_beneficiary(session, coach_tenant(principal), beneficiary_id)
    if profile is None:
        raise NOT_FOUND
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
    profile = to_profile(body, coach_tenant(principal))
    if profile.id != beneficiary_id:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "l'id du corps diffère de celui du chemin / body id differs from path id",
        )
    with state.transaction() as session:
        owned_row(session, principal, beneficiary_id)
        repo.upsert_beneficiaries(session, [profile])
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
    cpas = coach_tenant(principal)
    with state.transaction() as session:
        profile = repo.get_beneficiary(session, cpas, beneficiary_id)
        if profile is None:
            raise NOT_FOUND
        updated = profile.model_copy(
            update={"consent": profile.consent.model_copy(update=body.model_dump())}
        )
        repo.upsert_beneficiaries(
            session, [BeneficiaryProfile.model_validate(updated.model_dump())]
        )
    return to_out(updated)


@router.delete(
    "/{beneficiary_id}", response_model=ErasureReport, responses=R404, **roles(Role.COACH)
)
def erase_beneficiary(beneficiary_id: str, state: State, principal: Caller) -> Any:
    """Erase a person (GDPR art. 17): profile, monitoring data, outcomes, shortlist history and
    employer-pool presence. The audit trail keeps only a pseudonymous trace."""
    cpas = coach_tenant(principal)
    subject = audit.pseudonym(state.pseudonym_key, cpas, beneficiary_id)
    with state.transaction() as session:
        removed = repo.erase_beneficiary(session, cpas, beneficiary_id)
        if removed is None:
            raise NOT_FOUND
        audit.record(
            session,
            principal,
            request_id(),
            audit.AuditAction.ERASURE,
            tenant=cpas,
            subject=subject,
            inputs=removed,
        )
    return ErasureReport(
        beneficiary_removed=True,
        shortlists_removed=removed["shortlists"],
        outcomes_removed=removed["outcomes"],
        audit_subject=subject,
    )


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
    from sqlalchemy import select

    limit = min(limit, state.settings.max_page_size)
    with state.transaction() as session:
        row = owned_row(session, principal, beneficiary_id)
        stmt = select(ShortlistRow).where(ShortlistRow.beneficiary_id == row.id)
        rows, total = repo.page(
            session, stmt, limit, offset, ShortlistRow.created_at.desc(), ShortlistRow.id
        )
        items = [
            ShortlistSummary(
                id=r.id,
                created_at=r.created_at,
                created_by=r.created_by,
                engine_version=r.engine_version,
                model_version=r.model_version,
                ranker_version=r.ranker_version,
                opportunity_ids=[i["opportunity_id"] for i in r.payload.get("items", [])],
            )
            for r in rows
        ]
    return {"items": items, "total": total, "limit": limit, "offset": offset}

"""Beneficiaries of the actor's CPAS: list, read, create, replace, consent (one way for the
API, the command line and the pages).

Tenancy: every query takes the actor's CPAS; another CPAS's beneficiary answers "not found",
exactly like one that does not exist. A profile replaced without its monitoring attributes
keeps the stored ones (the pages never show or send them).
"""

from __future__ import annotations

from pydantic import BaseModel

from data_contracts.enums import TrajectoryPhase
from data_contracts.models import BeneficiaryProfile
from matching.profile import ProfileView
from services import pool
from services.context import ServiceContext
from services.tenancy import acting_cpas, beneficiary_not_found, in_tenant, owned_row
from tremplin.actors import Principal
from tremplin.errors import ConflictError, InvalidRequestError, NotFoundError
from tremplin.store import repository as repo


def list_beneficiaries(
    ctx: ServiceContext,
    actor: Principal,
    limit: int,
    offset: int,
    phase: TrajectoryPhase | None = None,
    in_employer_pool: bool | None = None,
    id_prefix: str | None = None,
) -> tuple[list[BeneficiaryProfile], int]:
    """A page of the actor's CPAS's beneficiaries by id, optionally filtered."""
    with ctx.transaction() as session:
        return repo.page_beneficiaries(
            session,
            acting_cpas(actor),
            min(limit, ctx.settings.max_page_size),
            offset,
            phase.value if phase else None,
            in_employer_pool,
            id_prefix,
        )


def read_beneficiary(
    ctx: ServiceContext, actor: Principal, beneficiary_id: str
) -> BeneficiaryProfile:
    """One beneficiary of the actor's CPAS (not found otherwise)."""
    with ctx.transaction() as session:
        profile = repo.get_beneficiary(session, acting_cpas(actor), beneficiary_id)
    if profile is None:
        raise beneficiary_not_found()
    return profile


def create_beneficiary(
    ctx: ServiceContext, actor: Principal, body: BaseModel
) -> BeneficiaryProfile:
    """Record a new beneficiary in the actor's CPAS (conflict when the id is taken)."""
    profile = in_tenant(body, acting_cpas(actor), BeneficiaryProfile)
    with ctx.transaction() as session:
        if repo.beneficiary_row(session, profile.cpas_id, profile.id) is not None:
            raise ConflictError("ce bénéficiaire existe déjà", "beneficiary already exists")
        repo.upsert_beneficiaries(session, [profile])
    return profile


def replace_beneficiary(
    ctx: ServiceContext,
    actor: Principal,
    beneficiary_id: str,
    body: BaseModel,
    keep_monitoring: bool = False,
) -> BeneficiaryProfile:
    """Replace a beneficiary's profile (the body's id must be ``beneficiary_id``); withdrawn
    pool consent closes the person's pending contact requests. ``keep_monitoring`` keeps the
    stored fairness-monitoring attributes (a form that does not show them)."""
    profile = in_tenant(body, acting_cpas(actor), BeneficiaryProfile)
    if profile.id != beneficiary_id:
        raise InvalidRequestError(
            "l'id du corps diffère de celui du chemin", "body id differs from path id"
        )
    with ctx.transaction() as session:
        row = owned_row(session, actor, beneficiary_id)
        if keep_monitoring:
            stored = BeneficiaryProfile.model_validate(row.payload)
            profile = profile.model_copy(update={"monitoring": stored.monitoring})
        repo.upsert_beneficiaries(session, [profile])
        if not profile.consent.employer_pool:
            pool.close_requests_of(session, row.id)
    return profile


def set_consent(
    ctx: ServiceContext, actor: Principal, beneficiary_id: str, consent: BaseModel
) -> BeneficiaryProfile:
    """Record the beneficiary's consent to the anonymised employer pool (or its withdrawal:
    out of the pool at once, pending requests closed)."""
    fields = consent.model_dump()
    with ctx.transaction() as session:
        row = owned_row(session, actor, beneficiary_id)
        profile = BeneficiaryProfile.model_validate(row.payload)
        updated = BeneficiaryProfile.model_validate(
            {**profile.model_dump(), "consent": {**profile.consent.model_dump(), **fields}}
        )
        repo.upsert_beneficiaries(session, [updated])
        if not updated.consent.employer_pool:
            pool.close_requests_of(session, row.id)
    return updated


def prepare_query_vector(ctx: ServiceContext, profile: BeneficiaryProfile) -> None:
    """Encode the profile's query once, after a save (its shortlists are then faster)."""
    served = ctx.matching.served
    if served is not None:
        view = ProfileView.of(profile, served.catalogue)
        if not view.is_empty:
            view.query_vector(served.encoder)


def cpas_holding(ctx: ServiceContext, beneficiary_id: str, cpas: str | None = None) -> str:
    """The CPAS an operator's command acts for on ``beneficiary_id``: ``cpas`` when given,
    else the one CPAS that holds that id (an id held by several must be told which)."""
    if cpas is not None:
        return cpas
    with ctx.transaction() as session:
        holders = repo.cpas_of_beneficiary(session, beneficiary_id)
    if not holders:
        raise NotFoundError(f"bénéficiaire {beneficiary_id} inconnu", "unknown beneficiary")
    if len(holders) > 1:
        raise InvalidRequestError(
            f"{beneficiary_id} existe dans plusieurs CPAS ({', '.join(holders)}) : précisez "
            "le CPAS (--cpas)",
            "the id exists in several CPAS: name one",
        )
    return holders[0]

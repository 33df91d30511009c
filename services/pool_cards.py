"""A pool member's anonymised card, as an employer sees it in a pool search or on a job
day's stand list: the pseudonym of the caller's space, the match, the k-anonymous facts,
availability in words (one builder for the pool and the job days)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from data_contracts.enums import Shift
from data_contracts.models import (
    BeneficiaryProfile,
)
from matching.candidates import CandidateScore
from matching.catalogue import OpportunityCatalogue
from services.context import ServiceContext
from services.pool_schemas import (
    PoolCard,
)
from tremplin.actors import Principal, Role
from tremplin.anonymity import Generalisation, PersonFacts, card_pseudonym
from tremplin.errors import (
    PolicyRefusedError,
)
from tremplin.french import french_month

SHIFT_LABELS = {
    Shift.EARLY: "tôt le matin",
    Shift.DAY: "journée",
    Shift.EVENING: "soirée",
    Shift.NIGHT: "nuit",
    Shift.WEEKEND: "week-end",
}


@dataclass(frozen=True)
class Member:
    """One pool member (server side only: never leaves this module as such)."""

    pk: int
    cpas_id: str
    profile: BeneficiaryProfile


def namespace(actor: Principal) -> str:
    """Whose pseudonyms a caller sees: the employer's, or the Maison de l'emploi user's."""
    if actor.role is Role.EMPLOYER and actor.employer_id:
        return actor.employer_id
    if actor.role is Role.MAISON_EMPLOI:
        return f"mde:{actor.username}"
    if actor.role is Role.SYSTEM and actor.employer_id:
        return actor.employer_id
    raise PolicyRefusedError(
        "le vivier est réservé aux employeurs et aux Maisons de l'emploi",
        "the pool is for employers and Maisons de l'emploi",
    )


def _available(profile: BeneficiaryProfile, today: dt.date) -> str:
    start = profile.constraints.available_from
    if start is None or start <= today:
        return "disponible maintenant"
    return f"à partir de {french_month(start)}"


def _hours(profile: BeneficiaryProfile) -> str:
    most = profile.constraints.max_hours_per_week
    return (
        "temps plein possible"
        if most >= 36
        else "mi-temps à 4/5"
        if most >= 19
        else "moins d'un mi-temps"
    )


def _project(score: float) -> str | None:
    if score >= 0.99:
        return "métier visé"
    if score >= 0.5:
        return "métier proche du projet ou déjà exercé"
    return None


def build_card(
    ctx: ServiceContext,
    cat: OpportunityCatalogue,
    space: str,
    member: Member,
    found: CandidateScore | None,
    shown: Generalisation,
    today: dt.date,
) -> PoolCard:
    """The card of ``member`` in the pseudonym space ``space`` (what an employer may see)."""
    tax = cat.taxonomy
    facts = shown.show(PersonFacts.of(member.profile))
    profile = member.profile
    return PoolCard(
        card=card_pseudonym(ctx.pseudonym_key, space, member.cpas_id, profile.id),
        score=found.score if found else 0.0,
        project=_project(found.aspiration) if found else None,
        matched_skills=[tax.skill_label(s) for s in found.matched_skills] if found else [],
        missing_skills=[tax.skill_label(s) for s in found.missing_skills] if found else [],
        available=_available(profile, today),
        shifts=[SHIFT_LABELS[s] for s in profile.constraints.available_shifts],
        hours=_hours(profile),
        **facts,
    )

"""A shortlist's items: the ranked opportunity with what a person needs to act on it.

An item carries the score's parts and the reasons, and the offer's own facts that a coach
and the beneficiary read on the card (employer, contract, hours, place, dates, how to
apply), so a stored shortlist still says what was proposed after the offer is gone.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from data_contracts.enums import ContractType, OpportunityKind, OpportunitySource
from matching.filters import to_check
from matching.travel import travel_minutes

if TYPE_CHECKING:
    from data_contracts.models import Opportunity
    from matching.catalogue import OpportunityCatalogue
    from matching.profile import ProfileView


class ChannelScores(BaseModel):
    """The parts of an item's score (the re-ranker's features)."""

    dense: float
    lexical: float
    skills: float
    aspiration: float
    distance: float


class ShortlistItem(BaseModel):
    """One ranked opportunity with the reasons a coach can read out."""

    opportunity_id: str
    kind: OpportunityKind
    title: str
    score: float = Field(
        description="Ranking score: the fusion's, or the re-ranker's expected funnel stage (0-4)."
    )
    distance_km: float | None
    travel_minutes: int | None = None
    matched_skills: list[str]
    missing_core_skills: list[str]
    reasons: list[str]
    to_check: list[str] = Field(
        default_factory=list,
        description="What the offer asks that the profile does not say yet (French level, "
        "licence): questions for the coach, in French.",
    )
    channels: ChannelScores
    duplicates: list[str] = Field(
        default_factory=list, description="Ids of the same offer posted again."
    )
    employer: str | None = Field(
        default=None,
        description="The employer, or the training's provider; none when the source hides it.",
    )
    contract_type: ContractType | None = None
    hours_per_week: float | None = None
    place: str | None = Field(default=None, description="Street, postcode and commune.")
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    valid_until: dt.date | None = None
    source: OpportunitySource | None = None
    source_reference: str | None = None
    source_url: str | None = None


def place_of(o: Opportunity) -> str | None:
    """Where ``o`` takes place, as a person writes it ("Rue X 1, 4000 Liège")."""
    loc = o.location
    town = " ".join(str(x) for x in (loc.postcode, loc.commune) if x)
    if loc.abroad:
        town = f"{town} ({loc.country})" if town else loc.country
    return ", ".join(x for x in (loc.street, town) if x) or None


def build_item(
    view: ProfileView,
    cat: OpportunityCatalogue,
    p: int,
    score: float,
    km: np.ndarray,
    channels: ChannelScores,
) -> ShortlistItem:
    """The item for catalogue position ``p``: reasons, skills held and to acquire, questions
    for the coach and the offer's facts."""
    tax = cat.taxonomy
    o = cat.opportunities[p]
    have = view.skills
    core = cat.core_skills[p]
    if o.kind is OpportunityKind.TRAINING:
        taught = {s.id for s in o.taught_skills}
        matched = [tax.skill_label(s) for s in sorted(view.gap & taught)]
        missing: list[str] = []
    else:
        asked = [s.id for s in [*o.required_skills, *o.optional_skills]]
        matched = [tax.skill_label(s) for s in asked if s in have]
        missing = [
            tax.skill_label(s.id)
            for s in o.required_skills
            if s.id not in have and (s.id in core or not core)
        ]
    distance = None if np.isnan(km[p]) else float(km[p])
    minutes = (
        round(float(travel_minutes(distance, view.profile.constraints.transport_modes)))
        if distance is not None
        else None
    )
    reasons = [r for r in [view.aspiration_reason(cat.occupation_codes[p])] if r]
    if channels.dense >= 0.8 or channels.lexical >= 0.8:
        reasons.append("intitulé proche de ce que la personne recherche")
    if matched:
        verb = "apprend" if o.kind is OpportunityKind.TRAINING else "maîtrise déjà"
        reasons.append(f"{verb} {len(matched)} compétence(s) utile(s) : {', '.join(matched[:3])}")
    if missing:
        reasons.append(f"à acquérir : {', '.join(missing[:3])}")
    if distance is not None:
        reasons.append(
            f"à {distance:.0f} km du domicile (environ {minutes} min)"
            if minutes is not None
            else f"à {distance:.0f} km du domicile"
        )
    return ShortlistItem(
        opportunity_id=o.id,
        kind=o.kind,
        title=o.title,
        score=round(score, 4),
        distance_km=round(distance, 1) if distance is not None else None,
        travel_minutes=minutes,
        matched_skills=matched,
        missing_core_skills=missing,
        reasons=reasons,
        to_check=to_check(view.profile, o),
        channels=channels,
        employer=o.employer_name or o.provider,
        contract_type=o.contract_type,
        hours_per_week=o.hours_per_week,
        place=place_of(o),
        start_date=o.start_date,
        end_date=o.end_date,
        valid_until=o.valid_until,
        source=o.source,
        source_reference=o.source_reference,
        source_url=o.source_url,
    )

"""Hard constraints: an opportunity that breaks one is never shown (and the removal is counted)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from data_contracts.enums import LicenceCategory, OpportunityKind
from data_contracts.models import BeneficiaryProfile, Opportunity
from tremplin.geo import distance_km

# A licence also entitles its holder to the categories listed (Belgian rules, simplified).
LICENCE_IMPLIES: dict[LicenceCategory, set[LicenceCategory]] = {
    LicenceCategory.CE: {
        LicenceCategory.C,
        LicenceCategory.C1,
        LicenceCategory.C1E,
        LicenceCategory.BE,
    },
    LicenceCategory.C: {LicenceCategory.C1},
    LicenceCategory.C1E: {LicenceCategory.C1, LicenceCategory.BE},
    LicenceCategory.DE: {
        LicenceCategory.D,
        LicenceCategory.D1,
        LicenceCategory.D1E,
        LicenceCategory.BE,
    },
    LicenceCategory.D: {LicenceCategory.D1},
    LicenceCategory.A: {LicenceCategory.A2, LicenceCategory.A1, LicenceCategory.AM},
    LicenceCategory.A2: {LicenceCategory.A1, LicenceCategory.AM},
    LicenceCategory.B: {LicenceCategory.AM},
}

CONSTRAINT_LABELS = {
    "kind": "type d'opportunité non demandé",
    "expired": "offre expirée",
    "dates": "dates incompatibles avec la disponibilité",
    "distance": "trop loin du domicile",
    "licence": "permis de conduire requis",
    "french": "niveau de français insuffisant",
    "hours": "trop d'heures par semaine",
    "shifts": "horaires incompatibles",
    "article_60": "réservé aux personnes éligibles article 60 de ce CPAS",
    "places": "plus de place disponible",
}


def held_licences(held: Iterable[LicenceCategory]) -> set[LicenceCategory]:
    """Every category that the held licences entitle to."""
    out: set[LicenceCategory] = set()
    for lic in held:
        out.add(lic)
        out |= LICENCE_IMPLIES.get(lic, set())
    return out


def violations(
    b: BeneficiaryProfile,
    o: Opportunity,
    today: dt.date,
    kinds: frozenset[OpportunityKind],
    km: float | None = None,
) -> list[str]:
    """The hard constraints that ``o`` breaks for ``b`` (keys of CONSTRAINT_LABELS)."""
    c = b.constraints
    out: list[str] = []
    if o.kind not in kinds:
        out.append("kind")
    if (o.valid_until and o.valid_until < today) or (
        o.valid_from and o.valid_from > today + dt.timedelta(days=90)
    ):
        out.append("expired")
    if c.available_from and o.end_date and o.end_date < c.available_from:
        out.append("dates")
    km = distance_km(c.home_postcode, o.location.postcode) if km is None else km
    if km is not None and km > c.max_distance_km:
        out.append("distance")
    p = o.prerequisites
    if p.driving_licence and p.driving_licence not in held_licences(c.driving_licences):
        out.append("licence")
    french = b.french_level
    if p.french_level and (french is None or french.rank < p.french_level.rank):
        out.append("french")
    if o.hours_per_week and o.hours_per_week > c.max_hours_per_week:
        out.append("hours")
    if o.shifts and not set(o.shifts) & set(c.available_shifts):
        out.append("shifts")
    if p.article_60_eligibility and (
        not b.article_60_eligible or (o.reserved_for_cpas not in (None, b.cpas_id))
    ):
        out.append("article_60")
    if o.places_available == 0:
        out.append("places")
    return out

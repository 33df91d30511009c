"""Hard constraints: an opportunity that breaks one is never shown (and the removal is counted).

:func:`violations` states the rules for one (person, opportunity) pair; it is the reference.
:class:`FilterColumns` holds the same facts as NumPy columns for a whole catalogue and
:func:`apply_filters` evaluates every rule at once (tests check that both always agree).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from data_contracts.enums import CefrLevel, LicenceCategory, OpportunityKind, Shift
from data_contracts.models import BeneficiaryProfile, Opportunity
from matching.travel import travel_minutes
from tremplin.geo import distance_km, place

# An offer that opens more than this many days ahead is not shown yet.
OPENS_WITHIN_DAYS = 90

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
    "abroad": "lieu de travail hors de Belgique",
    "travel_time": "trajet trop long avec les moyens de transport disponibles",
    "licence": "permis de conduire requis",
    "french": "niveau de français insuffisant",
    "hours": "trop d'heures par semaine",
    "shifts": "horaires incompatibles",
    "article_60": "réservé aux personnes éligibles article 60",
    "reserved": "réservé aux bénéficiaires d'un autre CPAS",
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
        o.valid_from and o.valid_from > today + dt.timedelta(days=OPENS_WITHIN_DAYS)
    ):
        out.append("expired")
    if c.available_from and o.end_date and o.end_date < c.available_from:
        out.append("dates")
    if o.location.abroad:
        out.append("abroad")
    km = distance_km(c.home_postcode, o.location.postcode) if km is None else km
    if km is not None and km > c.max_distance_km:
        out.append("distance")
    if (
        km is not None
        and c.max_travel_minutes is not None
        and float(travel_minutes(km, c.transport_modes)) > c.max_travel_minutes
    ):
        out.append("travel_time")
    p = o.prerequisites
    if (
        p.driving_licence
        and not c.driving_licences_unknown
        and p.driving_licence not in held_licences(c.driving_licences)
    ):
        out.append("licence")
    french = b.french_level
    if p.french_level and french is not None and french.rank < p.french_level.rank:
        out.append("french")
    if o.hours_per_week and o.hours_per_week > c.max_hours_per_week:
        out.append("hours")
    if o.shifts and not set(o.shifts) & set(c.available_shifts):
        out.append("shifts")
    if p.article_60_eligibility and not b.article_60_eligible:
        out.append("article_60")
    if o.reserved_for_cpas not in (None, b.cpas_id):
        out.append("reserved")
    if o.places_available == 0:
        out.append("places")
    return out


def to_check(b: BeneficiaryProfile, o: Opportunity) -> list[str]:
    """What ``o`` asks that the profile does not say yet (French level, licence): questions
    for the coach, in French, never a reason to leave the offer out."""
    p = o.prerequisites
    out: list[str] = []
    if p.french_level and b.french_level is None:
        out.append(f"niveau de français à vérifier ({p.french_level.value} demandé)")
    if p.driving_licence and b.constraints.driving_licences_unknown:
        out.append(f"permis de conduire à vérifier (permis {p.driving_licence.value} demandé)")
    return out


OFFER_STATE = frozenset({"kind", "expired", "places"})
"""Constraints about an offer's own state, not about the person: a need an employer describes,
or the stand an employer holds at a job day, recruits whatever its listed offers' state."""

NO_DATE = np.iinfo(np.int32).max
_LICENCES = list(LicenceCategory)
_SHIFTS = list(Shift)
_KINDS = list(OpportunityKind)


def _ordinal(day: dt.date | None, missing: int) -> int:
    return day.toordinal() if day else missing


def shift_mask(shifts: Iterable[Shift]) -> int:
    """Shifts as a bit mask (one bit per :class:`Shift`)."""
    return sum(1 << _SHIFTS.index(s) for s in set(shifts))


def licence_missing(required: np.ndarray, held: Iterable[LicenceCategory]) -> np.ndarray:
    """Where a licence column (index in LicenceCategory, -1 for none) asks one not held."""
    # one comparison per held category: a gather through a lookup table costs ten times more
    out = required >= 0
    for x in held_licences(held):
        out &= required != _LICENCES.index(x)
    return np.asarray(out)


@dataclass
class FilterColumns:
    """The facts the hard filters read, one NumPy column per fact, one row per opportunity."""

    # narrow integer types: a million opportunities' columns stay small and fast to compare
    kind: np.ndarray  # int8: index in OpportunityKind
    valid_from: np.ndarray  # int32 ordinals, 0 when open
    valid_until: np.ndarray  # int32 ordinals, NO_DATE when open
    end_date: np.ndarray  # int32 ordinals, NO_DATE when open
    postcode: np.ndarray  # int32
    place: np.ndarray  # intp: number of the opportunity's postcode in ``lat``/``lng`` (a
    # gather through an int32 index costs twice as much: it is cast on every query)
    lat: np.ndarray  # float64 per distinct postcode, NaN when unknown
    lng: np.ndarray
    licence: np.ndarray  # int8 index in LicenceCategory, -1 when none
    french_rank: np.ndarray  # int8: CEFR rank + 1 (A1 = 1), 0 when not required
    hours: np.ndarray  # float64, NaN when not given
    shifts: np.ndarray  # int16 bit mask, 0 when not given
    article_60: np.ndarray  # bool
    reserved_for: np.ndarray  # int32: index in ``cpas_codes``, -1 when open to every CPAS
    no_places: np.ndarray  # bool
    abroad: np.ndarray  # bool: a workplace outside Belgium (no postcode, no distance)
    cpas_codes: dict[str, int]

    @classmethod
    def of(cls, items: Sequence[Opportunity]) -> FilterColumns:
        """Columns for ``items`` (in order)."""
        postcodes = np.array([o.location.postcode or 0 for o in items], dtype=np.int32)
        distinct, number = np.unique(postcodes, return_inverse=True)
        places = [place(int(code)) for code in distinct]
        cpas_codes: dict[str, int] = {}
        for o in items:
            if o.reserved_for_cpas:
                cpas_codes.setdefault(o.reserved_for_cpas, len(cpas_codes))
        return cls(
            kind=np.array([_KINDS.index(o.kind) for o in items], dtype=np.int8),
            valid_from=np.array([_ordinal(o.valid_from, 0) for o in items], dtype=np.int32),
            valid_until=np.array([_ordinal(o.valid_until, NO_DATE) for o in items], dtype=np.int32),
            end_date=np.array([_ordinal(o.end_date, NO_DATE) for o in items], dtype=np.int32),
            postcode=postcodes,
            place=np.asarray(number, dtype=np.intp).reshape(-1),
            lat=np.array(
                [p.lat if p and p.lat is not None else np.nan for p in places], dtype=float
            ),
            lng=np.array(
                [p.lng if p and p.lng is not None else np.nan for p in places], dtype=float
            ),
            licence=np.array(
                [
                    _LICENCES.index(o.prerequisites.driving_licence)
                    if o.prerequisites.driving_licence
                    else -1
                    for o in items
                ],
                dtype=np.int8,
            ),
            french_rank=np.array(
                [
                    o.prerequisites.french_level.rank + 1 if o.prerequisites.french_level else 0
                    for o in items
                ],
                dtype=np.int8,
            ),
            hours=np.array(
                [o.hours_per_week if o.hours_per_week else np.nan for o in items], dtype=float
            ),
            shifts=np.array([shift_mask(o.shifts) for o in items], dtype=np.int16),
            article_60=np.array(
                [o.prerequisites.article_60_eligibility for o in items], dtype=bool
            ),
            reserved_for=np.array(
                [cpas_codes[o.reserved_for_cpas] if o.reserved_for_cpas else -1 for o in items],
                dtype=np.int32,
            ),
            no_places=np.array([o.places_available == 0 for o in items], dtype=bool),
            abroad=np.array([o.location.abroad for o in items], dtype=bool),
            cpas_codes=cpas_codes,
        )


@dataclass
class FilterResult:
    """Which opportunities pass, what each constraint removed, and the distances."""

    eligible: np.ndarray  # bool per opportunity: wanted and passes
    wanted: np.ndarray  # bool: of a requested kind
    passes: np.ndarray  # bool: breaks no constraint (whatever its kind)
    broken: dict[str, np.ndarray]  # constraint key -> bool per opportunity
    removed: dict[str, int]  # constraint key -> how many wanted opportunities it removed
    km: np.ndarray  # float64, NaN when unknown

    def passes_except(self, ignored: frozenset[str], at: np.ndarray | None = None) -> np.ndarray:
        """Whether each opportunity (or each of the positions ``at`` only) breaks no
        constraint but the ``ignored`` ones."""
        out = np.ones(len(self.km) if at is None else len(at), dtype=bool)
        for key, mask in self.broken.items():
            if key not in ignored:
                out &= ~(mask if at is None else mask[at])
        return out


def distances_km(home_postcode: int, cols: FilterColumns) -> np.ndarray:
    """Great-circle km from a postcode to every opportunity (NaN when unknown).

    Computed once per distinct postcode (a few hundred), then spread to the opportunities.
    """
    home = place(home_postcode)
    if home is None or home.lat is None or home.lng is None:
        return np.full(len(cols.place), np.nan)
    p1, p2 = np.radians(home.lat), np.radians(cols.lat)
    dp, dl = p2 - p1, np.radians(cols.lng - home.lng)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    per_place = 2 * 6371.0088 * np.arcsin(np.sqrt(a))
    return np.asarray(per_place[cols.place], dtype=np.float64)


def apply_filters(
    b: BeneficiaryProfile,
    cols: FilterColumns,
    today: dt.date,
    kinds: frozenset[OpportunityKind],
) -> FilterResult:
    """Every hard constraint of :func:`violations`, evaluated on a whole catalogue at once."""
    c = b.constraints
    day = today.toordinal()
    km = distances_km(c.home_postcode, cols)
    n = len(km)
    # comparisons with NaN are false: an unknown distance or hours never breaks a constraint
    broken: dict[str, np.ndarray] = {
        "expired": (cols.valid_until < day) | (cols.valid_from > day + OPENS_WITHIN_DAYS),
        "dates": (
            (cols.end_date < c.available_from.toordinal())
            if c.available_from
            else np.zeros(n, dtype=bool)
        ),
        "distance": km > c.max_distance_km,
        "abroad": cols.abroad,
    }
    if c.max_travel_minutes is not None:
        broken["travel_time"] = travel_minutes(km, c.transport_modes) > c.max_travel_minutes
    broken["licence"] = (
        np.zeros(n, dtype=bool)
        if c.driving_licences_unknown
        else licence_missing(cols.licence, c.driving_licences)
    )
    # an unknown French level is a question for the coach (see to_check), not a refusal
    rank = b.french_level.rank + 1 if b.french_level else len(CefrLevel)  # above every level
    broken["french"] = cols.french_rank > rank
    broken["hours"] = cols.hours > c.max_hours_per_week
    person_shifts = shift_mask(c.available_shifts)
    broken["shifts"] = (cols.shifts != 0) & ((cols.shifts & person_shifts) == 0)
    broken["article_60"] = cols.article_60 if not b.article_60_eligible else np.zeros(n, dtype=bool)
    own = cols.cpas_codes.get(b.cpas_id, -2)
    broken["reserved"] = (cols.reserved_for >= 0) & (cols.reserved_for != own)
    broken["places"] = cols.no_places
    wanted = np.zeros(n, dtype=bool)
    for k in kinds:
        wanted |= cols.kind == _KINDS.index(k)
    any_broken = np.zeros(n, dtype=bool)
    removed: dict[str, int] = {}
    for key, mask in broken.items():
        any_broken |= mask
        count = np.count_nonzero(mask & wanted)
        if count:
            removed[key] = int(count)
    return FilterResult(
        eligible=wanted & ~any_broken,
        wanted=wanted,
        passes=~any_broken,
        broken=broken,
        removed=removed,
        km=km,
    )

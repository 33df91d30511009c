"""The sample's job days (a general one and themed ones) and two years of seasonal
vacancies per employer (what the hiring forecaster learns from)."""

from __future__ import annotations

import datetime as dt
import math

from data_contracts.enums import (
    EmployerKind,
    OpportunityKind,
)
from data_contracts.models import (
    Employer,
    JobDay,
    Location,
    Opportunity,
    Stand,
    Vacancy,
)
from tremplin.sample.catalogue import (
    SECTORS,
    region_cpas,
    region_of,
)
from tremplin.sample.draw import REFERENCE_DATE, Draw
from tremplin.sample.offers import sector_of


def draw_job_day(d: Draw, employers: list[Employer], opportunities: list[Opportunity]) -> JobDay:
    hiring = sorted(
        {
            o.employer_id
            for o in opportunities
            if o.kind is OpportunityKind.JOB_OFFER and o.employer_id
        }
    )
    stands = []
    for emp_id in d.some(hiring, 12):
        offers = [
            o
            for o in opportunities
            if o.employer_id == emp_id and o.kind is OpportunityKind.JOB_OFFER
        ]
        stands.append(
            Stand(
                employer_id=emp_id,
                rome_codes=sorted(
                    {o.occupation.rome_code for o in offers if o.occupation.rome_code}
                )[:5],
                opportunity_ids=[o.id for o in offers[:5]],
                interview_slots=d.r.randint(6, 16),
                slot_minutes=15,
            )
        )
    return JobDay(
        id="jobday-liege-2026-12",
        title="Job Day de la Maison de l'emploi de Liège",
        date=REFERENCE_DATE + dt.timedelta(days=30),
        location=Location(
            postcode=4000, commune="Liège", street="Salle des fêtes, boulevard de la Sauvenière 1"
        ),
        organiser="Maison de l'emploi de Liège",
        cpas_ids=["cpas-liege", "cpas-seraing", "cpas-herstal"],
        visitor_capacity=250,
        stands=sorted(stands, key=lambda s: s.employer_id),
    )


HISTORY_WEEKS = 104  # two years of vacancies before the reference date


SEASONS: dict[str, tuple[int, float]] = {
    # sector: (month of the peak, amplitude of the yearly swing around the mean)
    "hospitality": (5, 0.8),  # terraces and summer season
    "construction": (4, 0.6),  # spring works, winter stop
    "retail": (11, 0.7),  # year-end sales
    "logistics": (10, 0.5),  # parcels before the holidays
    "childcare": (8, 0.5),  # the school year
    "public_cleanliness": (4, 0.4),
    "admin": (9, 0.2),
    "driving": (9, 0.2),
    "care": (1, 0.15),
    "cleaning": (3, 0.1),
    "it_gaming": (9, 0.1),
    "home_help": (1, 0.1),
}
"""Seasonal recruiting of the sample's sectors (a realistic shape, documented in
docs/sample-data.md): hiring intensity is ``1 + amplitude * cos(2π (month - peak) / 12)``."""


_THEMED_JOB_DAYS = (
    # id, title, date offset (days), postcode, commune, region, theme sectors, stands
    (
        "jobday-bruxelles-horeca-2027-03",
        "Job Day Horeca & commerce — Maison de l'emploi de Molenbeek",
        120,
        1080,
        "Molenbeek-Saint-Jean",
        "brussels",
        ("hospitality", "retail"),
        10,
    ),
    (
        "jobday-seraing-construction-2027-02",
        "Salon Forem de l'emploi — Construction et logistique",
        95,
        4100,
        "Seraing",
        "liege",
        ("construction", "logistics", "driving"),
        14,
    ),
)


def _seasonality(sector: str, day: dt.date) -> float:
    peak, amplitude = SEASONS.get(sector, (1, 0.0))
    return 1.0 + amplitude * math.cos(2 * math.pi * (day.month - peak) / 12)


def draw_vacancies(
    d: Draw, employers: list[Employer], opportunities: list[Opportunity]
) -> list[Vacancy]:
    """Two years of posted vacancies per (employer, métier) up to the reference date (the
    métiers of its open offers and its sectors): a base rate, a slow trend, the sector's season
    and, for some employers, recruiting campaigns."""
    codes: dict[str, set[str]] = {}
    for o in opportunities:
        if o.kind is OpportunityKind.JOB_OFFER and o.employer_id and o.occupation.rome_code:
            codes.setdefault(o.employer_id, set()).add(o.occupation.rome_code)
    out: list[Vacancy] = []
    start = REFERENCE_DATE - dt.timedelta(weeks=HISTORY_WEEKS)
    for e in sorted(employers, key=lambda e: e.id):
        if e.kind is EmployerKind.TRAINING_PROVIDER:
            continue
        for code in sorted(codes.get(e.id, set()) | set(e.sectors)):
            sector = sector_of(code).key
            monthly = math.exp(d.r.gauss(math.log(0.3), 1.0))  # vacancies a month, on average
            trend = d.r.uniform(-0.5, 0.5)  # over the two years
            campaigns = d.chance(0.25)  # recruits in bursts every few months
            phase = d.r.randrange(16)
            for week in range(HISTORY_WEEKS):
                day = start + dt.timedelta(weeks=week, days=d.r.randrange(5))
                rate = monthly * 12 / 52 * _seasonality(sector, day)
                rate *= max(0.1, 1 + trend * (week / HISTORY_WEEKS - 0.5))
                if campaigns:
                    rate *= 4.0 if (week + phase) % 16 < 3 else 0.3
                for _ in range(_poisson(d, rate)):
                    out.append(
                        Vacancy(
                            id=f"vac-{len(out) + 1:06d}",
                            employer_id=e.id,
                            rome_code=code,
                            posted_on=day,
                            places=1 if d.chance(0.8) else d.r.randint(2, 5),
                            contract_type=d.one(sector_of(code).contracts),
                            postcode=e.location.postcode,
                        )
                    )
    return out


def _poisson(d: Draw, rate: float) -> int:
    """A Poisson draw (Knuth's method; rates here are small)."""
    limit, k, p = math.exp(-rate), 0, d.r.random()
    while p > limit:
        k += 1
        p *= d.r.random()
    return k


def draw_themed_job_days(
    d: Draw, employers: list[Employer], opportunities: list[Opportunity]
) -> list[JobDay]:
    """Trade-themed job days: stands of the employers recruiting in the theme's sectors."""
    out = []
    for job_id, title, offset, postcode, commune, region, sectors, n_stands in _THEMED_JOB_DAYS:
        theme = sorted({c for sec in SECTORS if sec.key in sectors for c in sec.rome_codes})
        offers: dict[str, list[Opportunity]] = {}
        for o in opportunities:
            if (
                o.kind is OpportunityKind.JOB_OFFER
                and o.employer_id
                and o.occupation.rome_code in theme
                and o.location.postcode is not None
                and region_of(o.location.postcode) == region
            ):
                offers.setdefault(o.employer_id, []).append(o)
        stands = [
            Stand(
                employer_id=emp,
                rome_codes=sorted(
                    {o.occupation.rome_code for o in offers[emp] if o.occupation.rome_code}
                )[:5],
                opportunity_ids=[o.id for o in offers[emp][:5]],
                interview_slots=d.r.randint(6, 20),
                slot_minutes=d.one((15, 15, 20)),
            )
            for emp in d.some(sorted(offers), n_stands)
        ]
        out.append(
            JobDay(
                id=job_id,
                title=title,
                date=REFERENCE_DATE + dt.timedelta(days=offset),
                location=Location(
                    postcode=postcode, commune=commune, street=f"Hôtel de ville de {commune}"
                ),
                organiser=f"Maison de l'emploi de {commune}",
                cpas_ids=region_cpas(region),
                visitor_capacity=300,
                stands=sorted(stands, key=lambda s: s.employer_id),
                theme_rome_codes=theme[:30],
            )
        )
    return out

"""What each (person, stand) pair of a job day is worth: who may come (their CPAS, an
employment phase and consent, or a coach's nomination; within travel reach of the venue),
and the served engine's own score of the stand's offers for them (:func:`matching.shortlist.
score_opportunities`, the shortlist's ranking: a pair scores what the person's shortlist
scores the offer). *Good* when that offer is among the :data:`GOOD_RANK` best the whole
catalogue has for them; a stand offer the person's hard constraints rule out is not allowed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_contracts.enums import TrajectoryPhase
from data_contracts.models import BeneficiaryProfile, Employer, JobDay, Stand
from matching.catalogue import OpportunityCatalogue
from matching.filters import OFFER_STATE
from matching.profile import ProfileView
from matching.shortlist import score_opportunities
from matching.travel import travel_minutes
from services.context import ServiceContext
from services.engine import Served
from services.jobday_schemas import (
    Participation,
)
from services.jobdays.access import planned_cpas
from services.pool_cards import Member
from tremplin.actors import Principal
from tremplin.geo import distance_km
from tremplin.store.models import (
    BeneficiaryRow,
    EmployerRow,
    JobDayParticipantRow,
    JobDayRow,
)

GOOD_RANK = 50  # a stand offer among the person's 50 best (of ~2,000 offers): rated good


JOB_SEARCH_PHASES = frozenset({TrajectoryPhase.EMPLOYMENT, TrajectoryPhase.ARTICLE_60})


@dataclass
class World:
    """What a plan is computed from."""

    jd: JobDay
    people: list[Member]
    nominated: np.ndarray
    cancelled: int
    stands: list[Stand]
    employers: dict[str, Employer]


def within_reach(profile: BeneficiaryProfile, jd: JobDay) -> bool:
    c = profile.constraints
    km = distance_km(c.home_postcode, jd.location.postcode)
    if km is None:
        return True  # unknown: the coach knows; the plan does not exclude on a guess
    if km > c.max_distance_km:
        return False
    return (
        c.max_travel_minutes is None
        or float(travel_minutes(km, c.transport_modes)) <= c.max_travel_minutes
    )


def gather(session: Session, actor: Principal, row: JobDayRow, jd: JobDay) -> World:
    scope = planned_cpas(actor, jd)
    words = {
        p.beneficiary_id: p.status
        for p in session.scalars(
            select(JobDayParticipantRow).where(JobDayParticipantRow.job_day_id == row.id)
        )
    }
    people: list[Member] = []
    nominated: list[bool] = []
    cancelled = 0
    rows = session.execute(
        select(BeneficiaryRow.id, BeneficiaryRow.cpas_id, BeneficiaryRow.payload)
        .where(BeneficiaryRow.cpas_id.in_(scope))
        .order_by(BeneficiaryRow.id)
    ).all()
    for pk, cpas, payload in rows:
        word = words.get(pk)
        if word == Participation.CANCELLED.value:
            cancelled += 1
            continue
        profile = BeneficiaryProfile.model_validate(payload)
        named = word == Participation.NOMINATED.value
        automatic = profile.trajectory_phase in JOB_SEARCH_PHASES and profile.consent.employer_pool
        if (named or automatic) and within_reach(profile, jd):
            people.append(Member(pk, cpas, profile))
            nominated.append(named)
    ids = [s.employer_id for s in jd.stands]
    employers = {
        r.external_id: Employer.model_validate(r.payload)
        for r in session.scalars(select(EmployerRow).where(EmployerRow.external_id.in_(ids)))
    }
    return World(jd, people, np.asarray(nominated, dtype=bool), cancelled, jd.stands, employers)


def stand_positions(cat: OpportunityCatalogue, stand: Stand) -> list[int]:
    """Catalogue positions of what a stand recruits for: its listed offers, or the employer's
    offers of the stand's métiers."""
    listed = [cat.by_external_id[o] for o in stand.opportunity_ids if o in cat.by_external_id]
    if listed:
        return listed
    codes = set(stand.rome_codes)
    return [
        p
        for p, o in enumerate(cat.opportunities)
        if o.employer_id == stand.employer_id and cat.occupation_codes[p] in codes
    ]


@dataclass
class Scores:
    quality: np.ndarray  # (people, stands), NaN: not allowed
    good: np.ndarray
    best: list[list[str | None]]  # the best stand offer's id per pair


def score_pairs(ctx: ServiceContext, served: Served, world: World, today: dt.date) -> Scores:
    cat = served.catalogue
    positions = [stand_positions(cat, s) for s in world.stands]
    flat = np.asarray(sorted({p for ps in positions for p in ps}), dtype=np.int64)
    where = {int(p): i for i, p in enumerate(flat)}
    n, m = len(world.people), len(world.stands)
    quality = np.full((n, m), np.nan)
    good = np.zeros((n, m), dtype=bool)
    best: list[list[str | None]] = [[None] * m for _ in range(n)]
    views = [ProfileView.of(p.profile, cat) for p in world.people]
    if cat.has_dense and cat.encoder is not None:
        ctx.matching.embed_queries(cat.encoder, views)
    for i, member in enumerate(world.people):
        rated = score_opportunities(
            member.profile, cat, flat, today, served.reranker, ignored=OFFER_STATE
        )
        for s, ps in enumerate(positions):
            cols = [where[p] for p in ps if rated.eligible[where[p]]]
            if not cols:
                continue
            top = max(cols, key=lambda c: (rated.quality[c], -rated.rank[c]))
            quality[i, s] = rated.quality[top]
            good[i, s] = min(int(rated.rank[c]) for c in cols) <= GOOD_RANK
            best[i][s] = cat.opportunities[int(flat[top])].id
    return Scores(quality, good, best)

"""Job days: who is invited to which stand and when, re-planning, and what people receive.

* **Who may come**: beneficiaries of the job day's CPAS (within the Maison de l'emploi's
  partners) who are in an employment phase (job search, article 60) and consented to be
  presented to employers, or whom their coach nominated; never one whose coach cancelled; and
  only within travel reach of the venue (their maximum distance and travel time).
* **What a pair is worth**: the served engine's own view (:func:`matching.shortlist.
  score_opportunities`) of the stand's offers for the person: the best offer's match quality,
  and *good* when that offer is among the :data:`GOOD_RANK` best the whole catalogue has for
  them. A stand offer the person's hard constraints rule out is not allowed.
* **The plan**: :func:`matching.jobday_planner.solve` (exact models on OR-Tools, with the
  relaxation's bound). Each plan is a new version; re-planning after a cancellation or a
  change of slots starts from the current plan, so everyone else keeps their interview and,
  when possible, its time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_contracts.enums import TrajectoryPhase
from data_contracts.models import BeneficiaryProfile, Employer, JobDay, Stand
from matching.candidates import rank_candidates
from matching.catalogue import OpportunityCatalogue
from matching.filters import OFFER_STATE
from matching.jobday_planner import PlanningProblem, solve
from matching.profile import ProfileView
from matching.shortlist import score_opportunities
from matching.travel import travel_minutes
from services.context import ServiceContext
from services.engine import Served
from services.jobday_schemas import (
    Convocation,
    ConvocationItem,
    InterviewMove,
    InterviewOut,
    JobDaySummary,
    Participation,
    ParticipationIn,
    PlanFigures,
    PlanOut,
    PlanRequest,
    StandFill,
    StandInterview,
    StandList,
    StandSlotsIn,
)
from services.pool import FRENCH_MONTHS, Member, build_card, namespace, requests_by_person
from services.tenancy import acting_cpas, owned_row
from tremplin import audit
from tremplin.actors import Principal, Role, system_actor
from tremplin.anonymity import PersonFacts, fully_hidden, k_anonymous, participant_code
from tremplin.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PolicyRefusedError,
)
from tremplin.geo import distance_km, place
from tremplin.store.models import (
    BeneficiaryRow,
    EmployerRow,
    JobDayInterviewRow,
    JobDayParticipantRow,
    JobDayPlanRow,
    JobDayRow,
)

GOOD_RANK = 50  # a stand offer among the person's 50 best (of ~2,000 offers): rated good
JOB_SEARCH_PHASES = frozenset({TrajectoryPhase.EMPLOYMENT, TrajectoryPhase.ARTICLE_60})
LOCAL_TIME = ZoneInfo("Europe/Brussels")
ARRIVE_EARLY_MINUTES = 15
BRING = (
    "votre carte d'identité",
    "plusieurs exemplaires de votre CV à jour",
    "votre permis de conduire si l'offre le demande",
    "de quoi noter (les employeurs donnent souvent un nom ou un numéro)",
)


def job_day_not_found() -> NotFoundError:
    """The one answer for a job day that is absent or not the caller's."""
    return NotFoundError("journée introuvable", "job day not found")


def _load(session: Session, actor: Principal, job_day_id: str) -> tuple[JobDayRow, JobDay]:
    """The job day if ``actor`` may see it (else not found, like one that does not exist)."""
    row = session.scalars(select(JobDayRow).where(JobDayRow.external_id == job_day_id)).first()
    if row is None:
        raise job_day_not_found()
    jd = JobDay.model_validate(row.payload)
    if not _sees(actor, jd):
        raise job_day_not_found()
    return row, jd


def _sees(actor: Principal, jd: JobDay) -> bool:
    if actor.role is Role.SYSTEM:
        return actor.cpas_id is None or actor.cpas_id in jd.cpas_ids
    if actor.role is Role.MAISON_EMPLOI:
        return bool(set(actor.partner_cpas) & set(jd.cpas_ids))
    if actor.role is Role.COACH:
        return actor.cpas_id in jd.cpas_ids
    if actor.role is Role.EMPLOYER:
        return any(s.employer_id == actor.employer_id for s in jd.stands)
    return False


def _scope(actor: Principal, jd: JobDay) -> list[str]:
    """The CPAS whose people this actor plans for."""
    if actor.role is Role.MAISON_EMPLOI:
        return sorted(set(actor.partner_cpas) & set(jd.cpas_ids))
    return sorted(jd.cpas_ids)


def _organiser(actor: Principal) -> None:
    if actor.role not in (Role.MAISON_EMPLOI, Role.SYSTEM):
        raise PolicyRefusedError(
            "réservé à la Maison de l'emploi", "for the Maison de l'emploi only"
        )


def _place(jd: JobDay) -> str:
    found = place(jd.location.postcode)
    commune = jd.location.commune or (found.locality if found else "")
    return f"{jd.location.postcode} {commune}".strip()


def list_job_days(ctx: ServiceContext, actor: Principal) -> list[JobDaySummary]:
    """The job days the caller may see, soonest first."""
    with ctx.transaction() as session:
        rows = list(session.scalars(select(JobDayRow).order_by(JobDayRow.date, JobDayRow.id)))
        planned = set(session.scalars(select(JobDayPlanRow.job_day_id)))
        out = []
        for row in rows:
            jd = JobDay.model_validate(row.payload)
            if _sees(actor, jd):
                out.append(
                    JobDaySummary(
                        id=jd.id,
                        title=jd.title,
                        date=jd.date,
                        place=_place(jd),
                        organiser=jd.organiser,
                        cpas_ids=jd.cpas_ids,
                        stands=len(jd.stands),
                        slots=sum(s.interview_slots for s in jd.stands),
                        planned=row.id in planned,
                    )
                )
        return out


@dataclass
class _World:
    """What a plan is computed from."""

    jd: JobDay
    people: list[Member]
    nominated: np.ndarray
    cancelled: int
    stands: list[Stand]
    employers: dict[str, Employer]


def _within_reach(profile: BeneficiaryProfile, jd: JobDay) -> bool:
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


def _world(session: Session, actor: Principal, row: JobDayRow, jd: JobDay) -> _World:
    scope = _scope(actor, jd)
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
        if (named or automatic) and _within_reach(profile, jd):
            people.append(Member(pk, cpas, profile))
            nominated.append(named)
    ids = [s.employer_id for s in jd.stands]
    employers = {
        r.external_id: Employer.model_validate(r.payload)
        for r in session.scalars(select(EmployerRow).where(EmployerRow.external_id.in_(ids)))
    }
    return _World(jd, people, np.asarray(nominated, dtype=bool), cancelled, jd.stands, employers)


def _stand_positions(cat: OpportunityCatalogue, stand: Stand) -> list[int]:
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
class _Scores:
    quality: np.ndarray  # (people, stands), NaN: not allowed
    good: np.ndarray
    best: list[list[str | None]]  # the best stand offer's id per pair


def _score(ctx: ServiceContext, served: Served, world: _World, today: dt.date) -> _Scores:
    cat = served.catalogue
    positions = [_stand_positions(cat, s) for s in world.stands]
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
    return _Scores(quality, good, best)


def _day_start(jd: JobDay) -> dt.datetime:
    return dt.datetime.combine(jd.date, jd.start_time, tzinfo=LOCAL_TIME)


def _day_minutes(jd: JobDay) -> int:
    start = dt.datetime.combine(jd.date, jd.start_time)
    return int((dt.datetime.combine(jd.date, jd.end_time) - start).total_seconds() // 60)


def _current(session: Session, row: JobDayRow) -> JobDayPlanRow | None:
    return session.scalars(
        select(JobDayPlanRow)
        .where(JobDayPlanRow.job_day_id == row.id)
        .order_by(JobDayPlanRow.created_at.desc())
    ).first()


def plan_job_day(
    ctx: ServiceContext,
    actor: Principal,
    job_day_id: str,
    body: PlanRequest,
    request_id: str,
    reason: str = "plan",
    progress: Callable[[str, float], None] | None = None,
) -> PlanOut:
    """Compute and store a new plan of the job day (audited); by default the current plan's
    interviews are kept where possible. ``progress(step, fraction)`` hears each stage."""
    _organiser(actor)
    report = progress or (lambda step, fraction: None)
    today = body.today or dt.date.today()
    report("chargement du moteur", 0.02)
    served = ctx.matching.current()
    report("personnes éligibles", 0.1)
    with ctx.transaction() as session:
        row, jd = _load(session, actor, job_day_id)
        if jd.date < today:
            raise InvalidRequestError(
                f"la journée du {jd.date.isoformat()} est passée", "the job day is over"
            )
        world = _world(session, actor, row, jd)
        before = None if body.fresh else _current(session, row)
        previous_rows = [
            (i.beneficiary_id, i.employer_id, i.starts_at)
            for i in (before.interviews if before else [])
        ]
    report(f"notation de {len(world.people)} personnes × {len(world.stands)} stands", 0.2)
    scores = _score(ctx, served, world, today)
    report("calcul du plan (CP-SAT)", 0.55)
    index = {m.pk: i for i, m in enumerate(world.people)}
    stand_of = {s.employer_id: j for j, s in enumerate(world.stands)}
    day_start = _day_start(jd)
    previous: dict[tuple[int, int], int] = {}
    for pk, employer_id, starts_at in previous_rows:
        if pk in index and employer_id in stand_of:
            j = stand_of[employer_id]
            minutes = int((starts_at - day_start).total_seconds() // 60)
            previous[(index[pk], j)] = minutes // world.stands[j].slot_minutes
    day = _day_minutes(jd)
    problem = PlanningProblem(
        quality=scores.quality,
        good=scores.good,
        slots=np.asarray(
            [min(s.interview_slots, day // s.slot_minutes) for s in world.stands], dtype=np.int64
        ),
        slot_minutes=np.asarray([s.slot_minutes for s in world.stands], dtype=np.int64),
        max_per_person=jd.max_interviews_per_person,
        min_gap_minutes=jd.min_gap_minutes,
        day_minutes=day,
        nominated=world.nominated,
        previous={e: k for e, k in previous.items() if not np.isnan(scores.quality[e])},
    )
    limit = body.time_limit_s or ctx.settings.plan_time_limit_s
    plan = solve(problem, time_limit_s=limit, workers=ctx.settings.compute_threads)
    report("enregistrement du plan", 0.9)
    figures = PlanFigures(
        objective=plan.objective,
        bound=plan.bound,
        gap=round(plan.gap, 5),
        total_quality=plan.total_quality,
        interviews=len(plan.interviews),
        invited=plan.invited,
        eligible_people=len(world.people),
        nominated=int(world.nominated.sum()),
        cancelled=world.cancelled,
        people_with_good_interview=len({i.person for i in plan.interviews if i.good}),
        empty_stands_with_suitable=plan.empty_stands_with_suitable,
        nominated_not_invited=plan.nominated_not_invited,
        dropped_in_timing=plan.dropped_in_timing,
        kept=plan.kept,
        moved=plan.moved,
        selection_status=plan.selection_status,
        timing_status=plan.timing_status,
        seconds=round(plan.bound_seconds + plan.selection_seconds + plan.timing_seconds, 3),
        ranker=served.versions.ranker_version or "fusion",
        planning_date=today,
        suitable_by_stand={
            s.employer_id: int(scores.good[:, j].sum()) for j, s in enumerate(world.stands)
        },
    )
    plan_id = str(uuid.uuid4())
    with ctx.transaction() as session:
        row, _ = _load(session, actor, job_day_id)
        stored = JobDayPlanRow(
            id=plan_id,
            job_day_id=row.id,
            created_at=dt.datetime.now(dt.UTC),
            created_by=actor.username,
            reason=reason,
            summary=figures.model_dump(mode="json"),
        )
        for i in plan.interviews:
            member, stand = world.people[i.person], world.stands[i.stand]
            stored.interviews.append(
                JobDayInterviewRow(
                    beneficiary_id=member.pk,
                    cpas_id=member.cpas_id,
                    employer_id=stand.employer_id,
                    opportunity_id=scores.best[i.person][i.stand],
                    starts_at=day_start + dt.timedelta(minutes=i.start_minute),
                    ends_at=day_start + dt.timedelta(minutes=i.end_minute),
                    score=i.quality,
                    good=i.good,
                )
            )
        session.add(stored)
        codes = sorted(
            {
                participant_code(ctx.pseudonym_key, jd.id, world.people[i.person].cpas_id,
                                 world.people[i.person].profile.id)
                for i in plan.interviews
            }
        )  # fmt: skip
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.JOB_DAY_PLAN,
            versions=served.versions,
            inputs={
                "job_day": jd.id,
                "plan_id": plan_id,
                "reason": reason,
                "planning_date": today.isoformat(),
                "interviews": figures.interviews,
                "invited": figures.invited,
                "gap": figures.gap,
            },
            returned_ids=codes,
        )
        session.flush()
        return _plan_out(ctx, session, actor, jd, stored)


def _employer_names(session: Session, jd: JobDay) -> dict[str, str]:
    """The names of the day's stand employers, by id."""
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(EmployerRow.external_id, EmployerRow.name).where(
                EmployerRow.external_id.in_([s.employer_id for s in jd.stands])
            )
        ).all()
    )


def _plan_out(
    ctx: ServiceContext,
    session: Session,
    actor: Principal,
    jd: JobDay,
    stored: JobDayPlanRow,
) -> PlanOut:
    names = _employer_names(session, jd)
    own = actor.cpas_id if actor.role in (Role.COACH, Role.SYSTEM) else None
    titles = _titles(ctx, [i.opportunity_id for i in stored.interviews])
    interviews = []
    # by time, as the plan reads back from the store (a fresh version is in insertion order)
    for i in sorted(stored.interviews, key=lambda i: i.starts_at):
        if own is not None and i.cpas_id != own:
            continue
        person = session.get(BeneficiaryRow, i.beneficiary_id)
        external = person.external_id if person is not None else ""
        interviews.append(
            InterviewOut(
                participant=participant_code(ctx.pseudonym_key, jd.id, i.cpas_id, external),
                cpas_id=i.cpas_id,
                beneficiary_id=external if own is not None else None,
                employer_id=i.employer_id,
                employer_name=names.get(i.employer_id, i.employer_id),
                opportunity_id=i.opportunity_id,
                opportunity_title=titles.get(i.opportunity_id or ""),
                starts_at=i.starts_at.astimezone(LOCAL_TIME),
                ends_at=i.ends_at.astimezone(LOCAL_TIME),
                quality=round(i.score, 4),
                good=i.good,
            )
        )
    booked: dict[str, int] = {}
    for i in stored.interviews:
        booked[i.employer_id] = booked.get(i.employer_id, 0) + 1
    figures = PlanFigures.model_validate(stored.summary)
    stands = [
        StandFill(
            employer_id=s.employer_id,
            employer_name=names.get(s.employer_id, s.employer_id),
            slots=s.interview_slots,
            booked=booked.get(s.employer_id, 0),
            suitable=figures.suitable_by_stand.get(s.employer_id, 0),
        )
        for s in jd.stands
    ]
    return PlanOut(
        id=stored.id,
        job_day_id=jd.id,
        created_at=stored.created_at,
        created_by=stored.created_by,
        reason=stored.reason,
        figures=figures,
        stands=stands if own is None else [],
        interviews=interviews,
    )


def _titles(ctx: ServiceContext, ids: Sequence[str | None]) -> dict[str, str]:
    served = ctx.matching.served
    if served is None:
        return {}
    cat = served.catalogue
    return {
        o: cat.opportunities[cat.by_external_id[o]].title
        for o in ids
        if o is not None and o in cat.by_external_id
    }


def job_day_stands(ctx: ServiceContext, actor: Principal, job_day_id: str) -> list[StandFill]:
    """The day's stands with their employer and slots, before any plan (nothing booked)."""
    _organiser(actor)
    with ctx.transaction() as session:
        _, jd = _load(session, actor, job_day_id)
        names = _employer_names(session, jd)
    return [
        StandFill(
            employer_id=s.employer_id,
            employer_name=names.get(s.employer_id, s.employer_id),
            slots=s.interview_slots,
            booked=0,
            suitable=0,
        )
        for s in jd.stands
    ]


def current_plan(ctx: ServiceContext, actor: Principal, job_day_id: str) -> PlanOut:
    """The job day's current plan (a coach sees their CPAS's interviews only)."""
    if actor.role not in (Role.MAISON_EMPLOI, Role.SYSTEM, Role.COACH):
        raise PolicyRefusedError("réservé à l'organisation et aux CPAS", "not for this role")
    with ctx.transaction() as session:
        row, jd = _load(session, actor, job_day_id)
        stored = _current(session, row)
        if stored is None:
            raise NotFoundError(
                "pas encore de plan : lancez la planification", "no plan yet: plan the job day"
            )
        return _plan_out(ctx, session, actor, jd, stored)


def set_participation(
    ctx: ServiceContext,
    actor: Principal,
    job_day_id: str,
    body: ParticipationIn,
    request_id: str,
    today: dt.date | None = None,
) -> PlanOut | None:
    """A coach nominates one of their beneficiaries or cancels their participation; with a
    plan already made, the job day is re-planned at once (the others keep their interviews)."""
    cpas = acting_cpas(actor)
    with ctx.transaction() as session:
        row, jd = _load(session, actor, job_day_id)
        person = owned_row(session, actor, body.beneficiary_id)
        found = session.scalars(
            select(JobDayParticipantRow).where(
                JobDayParticipantRow.job_day_id == row.id,
                JobDayParticipantRow.beneficiary_id == person.id,
            )
        ).first()
        now = dt.datetime.now(dt.UTC)
        if found is None:
            session.add(
                JobDayParticipantRow(
                    job_day_id=row.id,
                    beneficiary_id=person.id,
                    cpas_id=cpas,
                    status=body.status.value,
                    updated_by=actor.username,
                    updated_at=now,
                )
            )
        else:
            found.status, found.updated_by, found.updated_at = (
                body.status.value,
                actor.username,
                now,
            )
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.JOB_DAY_PARTICIPATION,
            tenant=cpas,
            subject=audit.pseudonym(ctx.pseudonym_key, cpas, body.beneficiary_id),
            inputs={"job_day": jd.id, "status": body.status.value},
        )
        planned = _current(session, row) is not None
    if not planned:
        return None
    replanner = system_actor(f"replan:{actor.username}")
    return plan_job_day(
        ctx, replanner, job_day_id, PlanRequest(today=today), request_id, reason=body.status.value
    )


def set_stand_slots(
    ctx: ServiceContext,
    actor: Principal,
    job_day_id: str,
    employer_id: str,
    body: StandSlotsIn,
    request_id: str,
    today: dt.date | None = None,
) -> PlanOut | None:
    """The Maison de l'emploi changes a stand's slots; re-planned at once if planned."""
    _organiser(actor)
    with ctx.transaction() as session:
        row, jd = _load(session, actor, job_day_id)
        stands = list(jd.stands)
        where = next((j for j, s in enumerate(stands) if s.employer_id == employer_id), None)
        if where is None:
            raise NotFoundError("stand introuvable", "stand not found")
        stands[where] = stands[where].model_copy(update={"interview_slots": body.interview_slots})
        updated = JobDay.model_validate({**jd.model_dump(), "stands": stands})
        row.payload = updated.model_dump(mode="json")
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.JOB_DAY_CHANGE,
            inputs={"job_day": jd.id, "stand": employer_id, "slots": body.interview_slots},
        )
        planned = _current(session, row) is not None
    if not planned:
        return None
    return plan_job_day(
        ctx, actor, job_day_id, PlanRequest(today=today), request_id, reason="slots"
    )


def move_interview(
    ctx: ServiceContext, actor: Principal, job_day_id: str, body: InterviewMove, request_id: str
) -> PlanOut:
    """The Maison de l'emploi moves one interview by hand: a new plan version where that
    interview starts at ``body.starts_at`` (same length, same stand), refused when it leaves
    the day's hours, meets another interview of the stand, or breaks the person's gap to their
    other interviews; audited."""
    _organiser(actor)
    with ctx.transaction() as session:
        row, jd = _load(session, actor, job_day_id)
        current = _current(session, row)
        if current is None:
            raise NotFoundError(
                "pas encore de plan : lancez la planification", "no plan yet: plan the job day"
            )
        people = {i.id: session.get(BeneficiaryRow, i.beneficiary_id) for i in current.interviews}
        code_of = {
            k: participant_code(ctx.pseudonym_key, jd.id, p.cpas_id, p.external_id)
            for k, p in people.items()
            if p is not None
        }
        moving = next(
            (
                i
                for i in current.interviews
                if code_of.get(i.id) == body.participant and i.employer_id == body.employer_id
            ),
            None,
        )
        if moving is None:
            raise NotFoundError("entretien introuvable", "interview not found")
        length = moving.ends_at - moving.starts_at
        start = dt.datetime.combine(jd.date, body.starts_at, tzinfo=LOCAL_TIME)
        end = start + length
        if start < _day_start(jd) or end > _day_start(jd) + dt.timedelta(minutes=_day_minutes(jd)):
            raise InvalidRequestError(
                "l'entretien sortirait des heures de la journée", "outside the day's hours"
            )
        gap = dt.timedelta(minutes=jd.min_gap_minutes)
        for other in current.interviews:
            if other is moving:
                continue
            if other.employer_id == moving.employer_id and (
                other.starts_at < end and start < other.ends_at
            ):
                raise ConflictError(
                    "le stand a déjà un entretien à cette heure", "the stand is busy then"
                )
            if other.beneficiary_id == moving.beneficiary_id and (
                other.starts_at < end + gap and start < other.ends_at + gap
            ):
                raise ConflictError(
                    f"la personne a un autre entretien à moins de {jd.min_gap_minutes} minutes",
                    "too close to the person's other interview",
                )
        figures = PlanFigures.model_validate(current.summary).model_copy(
            update={"kept": len(current.interviews), "moved": 1}
        )
        stored = JobDayPlanRow(
            id=str(uuid.uuid4()),
            job_day_id=row.id,
            created_at=dt.datetime.now(dt.UTC),
            created_by=actor.username,
            reason="manual",
            summary=figures.model_dump(mode="json"),
        )
        for i in current.interviews:
            moved = i is moving
            stored.interviews.append(
                JobDayInterviewRow(
                    beneficiary_id=i.beneficiary_id,
                    cpas_id=i.cpas_id,
                    employer_id=i.employer_id,
                    opportunity_id=i.opportunity_id,
                    starts_at=start if moved else i.starts_at,
                    ends_at=end if moved else i.ends_at,
                    score=i.score,
                    good=i.good,
                )
            )
        session.add(stored)
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.JOB_DAY_CHANGE,
            inputs={
                "job_day": jd.id,
                "plan_id": stored.id,
                "operation": "move",
                "stand": body.employer_id,
                "starts_at": body.starts_at.isoformat(timespec="minutes"),
            },
            returned_ids=[body.participant],
        )
        session.flush()
        return _plan_out(ctx, session, actor, jd, stored)


def stand_list(
    ctx: ServiceContext, actor: Principal, job_day_id: str, employer_id: str
) -> StandList:
    """A stand's interviews for its employer: anonymised cards (k-anonymous over the day's
    invited people), with what a person shared once they accepted that employer's contact."""
    if actor.role is Role.EMPLOYER and actor.employer_id != employer_id:
        raise job_day_not_found()
    if actor.role not in (Role.EMPLOYER, Role.MAISON_EMPLOI, Role.SYSTEM):
        raise PolicyRefusedError("réservé aux employeurs et à l'organisation", "not for this role")
    served = ctx.matching.current()
    with ctx.transaction() as session:
        row, jd = _load(session, actor, job_day_id)
        if not any(s.employer_id == employer_id for s in jd.stands):
            raise NotFoundError("stand introuvable", "stand not found")
        stored = _current(session, row)
        if stored is None:
            raise NotFoundError("pas encore de plan", "no plan yet")
        invited: dict[int, Member] = {}
        for i in stored.interviews:
            person = session.get(BeneficiaryRow, i.beneficiary_id)
            if person is not None:
                profile = BeneficiaryProfile.model_validate(person.payload)
                invited[person.id] = Member(person.id, person.cpas_id, profile)
        mine = [i for i in stored.interviews if i.employer_id == employer_id]
        name = session.scalar(
            select(EmployerRow.name).where(EmployerRow.external_id == employer_id)
        )
        space = employer_id if actor.role is not Role.MAISON_EMPLOI else namespace(actor)
        requests = requests_by_person(session, space)
    k = ctx.settings.pool_k
    facts = [PersonFacts.of(m.profile) for m in invited.values()]
    shown = k_anonymous(facts, k) or fully_hidden(k, len(facts))
    cat = served.catalogue
    items = []
    for i in mine:
        member = invited.get(i.beneficiary_id)
        if member is None:
            continue
        found = None
        if i.opportunity_id in cat.by_external_id:
            need = cat.opportunities[cat.by_external_id[i.opportunity_id]]
            ranked = rank_candidates(need, [ProfileView.of(member.profile, cat)], cat, jd.date)
            found = ranked[0] if ranked else None
        card = build_card(ctx, cat, space, member, found, shown, jd.date)
        state = requests.get(member.pk)
        if state is not None:
            card.contact, card.shared = state
        items.append(
            StandInterview(
                starts_at=i.starts_at.astimezone(LOCAL_TIME),
                ends_at=i.ends_at.astimezone(LOCAL_TIME),
                opportunity_id=i.opportunity_id,
                candidate=card,
            )
        )
    return StandList(
        job_day_id=jd.id,
        title=jd.title,
        date=jd.date,
        employer_id=employer_id,
        employer_name=name or employer_id,
        place=_place(jd),
        interviews=items,
    )


def convocations(
    ctx: ServiceContext, actor: Principal, job_day_id: str, beneficiary_id: str | None = None
) -> list[Convocation]:
    """The convocations of the current plan (French): a coach's beneficiaries by their id;
    for the organiser, every invited person by their participant code (the CPAS hand them
    out: the Maison de l'emploi never sees who is behind a code)."""
    organiser = actor.role is Role.MAISON_EMPLOI
    if not organiser:
        acting_cpas(actor)
    plan = current_plan(ctx, actor, job_day_id)
    with ctx.transaction() as session:
        _, jd = _load(session, actor, job_day_id)
    by_person: dict[str, list[InterviewOut]] = {}
    for i in plan.interviews:
        who = i.participant if organiser else i.beneficiary_id
        if who and (beneficiary_id is None or who == beneficiary_id):
            by_person.setdefault(who, []).append(i)
    if beneficiary_id is not None and beneficiary_id not in by_person:
        raise NotFoundError(
            "cette personne n'a pas d'entretien à cette journée", "no interview for this person"
        )
    return [_convocation(jd, person, items) for person, items in sorted(by_person.items())]


def _convocation(jd: JobDay, person: str, items: list[InterviewOut]) -> Convocation:
    items = sorted(items, key=lambda i: i.starts_at)
    arrive = items[0].starts_at - dt.timedelta(minutes=ARRIVE_EARLY_MINUTES)
    where = _place(jd)
    lines = [
        "Madame, Monsieur,",
        "",
        f"Vous êtes invité·e au « {jd.title} », le {_french_date(jd.date)}, à {where}.",
        f"Merci d'arriver à {arrive:%H:%M} pour vous présenter à l'accueil.",
        "",
        "Vos entretiens :",
        *(
            f"- {i.starts_at:%H:%M}–{i.ends_at:%H:%M} : stand {i.employer_name}"
            + (f" ({i.opportunity_title})" if i.opportunity_title else "")
            for i in items
        ),
        "",
        "À emporter : " + ", ".join(BRING) + ".",
        "",
        "Si vous ne pouvez pas venir, prévenez votre agent d'insertion au plus tôt : "
        "votre place sera proposée à une autre personne.",
    ]
    return Convocation(
        beneficiary_id=person,
        job_day_id=jd.id,
        title=jd.title,
        date=jd.date,
        place=where,
        arrive_by=arrive,
        interviews=[
            ConvocationItem(
                starts_at=i.starts_at,
                ends_at=i.ends_at,
                employer_name=i.employer_name,
                stand_offer=i.opportunity_title,
            )
            for i in items
        ],
        bring=list(BRING),
        text="\n".join(lines),
    )


FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _french_date(day: dt.date) -> str:
    return f"{FRENCH_DAYS[day.weekday()]} {day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}"

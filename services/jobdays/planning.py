"""The job day's plan: computed by :func:`matching.jobday_planner.solve` (exact models on
OR-Tools, with the relaxation's bound), stored as a new version each time, and read back
as the organiser, a coach (their CPAS's interviews only) or the stands see it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_contracts.models import JobDay
from matching.jobday_planner import PlanningProblem, solve
from services.context import ServiceContext
from services.jobday_schemas import (
    InterviewOut,
    PlanFigures,
    PlanOut,
    PlanRequest,
    StandFill,
)
from services.jobdays.access import LOCAL_TIME, employer_names, load_job_day, organiser_only
from services.jobdays.scoring import gather, score_pairs
from tremplin import audit
from tremplin.actors import Principal, Role
from tremplin.anonymity import participant_code
from tremplin.errors import (
    InvalidRequestError,
    NotFoundError,
    PolicyRefusedError,
)
from tremplin.store.models import (
    BeneficiaryRow,
    JobDayInterviewRow,
    JobDayPlanRow,
    JobDayRow,
)


def start_of_day(jd: JobDay) -> dt.datetime:
    return dt.datetime.combine(jd.date, jd.start_time, tzinfo=LOCAL_TIME)


def day_minutes(jd: JobDay) -> int:
    start = dt.datetime.combine(jd.date, jd.start_time)
    return int((dt.datetime.combine(jd.date, jd.end_time) - start).total_seconds() // 60)


def current_plan_row(session: Session, row: JobDayRow) -> JobDayPlanRow | None:
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
    organiser_only(actor)
    report = progress or (lambda step, fraction: None)
    today = body.today or ctx.today()
    report("chargement du moteur", 0.02)
    served = ctx.matching.current()
    report("personnes éligibles", 0.1)
    with ctx.transaction() as session:
        row, jd = load_job_day(session, actor, job_day_id)
        if jd.date < today:
            raise InvalidRequestError(
                f"la journée du {jd.date.isoformat()} est passée", "the job day is over"
            )
        world = gather(session, actor, row, jd)
        before = None if body.fresh else current_plan_row(session, row)
        previous_rows = [
            (i.beneficiary_id, i.employer_id, i.starts_at)
            for i in (before.interviews if before else [])
        ]
    report(f"notation de {len(world.people)} personnes × {len(world.stands)} stands", 0.2)
    scores = score_pairs(ctx, served, world, today)
    report("calcul du plan (CP-SAT)", 0.55)
    index = {m.pk: i for i, m in enumerate(world.people)}
    stand_of = {s.employer_id: j for j, s in enumerate(world.stands)}
    day_start = start_of_day(jd)
    previous: dict[tuple[int, int], int] = {}
    for pk, employer_id, starts_at in previous_rows:
        if pk in index and employer_id in stand_of:
            j = stand_of[employer_id]
            minutes = int((starts_at - day_start).total_seconds() // 60)
            previous[(index[pk], j)] = minutes // world.stands[j].slot_minutes
    day = day_minutes(jd)
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
        row, _ = load_job_day(session, actor, job_day_id)
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
        return plan_out(ctx, session, actor, jd, stored)


def plan_out(
    ctx: ServiceContext,
    session: Session,
    actor: Principal,
    jd: JobDay,
    stored: JobDayPlanRow,
) -> PlanOut:
    names = employer_names(session, jd)
    own = actor.cpas_id if actor.role in (Role.COACH, Role.SYSTEM) else None
    titles = opportunity_titles(ctx, [i.opportunity_id for i in stored.interviews])
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


def opportunity_titles(ctx: ServiceContext, ids: Sequence[str | None]) -> dict[str, str]:
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
    organiser_only(actor)
    with ctx.transaction() as session:
        _, jd = load_job_day(session, actor, job_day_id)
        names = employer_names(session, jd)
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
        row, jd = load_job_day(session, actor, job_day_id)
        stored = current_plan_row(session, row)
        if stored is None:
            raise NotFoundError(
                "pas encore de plan : lancez la planification", "no plan yet: plan the job day"
            )
        return plan_out(ctx, session, actor, jd, stored)

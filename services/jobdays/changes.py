"""Changes to a planned job day: a coach nominates or cancels a person, the organiser
changes a stand's slots or moves an interview; each re-plans from the current plan, so
everyone else keeps their interview and, when possible, its time."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from data_contracts.models import JobDay
from services.context import ServiceContext
from services.jobday_schemas import (
    InterviewMove,
    ParticipationIn,
    PlanFigures,
    PlanOut,
    PlanRequest,
    StandSlotsIn,
)
from services.jobdays.access import LOCAL_TIME, load_job_day, organiser_only
from services.jobdays.planning import (
    current_plan_row,
    day_minutes,
    plan_job_day,
    plan_out,
    start_of_day,
)
from services.tenancy import acting_cpas, owned_row
from tremplin import audit
from tremplin.actors import Principal, system_actor
from tremplin.anonymity import participant_code
from tremplin.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
)
from tremplin.store.models import (
    BeneficiaryRow,
    JobDayInterviewRow,
    JobDayParticipantRow,
    JobDayPlanRow,
)


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
        row, jd = load_job_day(session, actor, job_day_id)
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
        planned = current_plan_row(session, row) is not None
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
    organiser_only(actor)
    with ctx.transaction() as session:
        row, jd = load_job_day(session, actor, job_day_id)
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
        planned = current_plan_row(session, row) is not None
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
    organiser_only(actor)
    with ctx.transaction() as session:
        row, jd = load_job_day(session, actor, job_day_id)
        current = current_plan_row(session, row)
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
        if start < start_of_day(jd) or end > start_of_day(jd) + dt.timedelta(
            minutes=day_minutes(jd)
        ):
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
        return plan_out(ctx, session, actor, jd, stored)

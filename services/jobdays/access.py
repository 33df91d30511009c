"""Which job days a caller sees, and their place in words: the tenancy of every job-day use case (a job day a caller may not see is "not found")."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_contracts.models import JobDay
from services.context import ServiceContext
from services.jobday_schemas import (
    JobDaySummary,
)
from tremplin.actors import Principal, Role
from tremplin.errors import (
    NotFoundError,
    PolicyRefusedError,
)
from tremplin.geo import place
from tremplin.settings import BRUSSELS
from tremplin.store.models import (
    EmployerRow,
    JobDayPlanRow,
    JobDayRow,
)

LOCAL_TIME = BRUSSELS  # the venue's clock


def job_day_not_found() -> NotFoundError:
    """The one answer for a job day that is absent or not the caller's."""
    return NotFoundError("journée introuvable", "job day not found")


def load_job_day(session: Session, actor: Principal, job_day_id: str) -> tuple[JobDayRow, JobDay]:
    """The job day if ``actor`` may see it (else not found, like one that does not exist)."""
    row = session.scalars(select(JobDayRow).where(JobDayRow.external_id == job_day_id)).first()
    if row is None:
        raise job_day_not_found()
    jd = JobDay.model_validate(row.payload)
    if not sees(actor, jd):
        raise job_day_not_found()
    return row, jd


def sees(actor: Principal, jd: JobDay) -> bool:
    if actor.role is Role.SYSTEM:
        return actor.cpas_id is None or actor.cpas_id in jd.cpas_ids
    if actor.role is Role.MAISON_EMPLOI:
        return bool(set(actor.partner_cpas) & set(jd.cpas_ids))
    if actor.role is Role.COACH:
        return actor.cpas_id in jd.cpas_ids
    if actor.role is Role.EMPLOYER:
        return any(s.employer_id == actor.employer_id for s in jd.stands)
    return False


def planned_cpas(actor: Principal, jd: JobDay) -> list[str]:
    """The CPAS whose people this actor plans for."""
    if actor.role is Role.MAISON_EMPLOI:
        return sorted(set(actor.partner_cpas) & set(jd.cpas_ids))
    return sorted(jd.cpas_ids)


def organiser_only(actor: Principal) -> None:
    if actor.role not in (Role.MAISON_EMPLOI, Role.SYSTEM):
        raise PolicyRefusedError(
            "réservé à la Maison de l'emploi", "for the Maison de l'emploi only"
        )


def place_of(jd: JobDay) -> str:
    """The venue as a convocation gives it: street (and venue), postcode and commune."""
    found = place(jd.location.postcode)
    commune = jd.location.commune or (found.locality if found else "")
    town = f"{jd.location.postcode} {commune}".strip()
    return f"{jd.location.street}, {town}" if jd.location.street else town


def list_job_days(ctx: ServiceContext, actor: Principal) -> list[JobDaySummary]:
    """The job days the caller may see, soonest first."""
    with ctx.transaction() as session:
        rows = list(session.scalars(select(JobDayRow).order_by(JobDayRow.date, JobDayRow.id)))
        planned = set(session.scalars(select(JobDayPlanRow.job_day_id)))
        out = []
        for row in rows:
            jd = JobDay.model_validate(row.payload)
            if sees(actor, jd):
                out.append(
                    JobDaySummary(
                        id=jd.id,
                        title=jd.title,
                        date=jd.date,
                        place=place_of(jd),
                        organiser=jd.organiser,
                        cpas_ids=jd.cpas_ids,
                        stands=len(jd.stands),
                        slots=sum(s.interview_slots for s in jd.stands),
                        planned=row.id in planned,
                    )
                )
        return out


def employer_names(session: Session, jd: JobDay) -> dict[str, str]:
    """The names of the day's stand employers, by id."""
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(EmployerRow.external_id, EmployerRow.name).where(
                EmployerRow.external_id.in_([s.employer_id for s in jd.stands])
            )
        ).all()
    )

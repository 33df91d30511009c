"""A person's own file (GDPR art. 15, and art. 22 on automated recommendations): everything
Tremplin holds and decided about one beneficiary, for their coach to hand over.

The profile as stored (with the monitoring attributes), every shortlist made for them (when,
by whom, with which engine and model, the items and their reasons), the outcomes recorded,
the employer searches that showed their anonymous card (dates and counts, viewers named as
the pool names them), the contact requests and answers, the job days they were invited to and
their interviews. Nothing about anyone else: each part is read through the person's row, and
pool searches are matched on the card pseudonym each viewer saw. The request is audited.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_contracts.models import BeneficiaryProfile, OutcomeEvent
from services.context import ServiceContext
from services.jobdays.planning import current_plan_row
from services.tenancy import owned_row
from tremplin import audit
from tremplin.actors import Principal, Role
from tremplin.anonymity import card_pseudonym
from tremplin.store.models import (
    AuditRow,
    BeneficiaryRow,
    ContactRequestRow,
    CpasRow,
    EmployerRow,
    JobDayInterviewRow,
    JobDayParticipantRow,
    JobDayPlanRow,
    JobDayRow,
    OutcomeEventRow,
    ShortlistRow,
    UserRow,
)

HOW_RECOMMENDATIONS_ARE_MADE = (
    "Les propositions sont calculées par Tremplin à partir des compétences, des souhaits et "
    "des contraintes (distance, horaires, permis, niveau de français) enregistrés dans ce "
    "dossier : les offres incompatibles avec une contrainte sont écartées, les autres sont "
    "classées par proximité avec le projet et les compétences. Ce classement est une aide : "
    "aucune décision n'est prise sans la personne et son accompagnateur, qui peuvent toujours "
    "écarter une proposition ou en ajouter une. Les attributs de suivi de l'équité (genre, "
    "tranche d'âge, origine) ne servent jamais au calcul. La personne peut demander la "
    "correction ou l'effacement de son dossier au CPAS."
)


class FileItem(BaseModel):
    """One proposal of a shortlist, as it was shown."""

    title: str
    kind: str
    reasons: list[str] = Field(default_factory=list)
    to_check: list[str] = Field(default_factory=list)


class FileShortlist(BaseModel):
    """One shortlist made for the person."""

    created_at: dt.datetime
    created_by: str
    engine_version: str
    model_version: str | None
    ranker_version: str | None
    items: list[FileItem]


class PoolAppearance(BaseModel):
    """The anonymous card shown to one viewer on one day, and how many times."""

    day: dt.date
    seen_by: str
    times: int


class FileContactRequest(BaseModel):
    """An employer's request to meet the person, and the answer."""

    created_at: dt.datetime
    employer: str
    message: str
    status: str
    decided_at: dt.datetime | None
    decided_by: str | None


class FileInterview(BaseModel):
    """An interview planned at a job day's stand."""

    employer: str
    starts_at: dt.datetime
    ends_at: dt.datetime


class FileJobDay(BaseModel):
    """A job day the person was invited to or withdrawn from, with the interviews planned."""

    title: str
    date: dt.date
    status: str
    interviews: list[FileInterview] = Field(default_factory=list)


class PersonFile(BaseModel):
    """Everything held and decided about one beneficiary (art. 15 and 22 GDPR)."""

    made_at: dt.datetime
    made_by: str
    cpas: str
    profile: BeneficiaryProfile
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    shortlists: list[FileShortlist]
    outcomes: list[OutcomeEvent]
    pool_appearances: list[PoolAppearance]
    contact_requests: list[FileContactRequest]
    job_days: list[FileJobDay]
    how_recommendations_are_made: str = HOW_RECOMMENDATIONS_ARE_MADE


def _profile(row: BeneficiaryRow) -> BeneficiaryProfile:
    data = dict(row.payload)
    if row.monitoring is not None:
        m = row.monitoring
        data["monitoring"] = {"gender": m.gender, "age_band": m.age_band, "origin": m.origin}
    return BeneficiaryProfile.model_validate(data)


def _shortlists(session: Session, row: BeneficiaryRow) -> list[FileShortlist]:
    rows = session.scalars(
        select(ShortlistRow)
        .where(ShortlistRow.beneficiary_id == row.id)
        .order_by(ShortlistRow.created_at, ShortlistRow.id)
    )
    return [
        FileShortlist(
            created_at=s.created_at,
            created_by=s.created_by,
            engine_version=s.engine_version,
            model_version=s.model_version,
            ranker_version=s.ranker_version or "fusion",
            items=[FileItem.model_validate(i) for i in s.payload.get("items", [])],
        )
        for s in rows
    ]


def _employer_names(session: Session, ids: set[str]) -> dict[str, str]:
    found = session.execute(
        select(EmployerRow.external_id, EmployerRow.name).where(EmployerRow.external_id.in_(ids))
    )
    return {ext: name for ext, name in found}


def _pool_appearances(
    ctx: ServiceContext, session: Session, row: BeneficiaryRow
) -> list[PoolAppearance]:
    """The pool searches whose results held the person's card, per day and viewer: each
    viewer saw its own pseudonym of the person, computed here for the viewers on record."""
    searches = session.execute(
        select(AuditRow.at, AuditRow.actor, AuditRow.role, AuditRow.returned_ids).where(
            AuditRow.action == audit.AuditAction.POOL_SEARCH.value
        )
    ).all()
    actors = {s.actor for s in searches}
    employer_of: dict[str, str | None] = {
        name: employer
        for name, employer in session.execute(
            select(UserRow.username, UserRow.employer_id).where(UserRow.username.in_(actors))
        )
    }
    names = _employer_names(session, {e for e in employer_of.values() if e})
    seen: Counter[tuple[dt.date, str]] = Counter()
    cards: dict[str, tuple[str, str]] = {}  # actor -> (the person's card for them, viewer)
    for s in searches:
        if s.actor not in cards:
            employer = employer_of.get(s.actor)
            space, viewer = (
                (employer, names.get(employer, "un employeur"))
                if s.role == Role.EMPLOYER.value and employer
                else (f"mde:{s.actor}", "la Maison de l'emploi")
            )
            key = ctx.pseudonym_key
            cards[s.actor] = (card_pseudonym(key, space, row.cpas_id, row.external_id), viewer)
        card, viewer = cards[s.actor]
        if card in (s.returned_ids or []):
            seen[(s.at.date(), viewer)] += 1
    return [PoolAppearance(day=d, seen_by=v, times=n) for (d, v), n in sorted(seen.items())]


def _contact_requests(session: Session, row: BeneficiaryRow) -> list[FileContactRequest]:
    rows = session.scalars(
        select(ContactRequestRow)
        .where(ContactRequestRow.beneficiary_id == row.id)
        .order_by(ContactRequestRow.created_at)
    ).all()
    names = _employer_names(session, {r.employer_id for r in rows})
    return [
        FileContactRequest(
            created_at=r.created_at,
            employer=names.get(r.employer_id, "un employeur"),
            message=r.message,
            status=r.status,
            decided_at=r.decided_at,
            decided_by=r.decided_by,
        )
        for r in rows
    ]


def _job_days(session: Session, row: BeneficiaryRow) -> list[FileJobDay]:
    """The job days the person was nominated for or withdrawn from, and those whose current
    plan gives them interviews (older plan versions are history, not invitations)."""
    days: dict[int, FileJobDay] = {}
    for day, status in session.execute(
        select(JobDayRow, JobDayParticipantRow.status)
        .join(JobDayParticipantRow, JobDayParticipantRow.job_day_id == JobDayRow.id)
        .where(JobDayParticipantRow.beneficiary_id == row.id)
    ).tuples():
        days[day.id] = FileJobDay(title=day.payload["title"], date=day.date, status=status)
    planned = session.scalars(
        select(JobDayPlanRow.job_day_id)
        .join(JobDayInterviewRow, JobDayInterviewRow.plan_id == JobDayPlanRow.id)
        .where(JobDayInterviewRow.beneficiary_id == row.id)
        .distinct()
    ).all()
    for day in session.scalars(select(JobDayRow).where(JobDayRow.id.in_(planned))):
        plan = current_plan_row(session, day)
        mine = [i for i in plan.interviews if i.beneficiary_id == row.id] if plan else []
        if not mine:
            continue
        entry = days.setdefault(
            day.id, FileJobDay(title=day.payload["title"], date=day.date, status="invited")
        )
        names = _employer_names(session, {i.employer_id for i in mine})
        entry.interviews = [
            FileInterview(employer=names.get(i.employer_id, "un employeur"),
                          starts_at=i.starts_at, ends_at=i.ends_at)
            for i in mine
        ]  # fmt: skip
    return sorted(days.values(), key=lambda d: d.date)


def person_file(
    ctx: ServiceContext, actor: Principal, beneficiary_id: str, request_id: str
) -> PersonFile:
    """The whole file of one beneficiary of the actor's CPAS (not found otherwise); audited."""
    with ctx.transaction() as session:
        row = owned_row(session, actor, beneficiary_id)
        cpas = session.get(CpasRow, row.cpas_id)
        outcomes = session.scalars(
            select(OutcomeEventRow.payload)
            .where(OutcomeEventRow.beneficiary_id == row.id)
            .order_by(OutcomeEventRow.occurred_at, OutcomeEventRow.id)
        ).all()
        out = PersonFile(
            made_at=dt.datetime.now(dt.UTC),
            made_by=actor.username,
            cpas=cpas.name if cpas is not None else row.cpas_id,
            profile=_profile(row),
            created_at=row.created_at,
            updated_at=row.updated_at,
            shortlists=_shortlists(session, row),
            outcomes=[OutcomeEvent.model_validate(p) for p in outcomes],
            pool_appearances=_pool_appearances(ctx, session, row),
            contact_requests=_contact_requests(session, row),
            job_days=_job_days(session, row),
        )
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.PERSON_FILE,
            tenant=row.cpas_id,
            subject=audit.pseudonym(ctx.pseudonym_key, row.cpas_id, row.external_id),
            inputs={"shortlists": len(out.shortlists), "outcomes": len(out.outcomes)},
        )
    return out

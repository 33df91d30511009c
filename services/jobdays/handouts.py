"""What people receive from a job day's plan: a stand's anonymised list for its employer,
and the convocations (French text with the time to arrive, the interviews, what to bring)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from data_contracts.models import BeneficiaryProfile, JobDay
from matching.candidates import rank_candidates
from matching.profile import ProfileView
from services.context import ServiceContext
from services.jobday_schemas import (
    Convocation,
    ConvocationItem,
    InterviewOut,
    StandInterview,
    StandList,
)
from services.jobdays.access import LOCAL_TIME, job_day_not_found, load_job_day, place_of
from services.jobdays.planning import current_plan, current_plan_row
from services.pool import requests_by_person
from services.pool_cards import Member, build_card, namespace
from services.tenancy import acting_cpas
from tremplin.actors import Principal, Role
from tremplin.anonymity import PersonFacts, fully_hidden, k_anonymous
from tremplin.errors import (
    NotFoundError,
    PolicyRefusedError,
)
from tremplin.french import french_day
from tremplin.store.models import (
    BeneficiaryRow,
    EmployerRow,
)

ARRIVE_EARLY_MINUTES = 15


BRING = (
    "votre carte d'identité",
    "plusieurs exemplaires de votre CV à jour",
    "votre permis de conduire si l'offre le demande",
    "de quoi noter (les employeurs donnent souvent un nom ou un numéro)",
)


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
        row, jd = load_job_day(session, actor, job_day_id)
        if not any(s.employer_id == employer_id for s in jd.stands):
            raise NotFoundError("stand introuvable", "stand not found")
        stored = current_plan_row(session, row)
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
        place=place_of(jd),
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
        _, jd = load_job_day(session, actor, job_day_id)
    by_person: dict[str, list[InterviewOut]] = {}
    for i in plan.interviews:
        who = i.participant if organiser else i.beneficiary_id
        if who and (beneficiary_id is None or who == beneficiary_id):
            by_person.setdefault(who, []).append(i)
    if beneficiary_id is not None and beneficiary_id not in by_person:
        raise NotFoundError(
            "cette personne n'a pas d'entretien à cette journée", "no interview for this person"
        )
    return [convocation_of(jd, person, items) for person, items in sorted(by_person.items())]


def convocation_of(jd: JobDay, person: str, items: list[InterviewOut]) -> Convocation:
    items = sorted(items, key=lambda i: i.starts_at)
    arrive = items[0].starts_at - dt.timedelta(minutes=ARRIVE_EARLY_MINUTES)
    where = place_of(jd)
    lines = [
        "Madame, Monsieur,",
        "",
        f"Vous êtes invité·e au « {jd.title} », le {french_day(jd.date)}, à {where}.",
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

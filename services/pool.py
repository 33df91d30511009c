"""The anonymised candidate pool: employers search it, ask to meet a card, coaches answer.

* **Who is in it**: the beneficiaries who consented (``consent.employer_pool``) of the CPAS
  that opened their pool to the employer (``Employer.partner_cpas``; a Maison de l'emploi: its
  partner CPAS). A withdrawal takes effect at the next search (nothing is cached) and closes
  the person's pending requests.
* **What a search shows**: cards (:class:`~services.pool_schemas.PoolCard`) ranked by
  :func:`matching.candidates.rank_candidates`, their quasi-identifiers generalised over the
  whole pool to k-anonymity, under a pseudonym stable for this employer only; at most
  :data:`~services.pool_schemas.POOL_DEPTH` cards per search, in pages, within a daily budget
  of distinct cards per employer (``pool_cards_per_day``), so the pool cannot be enumerated.
* **Contact**: an employer's request names a card; the person's coach sees who asks and why,
  and answers for the person (accept with what they share, or decline). Every search, request
  and answer is audited (pseudonyms only; no free text in the trail).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_contracts.enums import ContractType, OpportunityKind, OpportunitySource
from data_contracts.models import (
    BeneficiaryProfile,
    Employer,
    Occupation,
    Opportunity,
    Prerequisites,
    SkillRef,
    Workplace,
)
from matching.ad_coding import Ad
from matching.candidates import rank_candidates
from matching.catalogue import INFER_MIN_SCORE, OpportunityCatalogue
from matching.profile import ProfileView
from services.context import ServiceContext
from services.pool_cards import Member, build_card, namespace
from services.pool_schemas import (
    POOL_DEPTH,
    ContactDecision,
    ContactRequestIn,
    ContactRequestOut,
    ContactStatus,
    PoolNeed,
    PoolPage,
    SharedContact,
)
from services.tenancy import acting_cpas
from tremplin import audit
from tremplin.actors import Principal, Role
from tremplin.anonymity import PersonFacts, card_pseudonym, k_anonymous
from tremplin.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PolicyRefusedError,
    RateLimitedError,
)
from tremplin.store.models import (
    AuditRow,
    BeneficiaryRow,
    ContactRequestRow,
    EmployerRow,
    OpportunityRow,
)

NEED_SKILLS = 6  # core skills of the need's métier asked when the employer lists none


def _employer(session: Session, employer_id: str) -> Employer:
    row = session.scalars(select(EmployerRow).where(EmployerRow.external_id == employer_id)).first()
    if row is None:
        raise PolicyRefusedError(
            "employeur inconnu : un administrateur doit l'importer", "unknown employer"
        )
    return Employer.model_validate(row.payload)


def pool_scope(session: Session, actor: Principal) -> tuple[list[str], Employer | None]:
    """The CPAS whose consenting beneficiaries the caller may see, and its employer."""
    namespace(actor)
    if actor.role is Role.MAISON_EMPLOI:
        return sorted(actor.partner_cpas), None
    employer = _employer(session, actor.employer_id or "")
    return sorted(employer.partner_cpas), employer


def members(session: Session, cpas_ids: Sequence[str]) -> list[Member]:
    """The consenting beneficiaries of ``cpas_ids``, read now (a withdrawal counts at once)."""
    if not cpas_ids:
        return []
    rows = session.execute(
        select(BeneficiaryRow.id, BeneficiaryRow.cpas_id, BeneficiaryRow.payload)
        .where(BeneficiaryRow.cpas_id.in_(list(cpas_ids)), BeneficiaryRow.in_employer_pool)
        .order_by(BeneficiaryRow.id)
    ).all()
    return [Member(pk, cpas, BeneficiaryProfile.model_validate(p)) for pk, cpas, p in rows]


def _need(
    ctx: ServiceContext,
    session: Session,
    actor: Principal,
    body: PoolNeed,
    employer: Employer | None,
    cat: OpportunityCatalogue,
) -> Opportunity:
    """The need as an opportunity: the employer's own offer, or one built from the words."""
    if body.opportunity_id is not None:
        row = session.scalars(
            select(OpportunityRow).where(OpportunityRow.external_id == body.opportunity_id)
        ).first()
        if row is None or (
            actor.role is not Role.MAISON_EMPLOI
            and row.payload.get("employer_id") != (employer.id if employer else None)
        ):
            raise NotFoundError("offre introuvable", "offer not found")
        return Opportunity.model_validate(row.payload)
    code = body.rome_code
    if code is None and body.text:
        title, _, rest = body.text.strip().partition("\n")
        found = ctx.matching.ad_coder().code(Ad(title[:200], rest or body.text), top=1)
        code = found[0].code if found and found[0].probability >= INFER_MIN_SCORE else None
    if code is not None and code not in cat.taxonomy.metiers:
        raise InvalidRequestError(f"métier ROME inconnu : {code}", f"unknown ROME code {code}")
    skills = body.required_skills or (cat.taxonomy.core_skills(code)[:NEED_SKILLS] if code else [])
    unknown = [s for s in skills if s not in cat.taxonomy.skills]
    if unknown:
        raise InvalidRequestError(
            f"compétences inconnues : {', '.join(unknown[:5])}", "unknown skills"
        )
    postcode = body.postcode or (employer.location.postcode if employer else None)
    if postcode is None:
        raise InvalidRequestError("donnez le code postal du poste", "give the job's postcode")
    title = body.text or (cat.taxonomy.metiers[code].label if code else "besoin")
    return Opportunity(
        id="pool-need",
        kind=OpportunityKind.JOB_OFFER,
        title=title[:200],
        description=body.text or "",
        occupation=Occupation(rome_code=code),
        required_skills=[SkillRef(id=s) for s in skills],
        employer_id=employer.id if employer else None,
        location=Workplace(postcode=postcode),
        contract_type=ContractType.CDD,
        hours_per_week=body.hours_per_week,
        shifts=body.shifts,
        prerequisites=Prerequisites(
            driving_licence=body.driving_licence, french_level=body.french_level
        ),
        source=OpportunitySource.EMPLOYER,
    )


def _cards_today(session: Session, actor: Principal, now: dt.datetime) -> set[str]:
    """Distinct cards this caller was shown in the last 24 hours (from the audit trail)."""
    rows = session.scalars(
        select(AuditRow.returned_ids).where(
            AuditRow.action == audit.AuditAction.POOL_SEARCH.value,
            AuditRow.actor == actor.username,
            AuditRow.at >= now - dt.timedelta(days=1),
        )
    )
    return {card for ids in rows for card in ids}


def search_pool(ctx: ServiceContext, actor: Principal, body: PoolNeed, request_id: str) -> PoolPage:
    """Rank the caller's pool for a need; one page of k-anonymous cards (audited)."""
    space = namespace(actor)
    today = body.today or ctx.today()
    served = ctx.matching.current()
    cat = served.catalogue
    k = ctx.settings.pool_k
    with ctx.transaction() as session:
        scope, employer = pool_scope(session, actor)
        need = _need(ctx, session, actor, body, employer, cat)
        people = members(session, scope)
        requests = requests_by_person(session, space)
    shown = k_anonymous([PersonFacts.of(m.profile) for m in people], k)
    if shown is None:
        raise PolicyRefusedError(
            f"vivier trop petit pour rester anonyme (moins de {k} personnes) : "
            "élargissez les CPAS partenaires",
            f"pool too small to stay anonymous (fewer than {k} people)",
        )
    views = [ProfileView.of(m.profile, cat) for m in people]
    if cat.has_dense and cat.encoder is not None:
        ctx.matching.embed_queries(cat.encoder, views)
    ranked = rank_candidates(need, views, cat, today)[:POOL_DEPTH]
    page = ranked[body.offset : body.offset + body.limit]
    items = [build_card(ctx, cat, space, people[c.index], c, shown, today) for c in page]
    for item, c in zip(items, page, strict=True):
        state = requests.get(people[c.index].pk)
        if state is not None:
            item.contact, item.shared = state
    now = dt.datetime.now(dt.UTC)
    with ctx.transaction() as session:
        seen = _cards_today(session, actor, now)
        fresh = {i.card for i in items} - seen
        budget = ctx.settings.pool_cards_per_day
        if len(seen) + len(fresh) > budget:
            raise RateLimitedError(
                f"limite de {budget} profils consultés par jour atteinte : réessayez demain",
                f"daily limit of {budget} cards reached",
                retry_after=3600,
            )
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.POOL_SEARCH,
            versions=served.versions,
            inputs={
                "cpas": scope,
                "opportunity_id": body.opportunity_id,
                "rome_code": need.occupation.rome_code,
                "described": body.text is not None,
                "offset": body.offset,
                "limit": body.limit,
                "k": k,
                "smallest_group": shown.smallest_class,
                "matches": len(ranked),
            },
            returned_ids=[i.card for i in items],
        )
    code = need.occupation.rome_code
    return PoolPage(
        items=items,
        total=len(ranked),
        limit=body.limit,
        offset=body.offset,
        k=k,
        smallest_group=shown.smallest_class,
        metier=f"{code} {cat.taxonomy.metiers[code].label}" if code else None,
    )


def requests_by_person(
    session: Session, space: str
) -> dict[int, tuple[ContactStatus, SharedContact | None]]:
    """The latest request of ``space`` per person, with what was shared if accepted."""
    rows = session.scalars(
        select(ContactRequestRow)
        .where(ContactRequestRow.employer_id == space)
        .order_by(ContactRequestRow.created_at)
    )
    return {r.beneficiary_id: (ContactStatus(r.status), _shared(r)) for r in rows}


def _shared(row: ContactRequestRow) -> SharedContact | None:
    if row.status != ContactStatus.ACCEPTED.value or not row.shared:
        return None
    return SharedContact.model_validate(row.shared)


def find_member(ctx: ServiceContext, session: Session, actor: Principal, card: str) -> Member:
    """The pool member behind ``card`` for this caller (not found: absent, left, or not theirs)."""
    space = namespace(actor)
    scope, _ = pool_scope(session, actor)
    for m in members(session, scope):
        if card_pseudonym(ctx.pseudonym_key, space, m.cpas_id, m.profile.id) == card:
            return m
    raise NotFoundError("profil introuvable dans votre vivier", "card not found in your pool")


def request_contact(
    ctx: ServiceContext, actor: Principal, body: ContactRequestIn, request_id: str
) -> ContactRequestOut:
    """An employer asks to meet a card; the person's coach will answer (audited)."""
    space = namespace(actor)
    with ctx.transaction() as session:
        member = find_member(ctx, session, actor, body.card)
        pending = session.scalar(
            select(func.count())
            .select_from(ContactRequestRow)
            .where(
                ContactRequestRow.employer_id == space,
                ContactRequestRow.beneficiary_id == member.pk,
                ContactRequestRow.status == ContactStatus.PENDING.value,
            )
        )
        if pending:
            raise ConflictError(
                "une demande est déjà en attente pour ce profil", "a request is already pending"
            )
        row = ContactRequestRow(
            id=str(uuid.uuid4()),
            employer_id=space,
            requested_by=actor.username,
            cpas_id=member.cpas_id,
            beneficiary_id=member.pk,
            card=body.card,
            opportunity_id=body.opportunity_id,
            message=body.message,
            status=ContactStatus.PENDING.value,
            created_at=dt.datetime.now(dt.UTC),
            shared={},
        )
        session.add(row)
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.CONTACT_REQUEST,
            tenant=member.cpas_id,
            subject=audit.pseudonym(ctx.pseudonym_key, member.cpas_id, member.profile.id),
            inputs={"request_id": row.id, "card": body.card, "opportunity_id": body.opportunity_id},
        )
        return _out(session, row, for_coach=False)


def _out(session: Session, row: ContactRequestRow, for_coach: bool) -> ContactRequestOut:
    name = session.scalar(
        select(EmployerRow.name).where(EmployerRow.external_id == row.employer_id)
    )
    person = session.get(BeneficiaryRow, row.beneficiary_id) if for_coach else None
    title = (
        session.scalar(
            select(OpportunityRow.title).where(OpportunityRow.external_id == row.opportunity_id)
        )
        if row.opportunity_id
        else None
    )
    return ContactRequestOut(
        id=row.id,
        status=ContactStatus(row.status),
        card=row.card,
        employer_id=row.employer_id,
        employer_name=name,
        opportunity_id=row.opportunity_id,
        opportunity_title=title,
        message=row.message,
        created_at=row.created_at,
        decided_at=row.decided_at,
        beneficiary_id=person.external_id if person is not None else None,
        shared=_shared(row),
    )


def employer_requests(ctx: ServiceContext, actor: Principal) -> list[ContactRequestOut]:
    """The caller's contact requests, newest first (shared details once accepted)."""
    space = namespace(actor)
    with ctx.transaction() as session:
        rows = session.scalars(
            select(ContactRequestRow)
            .where(ContactRequestRow.employer_id == space)
            .order_by(ContactRequestRow.created_at.desc())
        )
        return [_out(session, r, for_coach=False) for r in rows]


def coach_requests(
    ctx: ServiceContext, actor: Principal, status: ContactStatus | None = None
) -> list[ContactRequestOut]:
    """The requests about the coach's CPAS's beneficiaries, newest first."""
    cpas = acting_cpas(actor)
    with ctx.transaction() as session:
        stmt = select(ContactRequestRow).where(ContactRequestRow.cpas_id == cpas)
        if status is not None:
            stmt = stmt.where(ContactRequestRow.status == status.value)
        rows = session.scalars(stmt.order_by(ContactRequestRow.created_at.desc()))
        return [_out(session, r, for_coach=True) for r in rows]


def decide(
    ctx: ServiceContext,
    actor: Principal,
    contact_id: str,
    body: ContactDecision,
    request_id: str,
) -> ContactRequestOut:
    """The coach answers a pending request for the person (audited)."""
    cpas = acting_cpas(actor)
    with ctx.transaction() as session:
        row = session.get(ContactRequestRow, contact_id)
        if row is None or row.cpas_id != cpas:
            raise NotFoundError("demande introuvable", "contact request not found")
        if row.status != ContactStatus.PENDING.value:
            raise ConflictError(
                f"demande déjà close ({row.status})", f"request already closed ({row.status})"
            )
        row.status = (ContactStatus.ACCEPTED if body.accept else ContactStatus.DECLINED).value
        row.shared = body.shared.model_dump(exclude_none=True) if body.shared else {}
        row.decided_at = dt.datetime.now(dt.UTC)
        row.decided_by = actor.username
        person = session.get(BeneficiaryRow, row.beneficiary_id)
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.CONTACT_DECISION,
            tenant=cpas,
            subject=audit.pseudonym(ctx.pseudonym_key, cpas, person.external_id)
            if person
            else None,
            inputs={"request_id": row.id, "accepted": body.accept},
        )
        session.flush()
        return _out(session, row, for_coach=True)


def close_requests_of(session: Session, beneficiary_pk: int) -> int:
    """Withdraw a person's pending requests (they left the pool); how many were closed."""
    rows = list(
        session.scalars(
            select(ContactRequestRow).where(
                ContactRequestRow.beneficiary_id == beneficiary_pk,
                ContactRequestRow.status == ContactStatus.PENDING.value,
            )
        )
    )
    now = dt.datetime.now(dt.UTC)
    for row in rows:
        row.status = ContactStatus.WITHDRAWN.value
        row.decided_at = now
    return len(rows)

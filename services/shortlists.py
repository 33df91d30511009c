"""The shortlist use case, one way for every entry point (API, pages, command line).

:func:`create_shortlist` does the whole request: the actor's tenancy, the person (stored or
ad hoc), one read of the served engine (catalogue, champion re-ranker and versions together),
the ranking, and, in one transaction, the history row (stored people) and the audit record
(every shortlist, EU AI Act record-keeping).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from data_contracts.models import BeneficiaryProfile
from data_contracts.versions import Versions
from matching.shortlist import Shortlist, shortlist
from services.context import ServiceContext
from services.schemas import Page, ShortlistRequest, ShortlistResponse, ShortlistSummary
from services.tenancy import acting_cpas, beneficiary_not_found, in_tenant, owned_row
from tremplin import audit
from tremplin.actors import Principal
from tremplin.errors import InvalidRequestError, NotFoundError
from tremplin.store import repository as repo
from tremplin.store.models import ShortlistRow


def create_shortlist(
    ctx: ServiceContext, actor: Principal, request: ShortlistRequest, request_id: str
) -> ShortlistResponse:
    """Rank opportunities for a stored beneficiary of the actor's CPAS or an ad-hoc profile
    (not stored), with the served engine; audited, and kept in a stored person's history."""
    if (request.beneficiary_id is None) == (request.profile is None):
        raise InvalidRequestError(
            "donnez beneficiary_id ou profile, pas les deux", "give beneficiary_id or profile"
        )
    cpas = acting_cpas(actor)
    pk: int | None = None  # the stored beneficiary's row
    with ctx.transaction() as session:
        if request.beneficiary_id is not None:
            row = owned_row(session, actor, request.beneficiary_id)
            pk = row.id
            profile = BeneficiaryProfile.model_validate(row.payload)
        else:
            profile = in_tenant(request.profile, cpas, BeneficiaryProfile)
    today = request.today or ctx.today()
    served = ctx.matching.current()  # read once: catalogue, re-ranker, versions together
    result = shortlist(
        profile,
        served.catalogue,
        top=request.top,
        kinds=frozenset(request.kinds),
        today=today,
        with_pathways=request.with_pathways,
        reranker=served.reranker,
    )
    versions = served.versions.model_copy(update={"ranker_version": result.ranker})
    response = ShortlistResponse(
        id=str(uuid.uuid4()),
        created_at=dt.datetime.now(dt.UTC),
        stored=pk is not None,
        shortlist=result,
        **versions.model_dump(),
    )
    try:
        _store(ctx, actor, request, profile.id, response, versions, pk, request_id, today)
    except IntegrityError:  # erased meanwhile: the history row has no person to belong to
        if pk is None:
            raise
        raise beneficiary_not_found() from None
    return response


def returned_ids(result: Shortlist) -> list[str]:
    """Every opportunity a shortlist shows (ranked items, then the per-kind lists)."""
    ids = [i.opportunity_id for i in result.items]
    seen = set(ids)
    for items in result.by_kind.values():
        for item in items:
            if item.opportunity_id not in seen:
                ids.append(item.opportunity_id)
                seen.add(item.opportunity_id)
    return ids


def _store(
    ctx: ServiceContext,
    actor: Principal,
    request: ShortlistRequest,
    person_id: str,
    response: ShortlistResponse,
    versions: Versions,
    pk: int | None,
    request_id: str,
    today: dt.date,
) -> None:
    """Keep the shortlist in the person's history (stored profiles) and audit it, together."""
    cpas = acting_cpas(actor)
    result = response.shortlist
    with ctx.transaction() as session:
        if pk is not None:
            session.add(
                ShortlistRow(
                    id=response.id,
                    cpas_id=cpas,
                    beneficiary_id=pk,
                    created_at=response.created_at,
                    created_by=actor.username,
                    engine_version=versions.engine_version,
                    model_version=versions.model_version,
                    ranker_version=versions.ranker_version,
                    payload=result.model_dump(mode="json"),
                )
            )
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.SHORTLIST,
            tenant=cpas,
            subject=audit.pseudonym(ctx.pseudonym_key, cpas, person_id),
            versions=versions,
            inputs={
                "shortlist_id": response.id,
                "source": "stored" if pk is not None else "ad_hoc",
                "top": request.top,
                "kinds": sorted(k.value for k in request.kinds),
                "today": today.isoformat(),
            },
            returned_ids=returned_ids(result),
        )


def read_shortlist(ctx: ServiceContext, actor: Principal, shortlist_id: str) -> ShortlistResponse:
    """An earlier shortlist of one of the actor's CPAS's beneficiaries."""
    with ctx.transaction() as session:
        row = session.get(ShortlistRow, shortlist_id)
        if row is None or row.cpas_id != acting_cpas(actor):
            raise NotFoundError("liste de propositions introuvable", "shortlist not found")
        return ShortlistResponse(
            id=row.id,
            created_at=row.created_at,
            stored=True,
            engine_version=row.engine_version,
            model_version=row.model_version,
            index_version=None,
            ranker_version=row.ranker_version or "fusion",
            shortlist=Shortlist.model_validate(row.payload),
        )


def shortlist_history(
    ctx: ServiceContext, actor: Principal, beneficiary_id: str, limit: int, offset: int
) -> Page[ShortlistSummary]:
    """A page of a beneficiary's earlier shortlists, newest first."""
    limit = min(limit, ctx.settings.max_page_size)
    with ctx.transaction() as session:
        row = owned_row(session, actor, beneficiary_id)
        stmt = select(ShortlistRow).where(ShortlistRow.beneficiary_id == row.id)
        rows, total = repo.page(
            session, stmt, limit, offset, ShortlistRow.created_at.desc(), ShortlistRow.id
        )
        items = [
            ShortlistSummary(
                id=r.id,
                created_at=r.created_at,
                created_by=r.created_by,
                engine_version=r.engine_version,
                model_version=r.model_version,
                ranker_version=r.ranker_version or "fusion",
                opportunity_ids=[i["opportunity_id"] for i in r.payload.get("items", [])],
                titles=[i["title"] for i in r.payload.get("items", [])],
            )
            for r in rows
        ]
    return Page[ShortlistSummary](items=items, total=total, limit=limit, offset=offset)

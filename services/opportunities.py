"""Opportunities as people publish, look for and bring them in: create, replace and withdraw
one offer, search what the actor may see, read one, and bulk import with the per-row report
(one way for the API, the CLI and the pages).

Visibility: Maisons de l'emploi see every offer; employers only their own; coaches every offer
except those reserved for another CPAS. What a caller may not see is "not found".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_contracts.enums import OpportunityKind
from data_contracts.models import Contract, Opportunity
from data_contracts.readers import SUPPORTED, FileFormatError
from data_contracts.types import RomeCode
from matching.ad_coding import CodedMetier
from matching.browse import Visibility
from matching.skill_text import skill_reader, with_skills_from_text
from services import linking
from services.context import ServiceContext
from services.tenancy import visible
from tremplin import audit
from tremplin.actors import Principal, Role
from tremplin.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PolicyRefusedError,
    UnknownCpasError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from tremplin.feeds import FEED_SUFFIXES, FeedFormat
from tremplin.ingest import ImportKind, ImportReport, import_file
from tremplin.store import repository as repo
from tremplin.store.models import OpportunityRow
from tremplin.taxonomy import load_taxonomy

FEED_LABELS = {
    FeedFormat.TABLE: "aux colonnes de Tremplin (CSV, JSON Lines, Parquet)",
    FeedFormat.FRANCE_TRAVAIL: "France Travail (API Offres d'emploi)",
    FeedFormat.FOREM: "du Forem (open data)",
}


def opportunity_not_found() -> NotFoundError:
    """What a caller gets for an opportunity that does not exist or that they may not see."""
    return NotFoundError("opportunité introuvable", "opportunity not found")


def visible_row(session: Session, actor: Principal, opportunity_id: str) -> OpportunityRow:
    """The stored opportunity ``actor`` may see (not found otherwise, like one that does not
    exist)."""
    row: OpportunityRow | None = session.scalar(
        visible(select(OpportunityRow), actor).where(OpportunityRow.external_id == opportunity_id)
    )
    if row is None:
        raise opportunity_not_found()
    return row


def opportunity_titles(
    ctx: ServiceContext, actor: Principal, opportunity_ids: list[str]
) -> dict[str, str]:
    """The titles of the opportunities ``actor`` may see among ``opportunity_ids`` (what lists
    show instead of ids)."""
    if not opportunity_ids:
        return {}
    stmt = visible(select(OpportunityRow.external_id, OpportunityRow.title), actor).where(
        OpportunityRow.external_id.in_(sorted(set(opportunity_ids)))
    )
    with ctx.transaction() as session:
        return {ext: title for ext, title in session.execute(stmt)}


def write_opportunity(
    ctx: ServiceContext,
    actor: Principal,
    o: Opportunity,
    request_id: str,
    *,
    creating: bool,
    path_id: str | None = None,
) -> Opportunity:
    """Publish a new opportunity (``creating``) or replace one the actor may see; an employer
    writes only their own offers; audited; the served catalogue refreshes."""
    if path_id is not None and o.id != path_id:
        raise InvalidRequestError(
            "l'id du corps diffère de celui du chemin", "body id differs from path id"
        )
    if actor.role is Role.EMPLOYER and o.employer_id != actor.employer_id:
        raise PolicyRefusedError(
            "un employeur ne publie que ses propres offres : indiquez votre employer_id",
            "an employer writes only their own offers",
        )
    with ctx.transaction() as session:
        existing = session.scalar(
            visible(select(OpportunityRow), actor).where(OpportunityRow.external_id == o.id)
        )
        anyone = session.scalar(select(OpportunityRow.id).where(OpportunityRow.external_id == o.id))
        if creating and anyone is not None:
            raise ConflictError("cette opportunité existe déjà", "already exists")
        if not creating and existing is None:
            raise opportunity_not_found()
        if o.reserved_for_cpas and o.reserved_for_cpas not in repo.known_cpas(session):
            raise UnknownCpasError("CPAS inconnu", "unknown CPAS")
        repo.upsert_opportunities(session, [o])
        if existing is not None and not existing.active:
            existing.active = True
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.OPPORTUNITY_WRITE,
            inputs={"operation": "create" if creating else "replace"},
            returned_ids=[o.id],
        )
    ctx.matching.refresh_soon()
    return o


def expire_opportunity(
    ctx: ServiceContext, actor: Principal, opportunity_id: str, request_id: str
) -> Opportunity:
    """Withdraw an opportunity on the request's date (it leaves every shortlist and the
    index); audited."""
    today = ctx.today()
    with ctx.transaction() as session:
        row = visible_row(session, actor, opportunity_id)
        o = Opportunity.model_validate(row.payload)
        valid_from = o.valid_from if o.valid_from and o.valid_from <= today else None
        expired = Opportunity.model_validate(
            {**o.model_dump(), "valid_until": today, "valid_from": valid_from}
        )
        repo.upsert_opportunities(session, [expired])
        row.active = False
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.OPPORTUNITY_WRITE,
            inputs={"operation": "expire"},
            returned_ids=[opportunity_id],
        )
    ctx.matching.refresh_soon()
    return expired


class OpportunityQuery(BaseModel):
    """What to look for among the opportunities the actor may see."""

    q: str | None = Field(default=None, max_length=200)
    kind: OpportunityKind | None = None
    rome_code: RomeCode | None = None
    postcode: int | None = Field(default=None, ge=1000, le=9999)
    include_inactive: bool = False


def search_opportunities(
    ctx: ServiceContext, actor: Principal, query: OpportunityQuery, limit: int, offset: int
) -> tuple[list[Opportunity], int]:
    """A page of the opportunities ``actor`` may see that match ``query``: from the served
    catalogue (no table scan) for active ones, from the store otherwise."""
    limit = min(limit, ctx.settings.max_page_size)
    browser = ctx.matching.current_browser()
    if browser is not None and not query.include_inactive:
        positions, total = browser.search(
            (query.q or "").split(),
            Visibility(
                employer_id=actor.employer_id,
                cpas_id=actor.cpas_id if actor.role is Role.COACH else None,
                employer_only=actor.role is Role.EMPLOYER,
            ),
            kind=query.kind,
            rome_code=query.rome_code,
            postcode=query.postcode,
            limit=limit,
            offset=offset,
        )
        return [browser.cat.opportunities[p] for p in positions], total
    stmt = visible(select(OpportunityRow), actor)
    if not query.include_inactive:
        stmt = stmt.where(OpportunityRow.active.is_(True))
    if query.kind is not None:
        stmt = stmt.where(OpportunityRow.kind == query.kind.value)
    if query.rome_code is not None:
        stmt = stmt.where(OpportunityRow.rome_code == query.rome_code)
    if query.postcode is not None:
        stmt = stmt.where(OpportunityRow.postcode == query.postcode)
    for word in (query.q or "").split()[:8]:
        stmt = stmt.where(OpportunityRow.title.ilike(f"%{repo.like_escaped(word)}%", escape="\\"))
    with ctx.transaction() as session:
        rows, total = repo.page(session, stmt, limit, offset, OpportunityRow.external_id)
        return [Opportunity.model_validate(r.payload) for r in rows], total


def check_format(filename: str, feed: FeedFormat | None = FeedFormat.TABLE) -> str:
    """The file's suffix, when it is a format the import reads (unsupported otherwise);
    ``feed`` None: any format, to be recognised from the file."""
    suffix = Path(filename).suffix.lower()
    if feed is None:
        if suffix not in (*SUPPORTED, *FEED_SUFFIXES):
            raise UnsupportedFormatError(
                "format non pris en charge : envoyez un fichier JSON du Forem ou de France "
                f"Travail, ou un fichier {', '.join(SUPPORTED)} aux colonnes de Tremplin",
                "unsupported format",
            )
        return suffix
    if feed is not FeedFormat.TABLE:
        if suffix not in FEED_SUFFIXES:
            raise UnsupportedFormatError(
                f"un fichier {FEED_LABELS[feed]} est en JSON : envoyez un fichier "
                f"{', '.join(FEED_SUFFIXES)}",
                f"a {feed.value} feed is JSON: send {', '.join(FEED_SUFFIXES)}",
            )
        return suffix
    if suffix not in SUPPORTED:
        raise UnsupportedFormatError(
            f"format non pris en charge : utilisez {', '.join(SUPPORTED)}",
            f"unsupported format: use {', '.join(SUPPORTED)}",
        )
    return suffix


def import_opportunities(
    ctx: ServiceContext,
    actor: Principal,
    path: Path,
    filename: str,
    skip_invalid: bool,
    request_id: str,
    progress: Callable[[str, float], None] | None = None,
    feed: FeedFormat = FeedFormat.TABLE,
) -> ImportReport:
    """Validate and store a file of opportunities (a file with any bad row stores nothing
    unless ``skip_invalid``); audited; the served catalogue refreshes when rows were stored.
    ``progress(step, fraction)`` hears each stage."""
    report_step = progress or (lambda step, fraction: None)
    report_step("lecture et validation des lignes", 0.1)
    try:
        report = import_file(
            path,
            ImportKind.OPPORTUNITIES,
            ctx.factory,
            skip_invalid,
            feed=feed,
            today=ctx.settings.today(),
            enrich=skills_from_text,
        )
    except FileFormatError as exc:  # the reader's own words say what to fix
        raise UnreadableFileError(str(exc)) from None
    report.file = filename
    report_step("journal d'audit", 0.8)
    with ctx.transaction() as session:
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.IMPORT,
            inputs={
                "kind": "opportunities",
                "format": feed.value,
                "rows": report.total_rows,
                "stored": report.stored,
                "inserted": report.inserted,
                "updated": report.updated,
                "errors": len(report.row_errors) + len(report.file_errors),
            },
        )
    if report.stored and report.uncoded_ids:
        report_step("lecture du métier des offres sans code ROME", 0.85)
        with ctx.transaction() as session:
            uncoded = repo.opportunities_by_external_id(session, report.uncoded_ids)
        report.coded = linking.inferred_occupations(
            ctx, [(o.id, o.title, o.description) for o in uncoded]
        )
    if report.stored:
        report_step("mise à jour du catalogue servi", 0.9)
        ctx.matching.refresh_soon()
    return report


def skills_from_text(row: Contract) -> Contract:
    """An imported offer that lists no skill gets those its title and description name, with
    the words they came from (every import of offers, whatever the shell)."""
    if not isinstance(row, Opportunity):
        return row
    return with_skills_from_text(row, skill_reader(load_taxonomy()))


class OpportunityView(Opportunity):
    """An opportunity as the API shows it: the stored offer and, when it came without a ROME
    code, the métiers read from its title and description with their probabilities."""

    inferred_metiers: list[CodedMetier] = Field(
        default_factory=list,
        description="Empty when the source gave the code (or the offer is not served).",
    )


def read_opportunity(ctx: ServiceContext, actor: Principal, opportunity_id: str) -> OpportunityView:
    """One opportunity ``actor`` may see (404 otherwise), with the métiers read from the ad
    when it came uncoded (from the served catalogue)."""
    with ctx.transaction() as session:
        row = visible_row(session, actor, opportunity_id)
        payload = row.payload
    view = OpportunityView.model_validate(payload)
    served = ctx.matching.served
    if served is not None and not view.occupation.rome_code:
        cat = served.catalogue
        position = cat.by_external_id.get(opportunity_id)
        if position is not None:
            tax = cat.taxonomy
            view.inferred_metiers = [
                CodedMetier(code=code, label=tax.metiers[code].label, probability=prob)
                for code, prob in cat.inferred_occupations.get(position, [])
            ]
    return view

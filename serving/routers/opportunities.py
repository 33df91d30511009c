"""Opportunities: create, replace, expire, bulk import, search, read.

Visibility: Maisons de l'emploi see every offer; employers only their own; coaches every offer
except those reserved for another CPAS. What a caller may not see answers 404.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy import select

from data_contracts.enums import OpportunityKind
from data_contracts.models import Opportunity
from data_contracts.types import RomeCode
from services import opportunities
from services.schemas import Message, Page
from services.tenancy import visible
from serving.deps import Caller, Flag, State, forbidden, request_id, roles
from serving.state import ServiceState
from tremplin import audit
from tremplin.actors import Principal, Role
from tremplin.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    UnknownCpasError,
)
from tremplin.feeds import FeedFormat
from tremplin.ingest import ImportReport
from tremplin.store import repository as repo
from tremplin.store.models import OpportunityRow

router = APIRouter(prefix="/api/v1/opportunities", tags=["opportunités / opportunities"])
WRITERS = (Role.MAISON_EMPLOI, Role.EMPLOYER)
READERS = (Role.COACH, Role.MAISON_EMPLOI, Role.EMPLOYER)
R404: dict[int | str, dict[str, Any]] = {404: {"model": Message}}


def _not_found() -> NotFoundError:
    return NotFoundError("opportunité introuvable", "opportunity not found")


def _check_owner(principal: Principal, o: Opportunity) -> None:
    if principal.role is Role.EMPLOYER and o.employer_id != principal.employer_id:
        raise forbidden()


def _write(state: ServiceState, principal: Principal, o: Opportunity, creating: bool) -> None:
    with state.transaction() as session:
        existing = session.scalar(
            visible(select(OpportunityRow), principal).where(OpportunityRow.external_id == o.id)
        )
        anyone = session.scalar(select(OpportunityRow.id).where(OpportunityRow.external_id == o.id))
        if creating and anyone is not None:
            raise ConflictError("cette opportunité existe déjà", "already exists")
        if not creating and existing is None:
            raise _not_found()
        if o.reserved_for_cpas and o.reserved_for_cpas not in repo.known_cpas(session):
            raise UnknownCpasError("CPAS inconnu", "unknown CPAS")
        repo.upsert_opportunities(session, [o])
        if existing is not None and not existing.active:
            existing.active = True
        audit.record(
            session,
            principal,
            request_id(),
            audit.AuditAction.OPPORTUNITY_WRITE,
            inputs={"operation": "create" if creating else "replace"},
            returned_ids=[o.id],
        )
    state.matching.refresh_soon()


@router.post(
    "",
    status_code=201,
    response_model=Opportunity,
    responses={403: {"model": Message}, 409: {"model": Message}},
    **roles(*WRITERS),
)
def create_opportunity(body: Opportunity, state: State, principal: Caller) -> Opportunity:
    """Publish a new offer, internship place or training module."""
    _check_owner(principal, body)
    _write(state, principal, body, creating=True)
    return body


@router.put(
    "/{opportunity_id}",
    response_model=Opportunity,
    responses={**R404, 403: {"model": Message}},
    **roles(*WRITERS),
)
def replace_opportunity(
    opportunity_id: str, body: Opportunity, state: State, principal: Caller
) -> Opportunity:
    """Replace an opportunity (the body's id must be the path's)."""
    if body.id != opportunity_id:
        raise InvalidRequestError(
            "l'id du corps diffère de celui du chemin", "body id differs from path id"
        )
    _check_owner(principal, body)
    _write(state, principal, body, creating=False)
    return body


@router.post(
    "/{opportunity_id}/expire", response_model=Opportunity, responses=R404, **roles(*WRITERS)
)
def expire_opportunity(opportunity_id: str, state: State, principal: Caller) -> Opportunity:
    """Withdraw an opportunity now (it leaves every shortlist and the index)."""
    today = dt.date.today()
    with state.transaction() as session:
        row = session.scalar(
            visible(select(OpportunityRow), principal).where(
                OpportunityRow.external_id == opportunity_id
            )
        )
        if row is None:
            raise _not_found()
        o = Opportunity.model_validate(row.payload)
        valid_from = o.valid_from if o.valid_from and o.valid_from <= today else None
        expired = Opportunity.model_validate(
            {**o.model_dump(), "valid_until": today, "valid_from": valid_from}
        )
        repo.upsert_opportunities(session, [expired])
        row.active = False
        audit.record(
            session,
            principal,
            request_id(),
            audit.AuditAction.OPPORTUNITY_WRITE,
            inputs={"operation": "expire"},
            returned_ids=[opportunity_id],
        )
    state.matching.refresh_soon()
    return expired


@router.post(
    "/import",
    response_model=ImportReport,
    responses={
        415: {"model": Message},
        422: {
            "description": "Lignes refusées (rapport) ou fichier illisible / rows refused "
            "(report) or unreadable file",
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/ImportReport"},
                            {"$ref": "#/components/schemas/HTTPValidationError"},
                        ]
                    }
                }
            },
        },
    },
    **roles(Role.MAISON_EMPLOI),
)
def import_opportunities(
    file: UploadFile,
    state: State,
    principal: Caller,
    skip_invalid: Flag = False,
    format: Annotated[
        FeedFormat,
        Query(
            description="table: the contract's columns (CSV, JSON Lines, Parquet); "
            "france-travail: France Travail's API JSON; forem: Le Forem's open-data offers."
        ),
    ] = FeedFormat.TABLE,
) -> Any:
    """Bulk import (CSV, JSON Lines, Parquet, or a France Travail / Forem feed in JSON) with
    the CLI's validation and per-row report.

    A file with any bad row stores nothing (422 with the report), unless ``skip_invalid``.
    """
    suffix = opportunities.check_format(file.filename or "", format)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(file.file.read())
        report = opportunities.import_opportunities(
            state,
            principal,
            path,
            file.filename or path.name,
            skip_invalid,
            request_id(),
            feed=format,
        )
    if report.stored:
        return report
    return JSONResponse(report.model_dump(mode="json"), status_code=422)


@router.get("", response_model=Page[Opportunity], **roles(*READERS))
def search_opportunities(
    state: State,
    principal: Caller,
    q: Annotated[str | None, Query(max_length=200, description="Words of the title.")] = None,
    kind: OpportunityKind | None = None,
    rome_code: RomeCode | None = None,
    postcode: Annotated[int | None, Query(ge=1000, le=9999)] = None,
    include_inactive: Flag = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    """Search the opportunities the caller may see (title words, kind, métier, postcode)."""
    limit = min(limit, state.settings.max_page_size)
    query = opportunities.OpportunityQuery(
        q=q, kind=kind, rome_code=rome_code, postcode=postcode, include_inactive=include_inactive
    )
    items, total = opportunities.search_opportunities(state, principal, query, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/{opportunity_id}",
    response_model=opportunities.OpportunityView,
    responses=R404,
    **roles(*READERS),
)
def read_opportunity(opportunity_id: str, state: State, principal: Caller) -> Any:
    """One opportunity the caller may see; an offer that came without a ROME code shows the
    métiers read from its title and description (``inferred_metiers``, with probabilities)."""
    return opportunities.read_opportunity(state, principal, opportunity_id)

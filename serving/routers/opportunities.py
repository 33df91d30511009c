"""Opportunities over HTTP: create, replace, expire, bulk import, search, read (the use cases
and their visibility rules live in :mod:`services.opportunities`; what a caller may not see
answers 404)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, UploadFile
from fastapi.responses import JSONResponse

from data_contracts.enums import OpportunityKind
from data_contracts.models import Opportunity
from data_contracts.types import RomeCode
from services import opportunities
from services.schemas import Message, Page
from serving.deps import Caller, Flag, State, request_id, roles
from tremplin.actors import Role
from tremplin.feeds import FeedFormat
from tremplin.ingest import ImportReport

router = APIRouter(prefix="/api/v1/opportunities", tags=["opportunités / opportunities"])
WRITERS = (Role.MAISON_EMPLOI, Role.EMPLOYER)
READERS = (Role.COACH, Role.MAISON_EMPLOI, Role.EMPLOYER)
R404: dict[int | str, dict[str, Any]] = {404: {"model": Message}}


@router.post(
    "",
    status_code=201,
    response_model=Opportunity,
    responses={403: {"model": Message}, 409: {"model": Message}},
    **roles(*WRITERS),
)
def create_opportunity(body: Opportunity, state: State, principal: Caller) -> Opportunity:
    """Publish a new offer, internship place or training module."""
    return opportunities.write_opportunity(state, principal, body, request_id(), creating=True)


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
    return opportunities.write_opportunity(
        state, principal, body, request_id(), creating=False, path_id=opportunity_id
    )


@router.post(
    "/{opportunity_id}/expire", response_model=Opportunity, responses=R404, **roles(*WRITERS)
)
def expire_opportunity(opportunity_id: str, state: State, principal: Caller) -> Opportunity:
    """Withdraw an opportunity now (it leaves every shortlist and the index)."""
    return opportunities.expire_opportunity(state, principal, opportunity_id, request_id())


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

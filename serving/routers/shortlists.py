"""Shortlists: the matching engine's ranked opportunities, reasons and pathways.

Every shortlist is audited (who, tenant, pseudonym, versions, returned ids); a shortlist for a
stored beneficiary is also kept in their history (erased with them).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Response, status
from sqlalchemy.exc import IntegrityError

from data_contracts.models import BeneficiaryProfile
from matching.shortlist import EmptyProfileError, Shortlist, shortlist
from serving import audit
from serving.deps import Caller, State, coach_tenant, request_id, roles
from serving.matching_service import NotReadyError, Versions
from serving.roles import Principal, Role
from serving.routers.beneficiaries import NOT_FOUND, R404, owned_row, to_profile
from serving.schemas import Message, ShortlistRequest, ShortlistResponse
from serving.state import ServiceState
from tremplin.store.models import ShortlistRow

router = APIRouter(prefix="/api/v1/shortlists", tags=["shortlists"])


def _compute(
    state: ServiceState, principal: Principal, body: ShortlistRequest
) -> ShortlistResponse:
    cpas = coach_tenant(principal)
    if (body.beneficiary_id is None) == (body.profile is None):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "donnez beneficiary_id ou profile, pas les deux / give beneficiary_id or profile, "
            "not both",
        )
    pk: int | None = None  # the stored beneficiary's row
    with state.transaction() as session:
        if body.beneficiary_id is not None:
            row = owned_row(session, principal, body.beneficiary_id)
            pk = row.id
            profile = BeneficiaryProfile.model_validate(row.payload)
        else:
            profile = to_profile(body.profile, cpas)
    try:
        served = state.matching.current()  # read once: catalogue, re-ranker, versions together
    except NotReadyError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
    versions = served.versions
    try:
        result: Shortlist = shortlist(
            profile,
            served.catalogue,
            top=body.top,
            kinds=frozenset(body.kinds),
            today=body.today,
            with_pathways=body.with_pathways,
            reranker=served.reranker,
        )
    except EmptyProfileError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    response = ShortlistResponse(
        id=str(uuid.uuid4()),
        created_at=dt.datetime.now(dt.UTC),
        stored=body.beneficiary_id is not None,
        engine_version=versions.engine,
        model_version=versions.model,
        index_version=versions.index,
        ranker_version=result.ranker,
        shortlist=result,
    )
    returned = [i.opportunity_id for i in result.items]
    for items in result.by_kind.values():
        returned += [i.opportunity_id for i in items if i.opportunity_id not in returned]
    try:
        _store(state, principal, body, profile.id, response, versions, pk, returned)
    except IntegrityError:  # erased meanwhile: the history row has no person to belong to
        if pk is None:
            raise
        raise NOT_FOUND from None
    state.metrics.shortlists.labels("stored" if body.beneficiary_id else "ad_hoc").inc()
    return response


def _store(
    state: ServiceState,
    principal: Principal,
    body: ShortlistRequest,
    person_id: str,
    response: ShortlistResponse,
    versions: Versions,
    pk: int | None,
    returned: list[str],
) -> None:
    """Keep the shortlist in the person's history (stored profiles) and audit it, together."""
    cpas = coach_tenant(principal)
    result = response.shortlist
    with state.transaction() as session:
        if pk is not None:
            session.add(
                ShortlistRow(
                    id=response.id,
                    cpas_id=cpas,
                    beneficiary_id=pk,
                    created_at=response.created_at,
                    created_by=principal.username,
                    engine_version=versions.engine,
                    model_version=versions.model,
                    ranker_version=result.ranker,
                    payload=result.model_dump(mode="json"),
                )
            )
        audit.record(
            session,
            principal,
            request_id(),
            audit.AuditAction.SHORTLIST,
            tenant=cpas,
            subject=audit.pseudonym(state.pseudonym_key, cpas, person_id),
            versions=versions.as_dict(),
            inputs={
                "shortlist_id": response.id,
                "source": "stored" if body.beneficiary_id else "ad_hoc",
                "top": body.top,
                "kinds": sorted(k.value for k in body.kinds),
                "today": (body.today or dt.date.today()).isoformat(),
            },
            returned_ids=returned,
        )


@router.post(
    "",
    response_model=ShortlistResponse,
    responses={404: {"model": Message}, 429: {"model": Message}, 503: {"model": Message}},
    **roles(Role.COACH, search=True),
)
async def create_shortlist(body: ShortlistRequest, state: State, principal: Caller) -> Any:
    """Rank opportunities for a stored beneficiary or an ad-hoc profile (not stored)."""
    try:
        result = await asyncio.wait_for(
            state.compute(_compute, state, principal, body),
            timeout=state.settings.request_timeout_s,
        )
        # serialised once by pydantic (the model is the documented response_model already)
        return Response(result.model_dump_json(), media_type="application/json")
    except TimeoutError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "délai dépassé, réessayez / timed out, retry",
        ) from None


@router.get(
    "/{shortlist_id}", response_model=ShortlistResponse, responses=R404, **roles(Role.COACH)
)
def read_shortlist(shortlist_id: str, state: State, principal: Caller) -> Any:
    """An earlier shortlist of one of the CPAS's beneficiaries."""
    with state.transaction() as session:
        row = session.get(ShortlistRow, shortlist_id)
        if row is None or row.cpas_id != coach_tenant(principal):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "shortlist introuvable / not found")
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

"""Administration: users and roles, API keys, the served model, the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from services import audit_trail, models
from services.schemas import (
    ApiKeyIn,
    ApiKeyOut,
    Message,
    ModelInfo,
    Page,
    UserIn,
    UserOut,
    UserPatch,
)
from serving import accounts
from serving.deps import Caller, State, request_id, roles
from tremplin import audit
from tremplin.actors import Role

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])
ADMIN = roles(Role.ADMIN)
R404: dict[int | str, dict[str, Any]] = {404: {"model": Message}}


@router.get("/users", response_model=Page[UserOut], **ADMIN)
def list_users(
    state: State,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    """A page of users."""
    return accounts.list_users(state, limit, offset)


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    responses={409: {"model": Message}},
    **ADMIN,
)
def create_user(body: UserIn, state: State, principal: Caller) -> UserOut:
    """Create a user with a role (coaches need a CPAS, employers an employer id)."""
    return accounts.add_user(state, principal, body, request_id())


@router.patch("/users/{username}", response_model=UserOut, responses=R404, **ADMIN)
def update_user(username: str, body: UserPatch, state: State, principal: Caller) -> UserOut:
    """Deactivate or reactivate a user, or reset their password (revokes their tokens)."""
    return accounts.change_user(state, principal, username, body, request_id())


@router.post(
    "/users/{username}/api-keys",
    status_code=201,
    response_model=ApiKeyOut,
    responses=R404,
    **ADMIN,
)
def create_api_key(username: str, body: ApiKeyIn, state: State, principal: Caller) -> ApiKeyOut:
    """A new API key for a feed (shown once; acts with the user's role and scope)."""
    return accounts.add_api_key(state, principal, username, body, request_id())


@router.post("/users/{username}/revoke", response_model=dict[str, int], responses=R404, **ADMIN)
def revoke_credentials(username: str, state: State, principal: Caller) -> dict[str, int]:
    """Revoke every token and API key of a user."""
    return {"revoked": accounts.revoke_credentials(state, principal, username, request_id())}


@router.get("/model", response_model=ModelInfo, **ADMIN)
def model_info(state: State) -> ModelInfo:
    """The engine, encoder and index versions now served."""
    return state.matching.info()


@router.post(
    "/model/reload", response_model=ModelInfo, responses={503: {"model": Message}}, **ADMIN
)
async def reload_model(state: State, principal: Caller) -> ModelInfo:
    """Load the configured model and the opportunities again, then swap them in (requests
    in flight finish on the previous engine; none is dropped)."""
    return await run_in_threadpool(models.reload_engine, state, principal, request_id())


@router.get("/audit", response_model=Page[audit.AuditRecord], **ADMIN)
def audit_search(
    state: State,
    q: Annotated[audit.AuditQuery, Query()],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    """Audit records matching the filters, oldest first."""
    return audit_trail.search_audit(state, q, limit, offset)


@router.get(
    "/audit/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
    **ADMIN,
)
def audit_export(
    state: State, principal: Caller, q: Annotated[audit.AuditQuery, Query()]
) -> StreamingResponse:
    """Every matching record as JSON Lines (the export is itself audited)."""
    records = audit_trail.export_audit(state, principal, q, request_id())

    def lines() -> Iterator[bytes]:
        for rec in records:
            yield rec.model_dump_json().encode() + b"\n"

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="tremplin-audit.jsonl"'},
    )

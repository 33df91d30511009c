"""Request dependencies: the state, the authenticated principal, and per-route roles.

Every route is declared with :func:`roles` (or :func:`public`), which both enforces the roles
and writes them into the OpenAPI document as ``x-roles``: the role × route matrix test reads
them from there, so a route without a declaration fails the suite.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from pydantic import BeforeValidator
from starlette.concurrency import run_in_threadpool

from serving import users
from serving.security import digest
from serving.state import ServiceState, request_id_var
from tremplin.actors import Principal, Role
from tremplin.errors import PolicyRefusedError, UnauthenticatedError

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


def unauthenticated() -> UnauthenticatedError:
    """No valid bearer token or API key."""
    return UnauthenticatedError(
        "authentification requise ou jeton invalide", "authentication required or invalid token"
    )


def forbidden() -> PolicyRefusedError:
    """A role that the route does not admit."""
    return PolicyRefusedError(
        "votre rôle ne permet pas cette action", "your role does not allow this action"
    )


async def get_state(request: Request) -> ServiceState:
    """The app's :class:`ServiceState` (async: no thread hop for a dictionary read)."""
    state: ServiceState = request.app.state.tremplin
    return state


State = Annotated[ServiceState, Depends(get_state)]


async def current_principal(
    request: Request,
    state: State,
    token: Annotated[str | None, Depends(bearer)],
    key: Annotated[str | None, Depends(api_key)],
) -> Principal:
    """The caller, from a bearer token or an API key (401 when neither is valid).

    A credential seen in the last few seconds is served from :class:`CredentialCache`
    (no thread, no query); otherwise it is looked up in a worker thread."""
    kind, secret = ("token", token) if token else ("api_key", key)
    principal = await principal_of(state, kind, secret) if secret else None
    if principal is None:
        raise unauthenticated()
    request.state.principal = principal
    return principal


async def principal_of(state: ServiceState, kind: str, secret: str) -> Principal | None:
    """The principal holding a live credential of ``kind`` (token or api_key), or None."""
    secret_digest = digest(secret)
    principal = state.credentials.get(kind, secret_digest)
    if principal is None:
        principal = await run_in_threadpool(_lookup, state, kind, secret_digest)
    return principal


def _lookup(state: ServiceState, kind: str, secret_digest: str) -> Principal | None:
    generation = state.credentials.generation
    with state.transaction() as session:
        found = users.resolve(session, secret_digest, kind)
    if found is None:
        return None
    principal, expires_at = found
    state.credentials.put(kind, secret_digest, principal, expires_at, generation)
    return principal


Caller = Annotated[Principal, Depends(current_principal)]


class _RoleGuard:
    def __init__(self, allowed: tuple[Role, ...]) -> None:
        self.allowed = allowed

    async def __call__(self, principal: Caller) -> Principal:
        if principal.role not in self.allowed:
            raise forbidden()
        return principal


def roles(*allowed: Role, search: bool = False) -> dict[str, Any]:
    """Route keyword arguments admitting ``allowed`` roles (enforced and documented);
    ``search`` documents a route that takes the search path (:mod:`serving.searches`: the
    per-user rate limit, a compute slot, the time limit)."""
    dependencies = [Depends(_RoleGuard(allowed))]
    return {
        "dependencies": dependencies,
        "openapi_extra": {"x-roles": [r.value for r in allowed], "x-search": search},
    }


def public() -> dict[str, Any]:
    """Route keyword arguments for a route open to anyone (health, sign-in)."""
    return {"openapi_extra": {"x-roles": ["public"]}}


def _true_or_false(value: object) -> object:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("true ou false attendu / true or false is expected")


Flag = Annotated[bool, BeforeValidator(_true_or_false)]
"""A boolean query parameter written ``true`` or ``false``, as the schema says (not 1, yes, on)."""


def request_id() -> str:
    """The current request's id (also in the X-Request-ID response header)."""
    return request_id_var.get()

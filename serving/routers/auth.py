"""Sign-in (OAuth2 password flow), sign-out and who-am-I."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from services.schemas import Me, Message, TokenResponse
from serving import users
from serving.deps import Caller, State, public, roles
from serving.signin import PASSWORD_MAX, USERNAME_MAX
from tremplin.actors import PERSON_ROLES, Role
from tremplin.errors import RateLimitedError, UnauthenticatedError

router = APIRouter(prefix="/api/v1/auth", tags=["authentification"])
ALL = PERSON_ROLES


@router.post(
    "/token",
    response_model=TokenResponse,
    responses={401: {"model": Message}},
    **public(),
)
def token(
    request: Request, state: State, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenResponse:
    """Exchange a username and password for an expiring bearer token (failed attempts are
    throttled per account and address, per address, and overall: ``serving/signin.py``)."""
    wrong = UnauthenticatedError(
        "identifiant ou mot de passe incorrect", "wrong username or password"
    )
    if (
        len(form.username) > USERNAME_MAX
        or len(form.password) > PASSWORD_MAX
        or "\x00" in form.username  # PostgreSQL cannot even compare it
    ):
        raise wrong  # no account has such a name or password: refused before any lookup
    address = request.client.host if request.client else "-"
    wait = state.signin.wait(form.username, address)
    if wait > 0:
        raise RateLimitedError(
            "trop de tentatives, réessayez plus tard",
            "too many attempts, retry later",
            retry_after=math.ceil(wait),
        )
    with state.transaction() as session:
        user = users.authenticate(session, form.username, form.password)
        if user is None:
            state.signin.failed(form.username, address)
            raise wrong
        state.signin.succeeded(form.username, address)
        ttl = dt.timedelta(minutes=state.settings.token_ttl_minutes)
        secret, row = users.issue(session, user, "token", ttl)
        assert row.expires_at is not None
        return TokenResponse(access_token=secret, expires_at=row.expires_at, role=Role(user.role))


@router.post("/logout", status_code=204, **roles(*ALL))
def logout(state: State, principal: Caller) -> None:
    """Revoke the token (or API key) used for this request."""
    with state.transaction() as session:
        users.revoke(session, principal.credential_id)
    state.credentials.clear()


@router.get("/me", response_model=Me, **roles(*ALL))
def me(principal: Caller) -> Me:
    """The caller's username, role and scope."""
    return Me(
        username=principal.username,
        role=principal.role,
        cpas_id=principal.cpas_id,
        employer_id=principal.employer_id,
        partner_cpas=list(principal.partner_cpas),
    )

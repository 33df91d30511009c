"""Sign-in (OAuth2 password flow), sign-out and who-am-I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from services.schemas import Me, Message, TokenResponse
from serving import accounts
from serving.deps import Caller, State, public, roles
from tremplin.actors import PERSON_ROLES

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
    address = request.client.host if request.client else "-"
    return accounts.sign_in(state, form.username, form.password, address)


@router.post("/logout", status_code=204, **roles(*ALL))
def logout(state: State, principal: Caller) -> None:
    """Revoke the token (or API key) used for this request."""
    accounts.sign_out(state, principal)


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

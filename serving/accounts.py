"""Account use cases shared by the API routes, the pages and the command line: sign-in
(throttled) and sign-out, and an administrator's list, creation and change of users, API keys
and revocations (audited). Accounts are the API's own (users, credentials, their cache), so
their use cases live beside it rather than in ``services``."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy.orm import Session

from services.schemas import (
    ApiKeyIn,
    ApiKeyOut,
    Page,
    TokenResponse,
    UserIn,
    UserOut,
    UserPatch,
)
from serving import users
from serving.signin import PASSWORD_MAX, USERNAME_MAX
from serving.state import ServiceState
from tremplin import audit
from tremplin.actors import Principal, Role
from tremplin.errors import (
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    UnauthenticatedError,
)
from tremplin.store import repository as repo
from tremplin.store.models import UserRow


def sign_in(state: ServiceState, username: str, password: str, address: str) -> TokenResponse:
    """An expiring bearer token for a right username and password; failed attempts are
    throttled per account and address, per address, and overall (``serving/signin.py``)."""
    wrong = UnauthenticatedError(
        "identifiant ou mot de passe incorrect", "wrong username or password"
    )
    if (
        len(username) > USERNAME_MAX
        or len(password) > PASSWORD_MAX
        or "\x00" in username  # PostgreSQL cannot even compare it
    ):
        raise wrong  # no account has such a name or password: refused before any lookup
    wait = state.signin.attempt(username, address)
    if wait > 0:
        raise RateLimitedError(
            "trop de tentatives, réessayez plus tard",
            "too many attempts, retry later",
            retry_after=math.ceil(wait),
        )
    with state.transaction() as session:
        user = users.authenticate(session, username, password)
        if user is None:
            state.signin.failed(username, address)
            raise wrong
        state.signin.succeeded(username, address)
        ttl = dt.timedelta(minutes=state.settings.token_ttl_minutes)
        secret, row = users.issue(session, user, "token", ttl)
        assert row.expires_at is not None
        return TokenResponse(access_token=secret, expires_at=row.expires_at, role=Role(user.role))


def no_user() -> NotFoundError:
    """The answer for an unknown username."""
    return NotFoundError("utilisateur introuvable", "user not found")


def _existing(session: Session, username: str) -> UserRow:
    """The user called ``username`` (not found otherwise)."""
    row = users.get_user(session, username)
    if row is None:
        raise no_user()
    return row


def add_user(state: ServiceState, actor: Principal, body: UserIn, request_id: str) -> UserOut:
    """Create a user with a role (coaches need a CPAS, employers an employer id); audited."""
    with state.transaction() as session:
        row = users.create_user(
            session,
            body.username,
            body.password,
            body.role,
            body.cpas_id,
            body.employer_id,
            body.partner_cpas,
        )
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.USER_CHANGE,
            tenant=body.cpas_id,
            inputs={"operation": "create", "user": body.username, "role": body.role.value},
        )
        return UserOut.model_validate(row)


def change_user(
    state: ServiceState, actor: Principal, username: str, body: UserPatch, request_id: str
) -> UserOut:
    """Deactivate or reactivate a user, or reset their password (revokes their tokens at
    once); audited."""
    with state.transaction() as session:
        row = _existing(session, username)
        role = Role(row.role)
        if body.cpas_id is not None:
            if role is not Role.COACH:
                raise InvalidRequestError(
                    "seul un compte de coach est rattaché à un CPAS", "only coaches have a CPAS"
                )
            users.check_scope(session, role, body.cpas_id, None)
            row.cpas_id = body.cpas_id
        if body.partner_cpas is not None:
            if role is not Role.MAISON_EMPLOI:
                raise InvalidRequestError(
                    "seul un compte de Maison de l'emploi a des CPAS partenaires",
                    "only Maisons de l'emploi have partner CPAS",
                )
            partners = list(dict.fromkeys(body.partner_cpas))
            for cpas in partners:
                users.check_scope(session, role, cpas, None)
            row.partner_cpas = partners
        if body.active is not None:
            row.active = body.active
            if not body.active:
                users.revoke_all(session, row.id)
        if body.password is not None:
            users.set_password(session, row, body.password)
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.USER_CHANGE,
            inputs={
                "operation": "update",
                "user": username,
                "active": body.active,
                "password_reset": body.password is not None,
                "cpas_id": body.cpas_id,
                "partner_cpas": body.partner_cpas,
            },
        )
        out = UserOut.model_validate(row)
    state.credentials.clear()  # after the commit: a deactivated user's tokens stop here now
    return out


def sign_out(state: ServiceState, actor: Principal) -> None:
    """Revoke the credential (token, API key or page session) the actor used."""
    with state.transaction() as session:
        users.revoke(session, actor.credential_id)
    state.credentials.clear()


def list_users(state: ServiceState, limit: int, offset: int) -> Page[UserOut]:
    """A page of users, by name (at most the configured page size)."""
    limit = min(limit, state.settings.max_page_size)
    with state.transaction() as session:
        rows, total = users.list_users(session, limit, offset)
        items = [UserOut.model_validate(r) for r in rows]
    return Page[UserOut](items=items, total=total, limit=limit, offset=offset)


def read_user(state: ServiceState, username: str) -> UserOut:
    """One user as admins see it (not found otherwise)."""
    with state.transaction() as session:
        return UserOut.model_validate(_existing(session, username))


def cpas_directory(state: ServiceState) -> list[tuple[str, str]]:
    """Every CPAS (tenant) as (identifier, name), by name: what an account may be tied to."""
    with state.transaction() as session:
        return repo.cpas_directory(session)


def add_api_key(
    state: ServiceState, actor: Principal, username: str, body: ApiKeyIn, request_id: str
) -> ApiKeyOut:
    """A new API key for a feed (the secret is shown once; it acts with the user's role and
    scope); audited."""
    with state.transaction() as session:
        row = _existing(session, username)
        ttl = dt.timedelta(days=body.expires_in_days) if body.expires_in_days else None
        secret, cred = users.issue(session, row, "api_key", ttl, body.label)
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.USER_CHANGE,
            inputs={"operation": "api_key", "user": username, "label": body.label},
        )
        return ApiKeyOut(id=cred.id, api_key=secret, label=cred.label, expires_at=cred.expires_at)


def revoke_credentials(
    state: ServiceState, actor: Principal, username: str, request_id: str
) -> int:
    """Revoke every token and API key of a user (at once, the cache included); audited.
    Returns how many were revoked."""
    with state.transaction() as session:
        row = _existing(session, username)
        count = users.revoke_all(session, row.id)
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.USER_CHANGE,
            inputs={"operation": "revoke", "user": username, "count": count},
        )
    state.credentials.clear()
    return count

"""Users and their credentials: creation, sign-in, token issue, resolution and revocation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from serving.security import (
    API_KEY_PREFIX,
    TOKEN_PREFIX,
    digest,
    hash_password,
    new_secret,
    verify_password,
)
from tremplin.actors import Principal, Role
from tremplin.errors import (
    ConflictError,
    InvalidRequestError,
    PolicyRefusedError,
    UnknownCpasError,
)
from tremplin.passwords import check_password
from tremplin.store.models import CpasRow, CredentialRow, EmployerRow, UserRow

# a fixed hash to verify against when the user does not exist (same time either way)
_DUMMY_HASH = hash_password("tremplin-dummy-password")


def now() -> dt.datetime:
    """The current UTC time."""
    return dt.datetime.now(dt.UTC)


def check_scope(session: Session, role: Role, cpas_id: str | None, employer_id: str | None) -> None:
    """Coaches need their CPAS, employers their employer id; the CPAS must exist; no account
    may hold the system role (it is the command line's, never a sign-in)."""
    if role is Role.SYSTEM:
        raise PolicyRefusedError(
            "le rôle system est réservé aux commandes", "the system role is not for accounts"
        )
    if role is Role.COACH and not cpas_id:
        raise InvalidRequestError(
            "un coach doit être rattaché à un CPAS", "a coach needs a cpas_id"
        )
    if role is Role.EMPLOYER and not employer_id:
        raise InvalidRequestError(
            "un compte employeur doit indiquer l'identifiant de son employeur",
            "an employer needs employer_id",
        )
    if cpas_id and session.get(CpasRow, cpas_id) is None:
        raise UnknownCpasError(
            f"CPAS inconnu : « {cpas_id} » ; vérifiez l'identifiant (par exemple cpas-liege)",
            f"unknown CPAS: {cpas_id}",
        )
    if (
        role is Role.EMPLOYER
        and employer_id
        and session.scalar(select(EmployerRow.id).where(EmployerRow.external_id == employer_id))
        is None
    ):
        raise InvalidRequestError(
            f"employeur inconnu : « {employer_id} » ; importez d'abord l'employeur ou vérifiez "
            "son identifiant",
            f"unknown employer: {employer_id}",
        )


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    cpas_id: str | None = None,
    employer_id: str | None = None,
    partner_cpas: list[str] | None = None,
) -> UserRow:
    """A new active user (the username must be free)."""
    if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise ConflictError(
            f"l'identifiant « {username} » est déjà pris : choisissez-en un autre",
            f"username taken: {username}",
        )
    check_password(password, username)
    check_scope(session, role, cpas_id, employer_id)
    if role is Role.MAISON_EMPLOI:
        for cpas in partner_cpas or []:
            check_scope(session, role, cpas, employer_id)
    row = UserRow(
        username=username,
        password_hash=hash_password(password),
        role=role.value,
        cpas_id=cpas_id if role is Role.COACH else None,
        employer_id=employer_id if role is Role.EMPLOYER else None,
        partner_cpas=list(partner_cpas or []) if role is Role.MAISON_EMPLOI else [],
        active=True,
    )
    session.add(row)
    session.flush()
    return row


def set_password(session: Session, user: UserRow, password: str) -> None:
    """Replace a user's password and revoke every credential they hold."""
    check_password(password, user.username)
    user.password_hash = hash_password(password)
    revoke_all(session, user.id)


def authenticate(session: Session, username: str, password: str) -> UserRow | None:
    """The active user with these credentials, or None."""
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    return user


def issue(
    session: Session, user: UserRow, kind: str, ttl: dt.timedelta | None, label: str = ""
) -> tuple[str, CredentialRow]:
    """A new credential for ``user`` ("token" or "api_key"); the secret is returned once."""
    secret = new_secret(TOKEN_PREFIX if kind == "token" else API_KEY_PREFIX)
    row = CredentialRow(
        user_id=user.id,
        kind=kind,
        digest=digest(secret),
        label=label,
        created_at=now(),
        expires_at=now() + ttl if ttl else None,
    )
    session.add(row)
    session.flush()
    return secret, row


def resolve(
    session: Session, secret_digest: str, kind: str
) -> tuple[Principal, dt.datetime | None] | None:
    """The principal behind a credential's digest and when the credential expires, if it is
    valid, unexpired and unrevoked."""
    found = session.execute(
        select(CredentialRow, UserRow)
        .join(UserRow, UserRow.id == CredentialRow.user_id)
        .where(CredentialRow.digest == secret_digest, CredentialRow.kind == kind)
    ).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or not user.active:
        return None
    expires = row.expires_at
    if expires is not None and expires <= now():
        return None
    principal = Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        credential_id=row.id,
        cpas_id=user.cpas_id,
        employer_id=user.employer_id,
        partner_cpas=tuple(user.partner_cpas or ()),
    )
    return principal, expires


def revoke(session: Session, credential_id: int) -> None:
    """Revoke one credential."""
    session.execute(
        update(CredentialRow)
        .where(CredentialRow.id == credential_id, CredentialRow.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def revoke_all(session: Session, user_id: int) -> int:
    """Revoke every live credential of a user; returns how many."""
    result = session.execute(
        update(CredentialRow)
        .where(CredentialRow.user_id == user_id, CredentialRow.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def get_user(session: Session, username: str) -> UserRow | None:
    """A user by username."""
    return session.scalar(select(UserRow).where(UserRow.username == username))


def list_users(session: Session, limit: int, offset: int) -> tuple[list[UserRow], int]:
    """A page of users by username, and the total."""
    from tremplin.store.repository import page

    return page(session, select(UserRow), limit, offset, UserRow.username)

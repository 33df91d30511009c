"""Who acts: roles, and the principal a request or a command acts as.

A person signs in and acts with their role; the command line and scheduled jobs act as a
*system actor* (:func:`system_actor`), named in every audit record they write and never able to
sign in (no user can hold :attr:`Role.SYSTEM`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """What a user may do; every route declares the roles it admits."""

    COACH = "coach"  # the beneficiaries of their own CPAS
    MAISON_EMPLOI = "maison_emploi"  # opportunities, job days, partner CPAS's pool
    EMPLOYER = "employer"  # their own offers and the anonymised pool
    ADMIN = "admin"  # users, models, audit; no beneficiary data
    SYSTEM = "system"  # the command line and scheduled jobs; never a user account


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: int
    username: str
    role: Role
    credential_id: int
    cpas_id: str | None = None
    employer_id: str | None = None
    partner_cpas: tuple[str, ...] = field(default_factory=tuple)

    @property
    def tenant(self) -> str | None:
        """The CPAS whose data this caller acts on (coaches), if any."""
        return self.cpas_id


def system_actor(name: str, cpas_id: str | None = None) -> Principal:
    """The principal of a command-line or scheduled run: ``name`` (e.g. ``cli:alice``) is what
    the audit trail shows; ``cpas_id`` the tenant it acts on, when it acts on one."""
    return Principal(user_id=0, username=name, role=Role.SYSTEM, credential_id=0, cpas_id=cpas_id)


PERSON_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.SYSTEM)
"""The roles a user account can hold."""

"""Who calls the API: roles, the authenticated principal, and per-route role declarations."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """What a user may do; every route declares the roles it admits."""

    COACH = "coach"  # the beneficiaries of their own CPAS
    MAISON_EMPLOI = "maison_emploi"  # opportunities, job days, partner CPAS's pool
    EMPLOYER = "employer"  # their own offers and the anonymised pool
    ADMIN = "admin"  # users, models, audit; no beneficiary data


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

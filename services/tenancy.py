"""Tenancy: which CPAS an actor acts for, and the rows it may see.

A coach (or a system actor running for one CPAS) sees the beneficiaries of that CPAS only;
another CPAS's beneficiary is "not found", exactly like one that does not exist, so nothing can
be enumerated across tenants. Opportunities reserved for a CPAS are visible to it alone, and an
employer sees its own offers.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, or_
from sqlalchemy.orm import Session

from tremplin.actors import Principal, Role
from tremplin.errors import (
    InvalidRequestError,
    NotFoundError,
    PolicyRefusedError,
    field_problems,
)
from tremplin.store import repository as repo
from tremplin.store.models import BeneficiaryRow, OpportunityRow

C = TypeVar("C", bound=BaseModel)


def acting_cpas(actor: Principal) -> str:
    """The CPAS whose beneficiaries ``actor`` acts on (refused when it has none)."""
    if actor.cpas_id is None:
        raise PolicyRefusedError(
            "cette action demande un CPAS de rattachement", "this action needs a CPAS"
        )
    return actor.cpas_id


def beneficiary_not_found() -> NotFoundError:
    """The one answer for a beneficiary that is absent or in another CPAS."""
    return NotFoundError("bénéficiaire introuvable", "beneficiary not found")


def owned_row(session: Session, actor: Principal, beneficiary_id: str) -> BeneficiaryRow:
    """The actor's CPAS's row for ``beneficiary_id``; not found for anything else."""
    row = repo.beneficiary_row(session, acting_cpas(actor), beneficiary_id)
    if row is None:
        raise beneficiary_not_found()
    return row


def in_tenant(body: BaseModel | None, cpas_id: str, contract: type[C]) -> C:
    """The full ``contract`` (a profile, an outcome) for ``body`` placed in CPAS ``cpas_id``
    (invalid request, with each problem, when the whole is incoherent)."""
    if body is None:
        raise InvalidRequestError("données manquantes", "body missing")
    try:
        return contract.model_validate({**body.model_dump(), "cpas_id": cpas_id})
    except ValidationError as exc:
        raise InvalidRequestError(
            "données incohérentes : corrigez les points indiqués",
            "inconsistent data, see detail",
            details=field_problems(exc.errors(include_url=False)),
        ) from None


def visible(stmt: Select[Any], actor: Principal) -> Select[Any]:
    """Restrict an opportunity query to what ``actor`` may see."""
    if actor.role is Role.EMPLOYER:
        return stmt.where(
            OpportunityRow.payload["employer_id"].as_string() == (actor.employer_id or "")
        )
    if actor.role in (Role.COACH, Role.SYSTEM) and actor.cpas_id is not None:
        return stmt.where(
            or_(
                OpportunityRow.reserved_for_cpas.is_(None),
                OpportunityRow.reserved_for_cpas == actor.cpas_id,
            )
        )
    return stmt

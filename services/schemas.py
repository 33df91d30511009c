"""Request and response bodies of the API (pydantic v2), derived from the data contracts.

Inputs drop what the server decides (the tenant comes from the caller, never from the body);
outputs drop what a role must not see (fairness-monitoring attributes are write-only).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from data_contracts.enums import OpportunityKind
from data_contracts.models import BeneficiaryProfile, Contract, OutcomeEvent
from data_contracts.types import Username
from data_contracts.versions import Versions
from matching.shortlist import Shortlist
from tremplin.actors import Role
from tremplin.errors import ErrorCode
from tremplin.passwords import MAX_LENGTH, MIN_LENGTH
from tremplin.store.widths import API_KEY_LABEL_LENGTH

T = TypeVar("T")


def _without(model: type[BaseModel], name: str, *fields: str) -> type[Contract]:
    """A contract with ``model``'s fields except ``fields`` (validators run on the full model)."""
    kept: dict[str, Any] = {
        key: (info.annotation, info)
        for key, info in model.model_fields.items()
        if key not in fields
    }
    return create_model(name, __base__=Contract, __doc__=model.__doc__, **kept)


BeneficiaryIn = _without(BeneficiaryProfile, "BeneficiaryIn", "cpas_id")
BeneficiaryOut = _without(BeneficiaryProfile, "BeneficiaryOut", "monitoring")
OutcomeIn = _without(OutcomeEvent, "OutcomeIn", "cpas_id")


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    limit: int
    offset: int


class Message(BaseModel):
    """An error or information message (French / English), with the error's code."""

    detail: Any
    code: ErrorCode | None = Field(
        default=None, description="What went wrong, for programs (absent on framework errors)."
    )
    request_id: str | None = None


class ConsentUpdate(Contract):
    """The beneficiary's consent to appear, anonymised, in the employer pool."""

    employer_pool: bool
    given_at: dt.date | None = None


class ShortlistRequest(Contract):
    """A shortlist for a stored beneficiary (``beneficiary_id``) or an ad-hoc ``profile``."""

    beneficiary_id: str | None = Field(default=None, min_length=1, max_length=64)
    profile: BeneficiaryIn | None = None  # type: ignore[valid-type]
    top: int = Field(default=10, ge=1, le=100)
    kinds: list[OpportunityKind] = Field(
        default_factory=lambda: list(OpportunityKind),
        min_length=1,
        description="The kinds to rank (at least one).",
    )
    today: dt.date | None = Field(default=None, description="Reference date (default: today).")
    with_pathways: bool = True


class ShortlistResponse(Versions):
    """A computed shortlist with what produced it."""

    id: str
    created_at: dt.datetime
    stored: bool = Field(description="Kept in the beneficiary's history (not for ad-hoc).")
    shortlist: Shortlist


class ShortlistSummary(Versions):
    """A past shortlist in a beneficiary's history (its index version is not kept)."""

    id: str
    created_at: dt.datetime
    created_by: str
    opportunity_ids: list[str]
    titles: list[str] = Field(default_factory=list, description="The items' titles, in order.")


class LinkRequest(Contract):
    """Titles or aspirations to link to ESCO occupations."""

    titles: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] = Field(
        min_length=1, max_length=100
    )
    top: int = Field(default=5, ge=1, le=20)


class SkillTextRequest(Contract):
    """A CV pasted or notes typed by a coach: read for the skills they name, never stored."""

    text: str = Field(min_length=1, max_length=20_000)
    limit: int = Field(default=20, ge=1, le=50)


class TokenResponse(BaseModel):
    """A bearer token (OAuth2 password flow)."""

    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime
    role: Role


class Me(BaseModel):
    """Who the caller is."""

    username: str
    role: Role
    cpas_id: str | None
    employer_id: str | None
    partner_cpas: list[str]


class UserIn(Contract):
    """A user to create."""

    username: Username
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)
    role: Role
    cpas_id: str | None = Field(default=None, max_length=64)
    employer_id: str | None = Field(default=None, max_length=64)
    partner_cpas: list[str] = Field(default_factory=list, max_length=50)


class UserPatch(Contract):
    """Changes to a user (absent fields are kept)."""

    active: bool | None = None
    password: str | None = Field(default=None, min_length=MIN_LENGTH, max_length=MAX_LENGTH)
    cpas_id: str | None = Field(default=None, max_length=64, description="A coach's CPAS.")
    partner_cpas: list[str] | None = Field(
        default=None, max_length=50, description="A Maison de l'emploi's partner CPAS."
    )


class UserOut(BaseModel):
    """A user as admins see it (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)

    username: str
    role: Role
    cpas_id: str | None
    employer_id: str | None
    partner_cpas: list[str]
    active: bool


class ApiKeyIn(Contract):
    """An API key to create for a feed user."""

    label: str = Field(default="", max_length=API_KEY_LABEL_LENGTH)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiKeyOut(BaseModel):
    """A new API key: shown once, stored as a digest."""

    id: int
    api_key: str
    label: str
    expires_at: dt.datetime | None


class ModelInfo(Versions):
    """What the service serves now."""

    ready: bool
    opportunities: int
    profiles_prepared: int = Field(
        default=0, description="Stored profiles whose embedding is ready in memory."
    )
    title_linker_ready: bool = Field(
        default=False, description="Whether the ESCO title linker is built (else built on use)."
    )
    error: str | None = None
    ranker_refused: str | None = Field(
        default=None,
        description="Why the registry's champion is not served (an alias set outside the gated "
        "promotion, no audit record, another feature list); the previous re-ranker or the "
        "fusion serves meanwhile.",
    )


class ErasureReport(BaseModel):
    """What an erasure removed."""

    beneficiary_removed: bool
    shortlists_removed: int
    outcomes_removed: int
    audit_subject: str = Field(description="The pseudonym kept by the audit trail.")

"""Bodies of the anonymised pool: an employer's need, the cards, the contact requests.

A card carries no name, birth date, address, national number, nationality, CPAS status,
health, judicial or free-text field, and no fairness-monitoring attribute (age band, gender,
origin): only what the employer needs to judge a fit, generalised to k-anonymity
(:mod:`tremplin.anonymity`). ``tests/api/test_jobdays_pool_api.py`` checks every response against the list.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, Field, model_validator

from data_contracts.enums import CefrLevel, LicenceCategory, Shift
from data_contracts.models import Contract
from data_contracts.types import ExternalId, Hours, Postcode, RomeCode, SkillId
from tremplin.store.widths import CONTACT_MESSAGE_LENGTH, POOL_CARD_LENGTH

POOL_PAGE_MAX = 20
POOL_DEPTH = 100
"""A search shows at most this many cards, in pages of at most :data:`POOL_PAGE_MAX`."""


class PoolNeed(Contract):
    """What an employer looks for: one of its offers, or a need in words (optionally with a
    métier, skills and prerequisites)."""

    opportunity_id: ExternalId | None = None
    text: str | None = Field(default=None, min_length=3, max_length=500)
    rome_code: RomeCode | None = None
    required_skills: list[SkillId] = Field(default_factory=list, max_length=30)
    postcode: Postcode | None = Field(
        default=None, description="Where the job is (default: the employer's address)."
    )
    french_level: CefrLevel | None = None
    driving_licence: LicenceCategory | None = None
    hours_per_week: Hours | None = None
    shifts: list[Shift] = Field(default_factory=list)
    limit: int = Field(default=10, ge=1, le=POOL_PAGE_MAX)
    offset: int = Field(default=0, ge=0, le=POOL_DEPTH - 1)
    today: dt.date | None = None

    @model_validator(mode="after")
    def _one_need(self) -> Self:
        if self.opportunity_id is None and not (self.text or self.rome_code):
            raise ValueError(
                "décrivez le besoin (text ou rome_code) ou donnez opportunity_id / "
                "describe the need (text or rome_code) or give opportunity_id"
            )
        if self.opportunity_id is not None and (self.text or self.rome_code):
            raise ValueError(
                "opportunity_id ou une description, pas les deux / "
                "opportunity_id or a description, not both"
            )
        return self


class ContactStatus(StrEnum):
    """Where a contact request stands."""

    PENDING = "pending"  # the coach has not answered yet
    ACCEPTED = "accepted"  # the person agreed; ``shared`` holds what they share
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the person left the pool before answering


class SharedContact(Contract):
    """What the beneficiary agreed to share with one employer (entered by the coach)."""

    first_name: str | None = Field(default=None, min_length=1, max_length=60)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ./()-]{6,25}$")
    email: str | None = Field(default=None, pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}$")
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _some_contact(self) -> Self:
        if not (self.phone or self.email):
            raise ValueError(
                "donnez au moins un téléphone ou un e-mail / give a phone number or an e-mail"
            )
        return self


class PoolCard(BaseModel):
    """One anonymised candidate, as one employer sees them."""

    card: str = Field(max_length=POOL_CARD_LENGTH)
    score: float
    project: str | None = Field(description="How the need's métier sits in the person's project.")
    matched_skills: list[str]
    missing_skills: list[str]
    area: str
    languages: str
    education: str
    licence: str
    experience: str
    available: str
    shifts: list[str]
    hours: str
    contact: ContactStatus | None = None
    shared: SharedContact | None = None


class PoolPage(BaseModel):
    """A page of cards, with the anonymity the whole pool was shown at."""

    items: list[PoolCard]
    total: int = Field(description=f"Matching cards, at most {POOL_DEPTH}.")
    limit: int
    offset: int
    k: int
    smallest_group: int = Field(description="The fewest pool members sharing a shown profile.")
    metier: str | None = Field(description="The métier the need was read as.")


class ContactRequestIn(Contract):
    """An employer's request to meet a card."""

    card: str = Field(min_length=3, max_length=POOL_CARD_LENGTH)
    opportunity_id: ExternalId | None = None
    message: str = Field(default="", max_length=CONTACT_MESSAGE_LENGTH)


class ContactDecision(Contract):
    """The coach's answer, after talking with the beneficiary."""

    accept: bool
    shared: SharedContact | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.accept and self.shared is None:
            raise ValueError(
                "une acceptation dit ce que la personne partage (shared) / "
                "an acceptance says what the person shares"
            )
        if not self.accept and self.shared is not None:
            raise ValueError("un refus ne partage rien / a refusal shares nothing")
        return self


class ContactRequestOut(BaseModel):
    """A contact request as its reader may see it (the employer never sees the person's id)."""

    id: str
    status: ContactStatus
    card: str
    employer_id: str
    employer_name: str | None = None
    opportunity_id: str | None
    opportunity_title: str | None = Field(
        default=None, description="The offer's title (none when no offer, or it was removed)."
    )
    message: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    beneficiary_id: str | None = Field(
        default=None, description="Only for the coach of the person's CPAS."
    )
    shared: SharedContact | None = None

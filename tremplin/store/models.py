"""SQLAlchemy 2 storage models.

Each contract is stored as its validated JSON document (``payload``) plus the columns
that queries filter on. Every beneficiary row belongs to one CPAS (tenant), and its
external id is unique only within that CPAS. Fairness-monitoring attributes live in a
table of their own so that matching never reads them (purpose limitation).
Integer primary keys of opportunities are stable and double as vector-index ids.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    false,
    func,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from data_contracts.enums import (
    AgeBand,
    ContractType,
    EmployerKind,
    Gender,
    OpportunityKind,
    OpportunitySource,
    Origin,
    OutcomeType,
    TrajectoryPhase,
)
from data_contracts.models import (
    BeneficiaryProfile,
    Employer,
    JobDay,
    Opportunity,
    OutcomeEvent,
    Vacancy,
)
from data_contracts.types import USERNAME_MAX_LENGTH
from tremplin.actors import Role
from tremplin.store.widths import (
    API_KEY_LABEL_LENGTH,
    AUDIT_ACTION_LENGTH,
    CONTACT_MESSAGE_LENGTH,
    CONTACT_STATUS_LENGTH,
    CREDENTIAL_KIND_LENGTH,
    PASSWORD_HASH_LENGTH,
    PLAN_REASON_LENGTH,
    POOL_CARD_LENGTH,
    PROVENANCE_SOURCE_LENGTH,
    REQUEST_ID_LENGTH,
    ROME_CODE_LENGTH,
    SHA256_HEX_LENGTH,
    UUID_LENGTH,
    VERSION_LENGTH,
    contract_string,
    enum_string,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigId = BigInteger().with_variant(Integer, "sqlite")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite drops the zone on reading)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(dt.UTC)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base with a stable constraint naming convention (for Alembic)."""

    metadata = MetaData(naming_convention=NAMING)


class Timestamps:
    """Creation and update times."""

    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), onupdate=func.now()
    )


class CpasRow(Base, Timestamps):
    """A CPAS: the tenant that owns beneficiaries."""

    __tablename__ = "cpas"
    id: Mapped[str] = mapped_column(
        contract_string(BeneficiaryProfile, "cpas_id"), primary_key=True
    )
    name: Mapped[str] = mapped_column(contract_string(Employer, "name"))
    postcode: Mapped[int | None] = mapped_column(Integer)


class EmployerRow(Base, Timestamps):
    """An employer or training provider."""

    __tablename__ = "employer"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(contract_string(Employer, "id"), unique=True)
    name: Mapped[str] = mapped_column(contract_string(Employer, "name"))
    kind: Mapped[str] = mapped_column(enum_string(EmployerKind, 32))
    postcode: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class OpportunityRow(Base, Timestamps):
    """A job offer, internship place or training module."""

    __tablename__ = "opportunity"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(contract_string(Opportunity, "id"), unique=True)
    kind: Mapped[str] = mapped_column(enum_string(OpportunityKind, 16), index=True)
    title: Mapped[str] = mapped_column(contract_string(Opportunity, "title"))
    rome_code: Mapped[str | None] = mapped_column(String(ROME_CODE_LENGTH), index=True)
    contract_type: Mapped[str] = mapped_column(enum_string(ContractType, 32))
    postcode: Mapped[int | None] = mapped_column(Integer, index=True)  # None: abroad
    source: Mapped[str] = mapped_column(enum_string(OpportunitySource, 32))
    valid_until: Mapped[dt.date | None] = mapped_column(Date, index=True)
    reserved_for_cpas: Mapped[str | None] = mapped_column(ForeignKey("cpas.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    content_hash: Mapped[str] = mapped_column(String(SHA256_HEX_LENGTH))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class BeneficiaryRow(Base, Timestamps):
    """A beneficiary's pseudonymous profile, owned by one CPAS."""

    __tablename__ = "beneficiary"
    __table_args__ = (
        UniqueConstraint("cpas_id", "external_id", name="uq_beneficiary_tenant_external_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cpas_id: Mapped[str] = mapped_column(ForeignKey("cpas.id"), index=True)
    external_id: Mapped[str] = mapped_column(contract_string(BeneficiaryProfile, "id"))
    trajectory_phase: Mapped[str] = mapped_column(enum_string(TrajectoryPhase, 16))
    home_postcode: Mapped[int] = mapped_column(Integer)
    in_employer_pool: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    content_hash: Mapped[str] = mapped_column(String(SHA256_HEX_LENGTH))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    monitoring: Mapped[BeneficiaryMonitoringRow | None] = relationship(
        back_populates="beneficiary", cascade="all, delete-orphan", uselist=False
    )


class BeneficiaryMonitoringRow(Base):
    """Fairness-monitoring attributes, kept apart from the matching payload."""

    __tablename__ = "beneficiary_monitoring"
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiary.id", ondelete="CASCADE"), primary_key=True
    )
    gender: Mapped[str] = mapped_column(enum_string(Gender, 16))
    age_band: Mapped[str | None] = mapped_column(enum_string(AgeBand, 8))
    origin: Mapped[str] = mapped_column(enum_string(Origin, 16))
    beneficiary: Mapped[BeneficiaryRow] = relationship(back_populates="monitoring")


class JobDayRow(Base, Timestamps):
    """A job day organised by a Maison de l'emploi."""

    __tablename__ = "job_day"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(contract_string(JobDay, "id"), unique=True)
    date: Mapped[dt.date] = mapped_column(Date)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class OutcomeEventRow(Base):
    """An outcome event; beneficiary and opportunity are referenced by internal ids."""

    __tablename__ = "outcome_event"
    __table_args__ = (
        Index("ix_outcome_event_beneficiary_time", "beneficiary_id", "occurred_at"),
        UniqueConstraint("cpas_id", "external_id", name="uq_outcome_event_tenant_external_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(contract_string(OutcomeEvent, "id"))
    cpas_id: Mapped[str] = mapped_column(ForeignKey("cpas.id"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"))
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunity.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(enum_string(OutcomeType, 24), index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class UserRow(Base, Timestamps):
    """A person or feed that signs in: a role and the tenant(s) it acts for."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(String(PASSWORD_HASH_LENGTH))
    role: Mapped[str] = mapped_column(enum_string(Role, 16))
    cpas_id: Mapped[str | None] = mapped_column(ForeignKey("cpas.id"), index=True)
    employer_id: Mapped[str | None] = mapped_column(contract_string(Employer, "id"))
    partner_cpas: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class CredentialRow(Base):
    """A bearer token (expiring) or an API key, stored as its SHA-256 only; revocable."""

    __tablename__ = "credential"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(CREDENTIAL_KIND_LENGTH))  # "token" | "api_key"
    digest: Mapped[str] = mapped_column(String(SHA256_HEX_LENGTH), unique=True)
    label: Mapped[str] = mapped_column(String(API_KEY_LABEL_LENGTH), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class AuditRow(Base):
    """An append-only audit record (AI Act record-keeping): pseudonymous ids only."""

    __tablename__ = "audit_record"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    request_id: Mapped[str] = mapped_column(String(REQUEST_ID_LENGTH))
    actor: Mapped[str] = mapped_column(String(USERNAME_MAX_LENGTH))  # username of who acted
    role: Mapped[str] = mapped_column(enum_string(Role, 16))
    tenant: Mapped[str | None] = mapped_column(
        contract_string(BeneficiaryProfile, "cpas_id"), index=True
    )
    action: Mapped[str] = mapped_column(String(AUDIT_ACTION_LENGTH), index=True)
    subject: Mapped[str | None] = mapped_column(String(SHA256_HEX_LENGTH), index=True)  # pseudonym
    engine_version: Mapped[str | None] = mapped_column(String(VERSION_LENGTH))
    model_version: Mapped[str | None] = mapped_column(String(VERSION_LENGTH))
    index_version: Mapped[str | None] = mapped_column(String(VERSION_LENGTH))
    ranker_version: Mapped[str | None] = mapped_column(String(VERSION_LENGTH))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    returned_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # the hash chain (tamper evidence): the record's place in the chain, the previous record's
    # hash and this one's; empty on records written before the chain (revision 0010)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True, index=True)
    prev_hash: Mapped[str | None] = mapped_column(String(SHA256_HEX_LENGTH))
    record_hash: Mapped[str | None] = mapped_column(String(SHA256_HEX_LENGTH))


class AuditChainRow(Base):
    """The head of the audit trail's hash chain (one row): the last place taken and its hash.
    Appending locks it, so that records chain one after the other on every worker."""

    __tablename__ = "audit_chain"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(SHA256_HEX_LENGTH))


class AuditVerificationRow(Base):
    """One walk of the audit chain: when, by whom, how far, and the first record that did not
    match (none when the chain holds)."""

    __tablename__ = "audit_verification"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(USERNAME_MAX_LENGTH))
    checked: Mapped[int] = mapped_column(BigInteger)
    before_chain: Mapped[int] = mapped_column(BigInteger)
    intact: Mapped[bool] = mapped_column(Boolean)
    first_bad_id: Mapped[int | None] = mapped_column(BigInteger)
    problem: Mapped[str | None] = mapped_column(String(500))


class DatasetProvenanceRow(Base):
    """Where a bulk load came from: the sample generator records itself here, with a digest
    of the outcome events it loaded, so that measuring against its hidden truth can check the
    store still holds exactly those events (``tremplin train --hidden-truth``)."""

    __tablename__ = "dataset_provenance"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(PROVENANCE_SOURCE_LENGTH), index=True)
    loaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcomes: Mapped[int] = mapped_column(Integer)
    outcomes_digest: Mapped[str] = mapped_column(String(SHA256_HEX_LENGTH))


class ShortlistRow(Base):
    """A shortlist given for a stored beneficiary (its history; erased with the person)."""

    __tablename__ = "shortlist"
    id: Mapped[str] = mapped_column(String(UUID_LENGTH), primary_key=True)
    cpas_id: Mapped[str] = mapped_column(ForeignKey("cpas.id"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiary.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(USERNAME_MAX_LENGTH))
    engine_version: Mapped[str] = mapped_column(String(VERSION_LENGTH))
    model_version: Mapped[str | None] = mapped_column(String(VERSION_LENGTH))
    ranker_version: Mapped[str | None] = mapped_column(String(VERSION_LENGTH))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class VacancyRow(Base):
    """A vacancy of the offer history (the hiring forecast's data)."""

    __tablename__ = "vacancy"
    __table_args__ = (
        Index("ix_vacancy_employer_rome_posted", "employer_id", "rome_code", "posted_on"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(contract_string(Vacancy, "id"), unique=True)
    employer_id: Mapped[str] = mapped_column(contract_string(Vacancy, "employer_id"))
    rome_code: Mapped[str] = mapped_column(String(ROME_CODE_LENGTH), index=True)
    posted_on: Mapped[dt.date] = mapped_column(Date, index=True)
    places: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class JobDayParticipantRow(Base):
    """A beneficiary a coach nominated for a job day, or withdrew from it."""

    __tablename__ = "job_day_participant"
    __table_args__ = (
        UniqueConstraint("job_day_id", "beneficiary_id", name="uq_job_day_participant_person"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    job_day_id: Mapped[int] = mapped_column(
        ForeignKey("job_day.id", ondelete="CASCADE"), index=True
    )
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiary.id", ondelete="CASCADE"), index=True
    )
    cpas_id: Mapped[str] = mapped_column(ForeignKey("cpas.id"), index=True)
    status: Mapped[str] = mapped_column(String(CONTACT_STATUS_LENGTH))  # nominated | cancelled
    updated_by: Mapped[str] = mapped_column(String(USERNAME_MAX_LENGTH))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class JobDayPlanRow(Base):
    """One version of a job day's interview plan (the newest is current)."""

    __tablename__ = "job_day_plan"
    id: Mapped[str] = mapped_column(String(UUID_LENGTH), primary_key=True)
    job_day_id: Mapped[int] = mapped_column(
        ForeignKey("job_day.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    created_by: Mapped[str] = mapped_column(String(USERNAME_MAX_LENGTH))
    reason: Mapped[str] = mapped_column(String(PLAN_REASON_LENGTH))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)  # figures only, nothing personal
    interviews: Mapped[list[JobDayInterviewRow]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="JobDayInterviewRow.starts_at"
    )


class JobDayInterviewRow(Base):
    """An interview of a plan: one person at one stand at one time."""

    __tablename__ = "job_day_interview"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(
        ForeignKey("job_day_plan.id", ondelete="CASCADE"), index=True
    )
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiary.id", ondelete="CASCADE"), index=True
    )
    cpas_id: Mapped[str] = mapped_column(ForeignKey("cpas.id"), index=True)
    employer_id: Mapped[str] = mapped_column(contract_string(Employer, "id"))
    opportunity_id: Mapped[str | None] = mapped_column(contract_string(Opportunity, "id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    score: Mapped[float] = mapped_column(Float)
    good: Mapped[bool] = mapped_column(Boolean)
    plan: Mapped[JobDayPlanRow] = relationship(back_populates="interviews")


class ContactRequestRow(Base):
    """An employer's request to meet a pool card; the coach answers after asking the person."""

    __tablename__ = "contact_request"
    id: Mapped[str] = mapped_column(String(UUID_LENGTH), primary_key=True)
    employer_id: Mapped[str] = mapped_column(contract_string(Employer, "id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(USERNAME_MAX_LENGTH))
    cpas_id: Mapped[str] = mapped_column(ForeignKey("cpas.id"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiary.id", ondelete="CASCADE"), index=True
    )
    card: Mapped[str] = mapped_column(String(POOL_CARD_LENGTH))
    opportunity_id: Mapped[str | None] = mapped_column(contract_string(Opportunity, "id"))
    message: Mapped[str] = mapped_column(String(CONTACT_MESSAGE_LENGTH), default="")
    status: Mapped[str] = mapped_column(String(CONTACT_STATUS_LENGTH), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(USERNAME_MAX_LENGTH))
    shared: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RescoreRunRow(Base):
    """One nightly rescoring run: when, against which fresh opportunities, with what."""

    __tablename__ = "rescore_run"
    id: Mapped[str] = mapped_column(String(UUID_LENGTH), primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    finished_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    fresh_since: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    engine: Mapped[str] = mapped_column(String(VERSION_LENGTH))  # "ray" | "loop"
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)  # figures and versions only


class FreshMatchRow(Base):
    """A fresh opportunity among a person's best in a nightly run (erased with the person)."""

    __tablename__ = "fresh_match"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(
        ForeignKey("rescore_run.id", ondelete="CASCADE"), index=True
    )
    cpas_id: Mapped[str] = mapped_column(ForeignKey("cpas.id"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiary.id", ondelete="CASCADE"), index=True
    )
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunity.id", ondelete="CASCADE"), index=True
    )
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)

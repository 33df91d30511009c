"""The audit trail (EU AI Act record-keeping): who asked what, for which tenant, with which
model, and what was returned — with pseudonyms instead of beneficiary ids, and no free text.

Records are append-only (database triggers refuse UPDATE and DELETE) and hash-chained
(:mod:`tremplin.audit_chain`: an edited, deleted or cut record is named by ``tremplin audit
verify``). A beneficiary id is
recorded as an HMAC under a secret key: the trail can show that the same person was
shortlisted twice, and an auditor holding the id can find their records, but the trail alone
names nobody, and after an erasure nothing links it back to a stored person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from data_contracts.types import USERNAME_MAX_LENGTH, WrittenDateTime
from data_contracts.versions import Versions
from tremplin import audit_chain
from tremplin.actors import Principal
from tremplin.settings import Settings
from tremplin.store.models import AuditRow
from tremplin.store.repository import page
from tremplin.store.widths import SHA256_HEX_LENGTH


class AuditAction(StrEnum):
    """What is recorded."""

    SHORTLIST = "shortlist"
    POOL_SEARCH = "pool_search"
    CONTACT_REQUEST = "contact_request"
    CONTACT_DECISION = "contact_decision"
    JOB_DAY_PLAN = "job_day_plan"
    JOB_DAY_PARTICIPATION = "job_day_participation"
    JOB_DAY_CHANGE = "job_day_change"
    HIRING_FORECAST = "hiring_forecast"
    FRESH_MATCHES = "fresh_matches"
    IMPORT = "import"
    OPPORTUNITY_WRITE = "opportunity_write"
    OUTCOME = "outcome"
    ERASURE = "erasure"
    MODEL_RELOAD = "model_reload"
    MODEL_CHANGE = "model_change"
    USER_CHANGE = "user_change"
    AUDIT_EXPORT = "audit_export"
    PERSON_FILE = "person_file"


ACTION_LABELS = {
    "shortlist": "propositions calculées",
    "pool_search": "recherche dans le vivier",
    "contact_request": "demande de contact",
    "contact_decision": "réponse à une demande de contact",
    "job_day_plan": "plan d'une journée emploi",
    "job_day_participation": "inscription à une journée emploi",
    "job_day_change": "modification d'une journée emploi",
    "hiring_forecast": "prévision des recrutements",
    "fresh_matches": "nouveautés de la nuit",
    "import": "import de fichier",
    "opportunity_write": "offre écrite ou retirée",
    "outcome": "résultat enregistré",
    "erasure": "effacement d'un dossier",
    "model_reload": "rechargement du modèle",
    "model_change": "changement de modèle",
    "user_change": "compte créé ou modifié",
    "audit_export": "export du journal",
    "person_file": "dossier remis à la personne",
}
"""How the pages and exports name each action, in French."""


class AuditRecord(BaseModel):
    """One audit record as admins read it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    request_id: str
    actor: str
    role: str
    tenant: str | None
    action: str
    subject: str | None
    engine_version: str | None
    model_version: str | None
    index_version: str | None
    ranker_version: str | None = None
    inputs: dict[str, Any]
    returned_ids: list[str]


def pseudonym_key(settings: Settings) -> bytes:
    """The HMAC key: the setting, or a random key created once under ``data_dir``."""
    if settings.pseudonym_key:
        return settings.pseudonym_key.encode()
    path = Path(settings.data_dir) / "audit.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def pseudonym(key: bytes, cpas_id: str, external_id: str) -> str:
    """A stable pseudonym of one beneficiary (HMAC-SHA-256 of tenant and id)."""
    mac = hmac.new(key, f"{cpas_id}\x1f{external_id}".encode(), hashlib.sha256)
    return "psn_" + mac.hexdigest()[:40]


def record(
    session: Session,
    principal: Principal,
    request_id: str,
    action: AuditAction,
    tenant: str | None = None,
    subject: str | None = None,
    versions: Versions | None = None,
    inputs: dict[str, Any] | None = None,
    returned_ids: list[str] | None = None,
) -> None:
    """Append one record (inside the caller's transaction: it lands with the work it audits)."""
    v = versions.audit_fields() if versions is not None else {}
    audit_chain.append(
        session,
        AuditRow(
            at=dt.datetime.now(dt.UTC),
            request_id=request_id,
            actor=principal.username,
            role=principal.role.value,
            tenant=tenant,
            action=action.value,
            subject=subject,
            engine_version=v.get("engine"),
            model_version=v.get("model"),
            index_version=v.get("index"),
            ranker_version=v.get("ranker"),
            inputs=inputs or {},
            returned_ids=returned_ids or [],
        ),
    )


class AuditQuery(BaseModel):
    """Filters on the trail."""

    action: AuditAction | None = None
    tenant: str | None = Field(default=None, max_length=64)
    actor: str | None = Field(default=None, max_length=USERNAME_MAX_LENGTH)
    subject: str | None = Field(default=None, max_length=SHA256_HEX_LENGTH)
    since: WrittenDateTime | None = None
    until: WrittenDateTime | None = None


def _select(q: AuditQuery) -> Select[tuple[AuditRow]]:
    stmt = select(AuditRow)
    if q.action:
        stmt = stmt.where(AuditRow.action == q.action.value)
    if q.tenant:
        stmt = stmt.where(AuditRow.tenant == q.tenant)
    if q.actor:
        stmt = stmt.where(AuditRow.actor == q.actor)
    if q.subject:
        stmt = stmt.where(AuditRow.subject == q.subject)
    if q.since:
        stmt = stmt.where(AuditRow.at >= q.since)
    if q.until:
        stmt = stmt.where(AuditRow.at < q.until)
    return stmt


def search(
    session: Session, q: AuditQuery, limit: int, offset: int
) -> tuple[list[AuditRecord], int]:
    """A page of matching records (oldest first) and how many match."""
    rows, total = page(session, _select(q), limit, offset, AuditRow.id)
    return [AuditRecord.model_validate(r) for r in rows], total


def export(session: Session, q: AuditQuery, batch: int = 1000) -> Iterator[AuditRecord]:
    """Every matching record, oldest first, read in batches."""
    last = 0
    while True:
        rows = list(
            session.scalars(_select(q).where(AuditRow.id > last).order_by(AuditRow.id).limit(batch))
        )
        if not rows:
            return
        for r in rows:
            yield AuditRecord.model_validate(r)
        last = rows[-1].id


def model_change_check(factory: sessionmaker[Session]) -> Callable[[str], bool]:
    """A check that the trail holds a model change (a champion's promotion may be served only
    if it was audited), each call in its own session of ``factory``."""

    def audited(request_id: str) -> bool:
        with factory() as session:
            return has_model_change(session, request_id)

    return audited


def has_model_change(session: Session, request_id: str) -> bool:
    """Whether the trail holds the model change (a promotion or rollback) ``request_id``."""
    if not request_id:
        return False
    found = session.scalars(
        select(AuditRow.id).where(
            AuditRow.request_id == request_id,
            AuditRow.action == AuditAction.MODEL_CHANGE.value,
        )
    ).first()
    return found is not None

"""Reads and idempotent writes of contracts (upsert by stable external id).

Writes never commit: callers run them inside ``tremplin.store.db.transaction`` so that a
batch is stored whole or not at all. Beneficiary reads always take the tenant (CPAS).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.orm import Session

from data_contracts.models import (
    BeneficiaryProfile,
    Employer,
    JobDay,
    Opportunity,
    OutcomeEvent,
    Vacancy,
)
from tremplin.store.models import (
    BeneficiaryMonitoringRow,
    BeneficiaryRow,
    CpasRow,
    EmployerRow,
    JobDayRow,
    OpportunityRow,
    OutcomeEventRow,
    VacancyRow,
)

CHUNK = 2_000


class UnknownReferenceError(LookupError):
    """A row refers to something that is not stored (a CPAS, a beneficiary, an opportunity)."""


@dataclass
class UpsertCounts:
    """How many rows an upsert inserted, updated, or found unchanged."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def content_hash(payload: dict[str, Any]) -> str:
    """SHA-256 of a payload's canonical JSON (detects unchanged re-imports)."""
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def ensure_cpas(session: Session, cpas_id: str, name: str, postcode: int | None = None) -> None:
    """Create the CPAS (tenant) if it does not exist yet."""
    if session.get(CpasRow, cpas_id) is None:
        session.add(CpasRow(id=cpas_id, name=name, postcode=postcode))
        session.flush()


def cpas_directory(session: Session) -> list[tuple[str, str]]:
    """Every CPAS (tenant) as (identifier, name), by name."""
    rows = session.execute(select(CpasRow.id, CpasRow.name).order_by(CpasRow.name))
    return [(ident, name) for ident, name in rows]


def known_cpas(session: Session) -> set[str]:
    """Identifiers of every CPAS (tenant)."""
    return set(session.scalars(select(CpasRow.id)))


def _opportunity_row(o: Opportunity) -> dict[str, Any]:
    payload = o.model_dump(mode="json")
    return {
        "external_id": o.id,
        "kind": o.kind.value,
        "title": o.title,
        "rome_code": o.occupation.rome_code,
        "contract_type": o.contract_type.value,
        "postcode": o.location.postcode,
        "source": o.source.value,
        "valid_until": o.valid_until,
        "reserved_for_cpas": o.reserved_for_cpas,
        "active": True,
        "content_hash": content_hash(payload),
        "payload": payload,
    }


def upsert_opportunities(session: Session, items: Sequence[Opportunity]) -> UpsertCounts:
    """Insert new opportunities and update changed ones, matched by external id."""
    counts = UpsertCounts()
    for chunk in _chunks(items):
        rows = [_opportunity_row(o) for o in chunk]
        existing = {
            ext: (pk, digest)
            for ext, pk, digest in session.execute(
                select(
                    OpportunityRow.external_id, OpportunityRow.id, OpportunityRow.content_hash
                ).where(OpportunityRow.external_id.in_([r["external_id"] for r in rows]))
            )
        }
        new = [r for r in rows if r["external_id"] not in existing]
        changed = [
            {**r, "id": existing[r["external_id"]][0]}
            for r in rows
            if r["external_id"] in existing and existing[r["external_id"]][1] != r["content_hash"]
        ]
        if new:
            session.execute(insert(OpportunityRow), new)
        if changed:
            session.execute(update(OpportunityRow), changed)
        counts += UpsertCounts(len(new), len(changed), len(rows) - len(new) - len(changed))
    return counts


def _beneficiary_row(b: BeneficiaryProfile) -> dict[str, Any]:
    payload = b.model_dump(mode="json", exclude={"monitoring"})
    return {
        "cpas_id": b.cpas_id,
        "external_id": b.id,
        "trajectory_phase": b.trajectory_phase.value,
        "home_postcode": b.constraints.home_postcode,
        "in_employer_pool": b.consent.employer_pool,
        "content_hash": content_hash(b.model_dump(mode="json")),
        "payload": payload,
    }


def _monitoring_values(b: BeneficiaryProfile) -> dict[str, Any]:
    m = b.monitoring
    return {
        "gender": m.gender.value,
        "age_band": m.age_band.value if m.age_band else None,
        "origin": m.origin.value,
    }


def upsert_beneficiaries(session: Session, items: Sequence[BeneficiaryProfile]) -> UpsertCounts:
    """Insert or update beneficiaries, matched by (CPAS, external id); monitoring kept apart."""
    tenants = known_cpas(session)
    missing = sorted({b.cpas_id for b in items} - tenants)
    if missing:
        raise UnknownReferenceError(f"CPAS inconnu(s) : {', '.join(missing)} / unknown CPAS")
    counts = UpsertCounts()
    for chunk in _chunks(items):
        existing = {
            (row.cpas_id, row.external_id): row
            for row in session.scalars(
                select(BeneficiaryRow).where(BeneficiaryRow.external_id.in_([b.id for b in chunk]))
            )
        }
        for b in chunk:
            values = _beneficiary_row(b)
            monitoring = _monitoring_values(b)
            row = existing.get((b.cpas_id, b.id))
            if row is None:
                row = BeneficiaryRow(**values)
                row.monitoring = BeneficiaryMonitoringRow(**monitoring)
                session.add(row)
                counts.inserted += 1
            elif row.content_hash != values["content_hash"]:
                for key, value in values.items():
                    setattr(row, key, value)
                if row.monitoring is None:
                    row.monitoring = BeneficiaryMonitoringRow(**monitoring)
                else:
                    for key, value in monitoring.items():
                        setattr(row.monitoring, key, value)
                counts.updated += 1
            else:
                counts.unchanged += 1
        session.flush()
    return counts


def _upsert_documents(
    session: Session,
    row_type: type[EmployerRow] | type[JobDayRow] | type[VacancyRow],
    rows: list[dict[str, Any]],
) -> UpsertCounts:
    """Insert or update rows keyed by ``external_id``, comparing their JSON payloads."""
    counts = UpsertCounts()
    ids = [r["external_id"] for r in rows]
    found: list[Any] = list(session.scalars(select(row_type).where(row_type.external_id.in_(ids))))
    existing = {row.external_id: row for row in found}
    for values in rows:
        row = existing.get(values["external_id"])
        if row is None:
            session.add(row_type(**values))
            counts.inserted += 1
        elif row.payload != values["payload"]:
            for key, value in values.items():
                setattr(row, key, value)
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()
    return counts


def upsert_employers(session: Session, items: Sequence[Employer]) -> UpsertCounts:
    """Insert or update employers by external id."""
    rows = [
        {
            "external_id": e.id,
            "name": e.name,
            "kind": e.kind.value,
            "postcode": e.location.postcode,
            "payload": e.model_dump(mode="json"),
        }
        for e in items
    ]
    return _upsert_documents(session, EmployerRow, rows)


def upsert_job_days(session: Session, items: Sequence[JobDay]) -> UpsertCounts:
    """Insert or update job days by external id."""
    rows = [
        {"external_id": j.id, "date": j.date, "payload": j.model_dump(mode="json")} for j in items
    ]
    return _upsert_documents(session, JobDayRow, rows)


def upsert_vacancies(session: Session, items: Sequence[Vacancy]) -> UpsertCounts:
    """Insert or update vacancies of the offer history by external id."""
    rows = [
        {
            "external_id": v.id,
            "employer_id": v.employer_id,
            "rome_code": v.rome_code,
            "posted_on": v.posted_on,
            "places": v.places,
            "payload": v.model_dump(mode="json"),
        }
        for v in items
    ]
    return _upsert_documents(session, VacancyRow, rows)


def outcome_reference_ids(
    session: Session,
) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """Internal ids of beneficiaries by (CPAS, external id) and of opportunities by external id."""
    beneficiaries = {
        (cpas, ext): pk
        for pk, cpas, ext in session.execute(
            select(BeneficiaryRow.id, BeneficiaryRow.cpas_id, BeneficiaryRow.external_id)
        )
    }
    opportunities = {
        ext: pk
        for ext, pk in session.execute(select(OpportunityRow.external_id, OpportunityRow.id))
    }
    return beneficiaries, opportunities


def upsert_outcomes(session: Session, items: Sequence[OutcomeEvent]) -> UpsertCounts:
    """Insert outcome events (append-only: an id the CPAS already used is left unchanged; event
    ids are the CPAS's own, so another CPAS's id never collides)."""
    counts = UpsertCounts()
    beneficiaries, opportunities = outcome_reference_ids(session)
    for chunk in _chunks(items):
        existing = set(
            session.execute(
                select(OutcomeEventRow.cpas_id, OutcomeEventRow.external_id).where(
                    OutcomeEventRow.external_id.in_([e.id for e in chunk])
                )
            ).tuples()
        )
        new = []
        for e in chunk:
            if (e.cpas_id, e.id) in existing:
                counts.unchanged += 1
                continue
            b = beneficiaries.get((e.cpas_id, e.beneficiary_id))
            o = opportunities.get(e.opportunity_id)
            if b is None or o is None:
                what = "bénéficiaire" if b is None else "opportunité"
                raise UnknownReferenceError(
                    f"événement {e.id} : {what} inconnu(e) / unknown reference"
                )
            new.append(
                {
                    "external_id": e.id,
                    "cpas_id": e.cpas_id,
                    "beneficiary_id": b,
                    "opportunity_id": o,
                    "type": e.type.value,
                    "occurred_at": e.occurred_at,
                    "payload": e.model_dump(mode="json"),
                }
            )
        if new:
            session.execute(insert(OutcomeEventRow), new)
        counts.inserted += len(new)
    return counts


def get_beneficiary(session: Session, cpas_id: str, external_id: str) -> BeneficiaryProfile | None:
    """A beneficiary of one CPAS, or None (another CPAS's beneficiary is never returned)."""
    row = session.scalar(
        select(BeneficiaryRow).where(
            BeneficiaryRow.cpas_id == cpas_id, BeneficiaryRow.external_id == external_id
        )
    )
    return BeneficiaryProfile.model_validate(row.payload) if row else None


def cpas_of_beneficiary(session: Session, external_id: str) -> list[str]:
    """The CPAS that hold a beneficiary with this id (operator tools only; APIs take the CPAS)."""
    return list(
        session.scalars(
            select(BeneficiaryRow.cpas_id)
            .where(BeneficiaryRow.external_id == external_id)
            .order_by(BeneficiaryRow.cpas_id)
        )
    )


def list_beneficiaries(
    session: Session, cpas_id: str, limit: int = 100, offset: int = 0
) -> list[BeneficiaryProfile]:
    """Beneficiaries of one CPAS, by external id."""
    rows = session.scalars(
        select(BeneficiaryRow)
        .where(BeneficiaryRow.cpas_id == cpas_id)
        .order_by(BeneficiaryRow.external_id)
        .limit(limit)
        .offset(offset)
    )
    return [BeneficiaryProfile.model_validate(r.payload) for r in rows]


def opportunities_by_external_id(session: Session, ids: Sequence[str]) -> list[Opportunity]:
    """The stored opportunities of ``ids`` (unknown ids are skipped), in ``ids``' order."""
    found: dict[str, Opportunity] = {}
    for chunk in _chunks(list(ids)):
        rows = session.execute(
            select(OpportunityRow.external_id, OpportunityRow.payload).where(
                OpportunityRow.external_id.in_(chunk)
            )
        )
        found.update({ext: Opportunity.model_validate(payload) for ext, payload in rows})
    return [found[i] for i in ids if i in found]


def active_opportunities(
    session: Session, changed_since: dt.datetime | None = None
) -> list[tuple[int, Opportunity]]:
    """Every active opportunity with its stable integer id (``changed_since``: only those the
    store learnt of, or saw change, since then)."""
    stmt = select(OpportunityRow.id, OpportunityRow.payload).where(OpportunityRow.active.is_(True))
    if changed_since is not None:
        stmt = stmt.where(OpportunityRow.updated_at >= changed_since)
    rows = session.execute(stmt)
    return [(pk, Opportunity.model_validate(payload)) for pk, payload in rows]


def sample_profiles(session: Session, n: int) -> list[BeneficiaryProfile]:
    """Up to ``n`` stored profiles, spread evenly over the table (every k-th by key)."""
    total = session.scalar(select(func.count()).select_from(BeneficiaryRow)) or 0
    step = max(1, total // max(n, 1))
    payloads = session.scalars(
        select(BeneficiaryRow.payload).where(BeneficiaryRow.id % step == 0).limit(n)
    )
    return [BeneficiaryProfile.model_validate(p) for p in payloads]


def count_rows(session: Session) -> dict[str, int]:
    """Row counts per table (for status displays and tests)."""
    tables = {
        "cpas": CpasRow,
        "employer": EmployerRow,
        "opportunity": OpportunityRow,
        "beneficiary": BeneficiaryRow,
        "job_day": JobDayRow,
        "outcome_event": OutcomeEventRow,
    }
    return {
        name: int(session.scalar(select(func.count()).select_from(model)) or 0)
        for name, model in tables.items()
    }


def page(
    session: Session, stmt: Select[Any], limit: int, offset: int, *order: Any
) -> tuple[list[Any], int]:
    """One page of ``stmt``'s rows in ``order``, and how many rows the query has in all."""
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = list(session.scalars(stmt.order_by(*order).limit(limit).offset(offset)))
    return rows, total


def beneficiary_row(session: Session, cpas_id: str, external_id: str) -> BeneficiaryRow | None:
    """The stored row of one CPAS's beneficiary, or None (never another CPAS's)."""
    return session.scalar(
        select(BeneficiaryRow).where(
            BeneficiaryRow.cpas_id == cpas_id, BeneficiaryRow.external_id == external_id
        )
    )


def like_escaped(text: str) -> str:
    """``text`` with LIKE's wildcards escaped (use with ``escape="\\"``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def page_beneficiaries(
    session: Session,
    cpas_id: str,
    limit: int,
    offset: int,
    phase: str | None = None,
    in_employer_pool: bool | None = None,
    id_prefix: str | None = None,
) -> tuple[list[BeneficiaryProfile], int]:
    """A page of one CPAS's beneficiaries (by external id) and how many match; ``id_prefix``
    keeps the ids starting with it (case-insensitive)."""
    stmt = select(BeneficiaryRow).where(BeneficiaryRow.cpas_id == cpas_id)
    if id_prefix:
        stmt = stmt.where(
            BeneficiaryRow.external_id.ilike(f"{like_escaped(id_prefix)}%", escape="\\")
        )
    if phase is not None:
        stmt = stmt.where(BeneficiaryRow.trajectory_phase == phase)
    if in_employer_pool is not None:
        stmt = stmt.where(BeneficiaryRow.in_employer_pool.is_(in_employer_pool))
    rows, total = page(session, stmt, limit, offset, BeneficiaryRow.external_id)
    return [BeneficiaryProfile.model_validate(r.payload) for r in rows], total


def erase_beneficiary(session: Session, cpas_id: str, external_id: str) -> dict[str, int] | None:
    """Delete a beneficiary with their monitoring data, outcomes and shortlist history.

    Returns what was removed, or None when the CPAS holds no such beneficiary.
    """
    from tremplin.store.models import FreshMatchRow, ShortlistRow

    row = beneficiary_row(session, cpas_id, external_id)
    if row is None:
        return None
    session.execute(delete(FreshMatchRow).where(FreshMatchRow.beneficiary_id == row.id))
    shortlists = session.execute(delete(ShortlistRow).where(ShortlistRow.beneficiary_id == row.id))
    outcomes = session.execute(
        delete(OutcomeEventRow).where(OutcomeEventRow.beneficiary_id == row.id)
    )
    session.delete(row)
    session.flush()
    return {
        "shortlists": int(getattr(shortlists, "rowcount", 0) or 0),
        "outcomes": int(getattr(outcomes, "rowcount", 0) or 0),
    }

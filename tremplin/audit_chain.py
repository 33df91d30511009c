"""The audit trail's hash chain: tamper evidence that survives a database administrator.

The append-only triggers stop the service from editing the trail, but whoever can drop a
trigger can edit or delete a record unseen. Each record therefore carries its place in the
chain (``seq``), the previous record's hash and its own hash over its content and that
previous hash (SHA-256 over canonical JSON), written in the transaction of the work it audits.
Appending locks the chain's head row, so that records chain one after the other whatever the
number of workers and hosts.

:func:`verify` walks the chain and names the first record that does not match: an edited
record (its hash), a replaced one (the next record's link), a deleted one (a gap in the
places) or a cut tail (the head's last place). Records written before the chain (revision
0010) are counted, not checked. Erasure never touches a record: subjects are pseudonyms.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tremplin.store.models import AuditChainRow, AuditRow, AuditVerificationRow

GENESIS = "0" * 64
HEAD_ID = 1
BATCH = 2000  # records read at once while verifying


def _content(row: AuditRow) -> dict[str, Any]:
    """What a record's hash covers: every field but its database id and its own hash."""
    at = row.at.astimezone(dt.UTC) if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC)
    return {
        "seq": row.seq,
        "at": at.isoformat(timespec="microseconds"),
        "request_id": row.request_id,
        "actor": row.actor,
        "role": row.role,
        "tenant": row.tenant,
        "action": row.action,
        "subject": row.subject,
        "engine_version": row.engine_version,
        "model_version": row.model_version,
        "index_version": row.index_version,
        "ranker_version": row.ranker_version,
        "inputs": row.inputs or {},
        "returned_ids": row.returned_ids or [],
    }


def record_hash(row: AuditRow, prev_hash: str) -> str:
    """The hash of ``row`` chained after ``prev_hash``."""
    canonical = json.dumps(
        _content(row), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def append(session: Session, row: AuditRow) -> None:
    """Give ``row`` the next place in the chain and add it (in the caller's transaction).

    The head is updated first: on PostgreSQL that locks its row until the commit, on SQLite it
    takes the database's write lock; either way the next append waits and reads this one's
    hash."""
    session.execute(update(AuditChainRow).where(AuditChainRow.id == HEAD_ID).values(
        seq=AuditChainRow.seq + 1))  # fmt: skip
    head = session.execute(
        select(AuditChainRow.seq, AuditChainRow.last_hash).where(AuditChainRow.id == HEAD_ID)
    ).one()
    row.seq, row.prev_hash = int(head.seq), str(head.last_hash)
    row.record_hash = record_hash(row, row.prev_hash)
    session.add(row)
    session.execute(
        update(AuditChainRow).where(AuditChainRow.id == HEAD_ID).values(last_hash=row.record_hash)
    )


class ChainReport(BaseModel):
    """The outcome of one walk of the chain."""

    model_config = ConfigDict(from_attributes=True)

    checked: int
    before_chain: int
    intact: bool
    first_bad_id: int | None = None
    problem: str | None = None

    def sentence(self) -> str:
        """The report in one French line."""
        if self.intact:
            return f"chaîne d'audit intacte : {self.checked} enregistrement(s) vérifié(s)" + (
                f", {self.before_chain} antérieur(s) à la chaîne" if self.before_chain else ""
            )
        return f"chaîne d'audit rompue : {self.problem}"


def _broken(checked: int, before: int, row_id: int | None, problem: str) -> ChainReport:
    return ChainReport(
        checked=checked, before_chain=before, intact=False, first_bad_id=row_id, problem=problem
    )


def verify(session: Session) -> ChainReport:
    """Walk the chain in order; the first record that does not match, named, or intact."""
    before_count = int(
        session.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.seq.is_(None)))
        or 0
    )
    prev, expected, checked, last_seq = GENESIS, 1, 0, 0
    while True:
        rows = session.scalars(
            select(AuditRow).where(AuditRow.seq >= expected).order_by(AuditRow.seq).limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected:
                return _broken(checked, before_count, row.id,
                               f"enregistrement(s) manquant(s) avant l'enregistrement n° {row.id} "
                               f"(place {expected} attendue, {row.seq} trouvée)")  # fmt: skip
            if row.prev_hash != prev:
                return _broken(checked, before_count, row.id,
                               f"l'enregistrement n° {row.id} ne suit plus le précédent "
                               "(lien remplacé)")  # fmt: skip
            if row.record_hash != record_hash(row, prev):
                return _broken(checked, before_count, row.id,
                               f"l'enregistrement n° {row.id} a été modifié après son "
                               "écriture")  # fmt: skip
            prev, last_seq = str(row.record_hash), expected
            expected, checked = expected + 1, checked + 1
        session.expunge_all()
    head = session.get(AuditChainRow, HEAD_ID)
    if head is not None and (head.seq != last_seq or head.last_hash != prev):
        return _broken(checked, before_count, None,
                       f"les derniers enregistrements manquent (la chaîne s'arrête à la place "
                       f"{last_seq}, sa tête est à {head.seq})")  # fmt: skip
    return ChainReport(checked=checked, before_chain=before_count, intact=True)


def record_verification(session: Session, report: ChainReport, actor: str) -> None:
    """Keep the walk's outcome (the admin's page shows the last one)."""
    session.add(AuditVerificationRow(
        at=dt.datetime.now(dt.UTC), actor=actor, checked=report.checked,
        before_chain=report.before_chain, intact=report.intact,
        first_bad_id=report.first_bad_id, problem=report.problem,
    ))  # fmt: skip


class Verification(ChainReport):
    """A kept walk of the chain: when and by whom."""

    at: dt.datetime
    actor: str


def last_verification(session: Session) -> Verification | None:
    """The latest walk of the chain, if any."""
    row = session.scalars(
        select(AuditVerificationRow).order_by(AuditVerificationRow.id.desc()).limit(1)
    ).first()
    return Verification.model_validate(row) if row is not None else None

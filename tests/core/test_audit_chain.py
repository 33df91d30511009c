"""The audit trail's hash chain: records chain one after the other on every backend, even
written at once by several threads; an edited, deleted or cut record is named by the walk."""

from __future__ import annotations

import threading

from sqlalchemy import delete, text, update
from sqlalchemy.orm import Session, sessionmaker

from tremplin import audit, audit_chain
from tremplin.actors import Principal, Role
from tremplin.store.models import AuditRow

COACH = Principal(1, "coach.liege", Role.COACH, 1, cpas_id="cpas-liege")


def _write(factory: sessionmaker[Session], n: int, prefix: str = "r") -> None:
    for i in range(n):
        with factory() as session, session.begin():
            audit.record(
                session, COACH, f"{prefix}{i}", audit.AuditAction.SHORTLIST, tenant="cpas-liege",
                subject=f"{i:064x}", inputs={"top": 10, "kinds": ["job_offer"]},
                returned_ids=[f"opp-{i}", "opp-x"],
            )  # fmt: skip


def _verify(factory: sessionmaker[Session]) -> audit_chain.ChainReport:
    with factory() as session:
        return audit_chain.verify(session)


def _without_triggers(session: Session) -> None:
    """What a database administrator can do: drop the append-only triggers."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_record_no_update"))
        session.execute(text("DROP TRIGGER audit_record_no_delete"))
    else:
        session.execute(text("DROP TRIGGER audit_record_append_only ON audit_record"))


def test_records_chain_even_when_written_at_once(factory: sessionmaker[Session]) -> None:
    threads = [threading.Thread(target=_write, args=(factory, 8, f"t{k}-")) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = _verify(factory)
    assert report.intact and report.checked == 32 and report.before_chain == 0, report
    assert report.sentence() == "chaîne d'audit intacte : 32 enregistrement(s) vérifié(s)"


def test_an_edited_record_is_named(factory: sessionmaker[Session]) -> None:
    _write(factory, 5)
    with factory() as session, session.begin():
        _without_triggers(session)
        third = session.scalars(AuditRow.__table__.select().where(AuditRow.seq == 3)).first()
        session.execute(update(AuditRow).where(AuditRow.seq == 3).values(actor="quelqu.un"))
    report = _verify(factory)
    assert not report.intact and report.first_bad_id == third
    assert report.problem == f"l'enregistrement n° {third} a été modifié après son écriture"


def test_a_deleted_record_and_a_cut_tail_are_named(factory: sessionmaker[Session]) -> None:
    _write(factory, 5)
    with factory() as session, session.begin():
        _without_triggers(session)
        session.execute(delete(AuditRow).where(AuditRow.seq == 5))
    report = _verify(factory)
    assert not report.intact and "derniers enregistrements manquent" in (report.problem or "")
    with factory() as session, session.begin():
        session.execute(delete(AuditRow).where(AuditRow.seq == 2))
    report = _verify(factory)
    assert not report.intact and "manquant(s) avant l'enregistrement" in (report.problem or "")
    with factory() as session, session.begin():
        audit_chain.record_verification(session, report, "admin")
    with factory() as session:
        kept = audit_chain.last_verification(session)
    assert kept is not None and not kept.intact and kept.actor == "admin"

"""Storage on SQLite and PostgreSQL: migrations, tenancy, idempotent upserts, rollback."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import beneficiary, opportunity
from tremplin.store.db import transaction
from tremplin.store.models import Base
from tremplin.store.repository import (
    count_rows,
    ensure_cpas,
    get_beneficiary,
    list_beneficiaries,
    upsert_beneficiaries,
    upsert_opportunities,
)


def test_migrations_match_the_models(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        diff = compare_metadata(MigrationContext.configure(session.connection()), Base.metadata)
    assert diff == []


def test_coach_cannot_read_other_cpas_beneficiary(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        ensure_cpas(s, "cpas-liege", "CPAS de Liège")
        ensure_cpas(s, "cpas-molenbeek", "CPAS de Molenbeek")
        upsert_beneficiaries(
            s, [beneficiary(id="b-1"), beneficiary(id="b-1", cpas_id="cpas-molenbeek")]
        )
    with transaction(factory) as s:
        assert get_beneficiary(s, "cpas-liege", "b-1") is not None
        assert get_beneficiary(s, "cpas-molenbeek", "b-1").cpas_id == "cpas-molenbeek"  # type: ignore[union-attr]
        assert get_beneficiary(s, "cpas-seraing", "b-1") is None
        assert [b.cpas_id for b in list_beneficiaries(s, "cpas-liege")] == ["cpas-liege"]


def test_upserts_are_idempotent_and_update_changes(factory: sessionmaker[Session]) -> None:
    items = [opportunity(id=f"o-{i}") for i in range(5)]
    with transaction(factory) as s:
        first = upsert_opportunities(s, items)
    with transaction(factory) as s:
        again = upsert_opportunities(s, items)
        changed = upsert_opportunities(s, [opportunity(id="o-1", title="Agent d'entretien")])
        counts = count_rows(s)
    assert (first.inserted, again.unchanged, changed.updated) == (5, 5, 1)
    assert counts["opportunity"] == 5


def test_failed_transaction_stores_nothing(factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), transaction(factory) as s:
        upsert_opportunities(s, [opportunity(id="o-x")])
        raise RuntimeError("crash in the middle of a batch")
    with transaction(factory) as s:
        assert count_rows(s)["opportunity"] == 0


def test_monitoring_attributes_are_stored_apart(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        ensure_cpas(s, "cpas-liege", "CPAS de Liège")
        upsert_beneficiaries(
            s, [beneficiary(monitoring={"gender": "female", "origin": "eu", "age_band": "26-35"})]
        )
    with transaction(factory) as s:
        stored = get_beneficiary(s, "cpas-liege", "ben-1")
    assert (
        stored is not None and stored.monitoring.gender.value == "undisclosed"
    )  # not in the matching payload


def test_updating_a_beneficiary_updates_its_monitoring_row(factory: sessionmaker[Session]) -> None:
    from sqlalchemy import select

    from tremplin.store.models import BeneficiaryMonitoringRow

    with transaction(factory) as s:
        ensure_cpas(s, "cpas-liege", "CPAS de Liège")
        upsert_beneficiaries(s, [beneficiary(monitoring={"gender": "female", "origin": "eu"})])
    with transaction(factory) as s:
        counts = upsert_beneficiaries(
            s, [beneficiary(monitoring={"gender": "x", "origin": "non_eu", "age_band": "18-25"})]
        )
    with transaction(factory) as s:
        rows = list(s.scalars(select(BeneficiaryMonitoringRow)))
    assert counts.updated == 1
    assert [(r.gender, r.origin, r.age_band) for r in rows] == [("x", "non_eu", "18-25")]


def test_the_audit_trail_is_append_only(factory: sessionmaker[Session]) -> None:
    import datetime as dt

    from sqlalchemy import delete, select, update

    from tremplin.store.models import AuditRow

    with factory() as session, session.begin():
        session.add(
            AuditRow(
                at=dt.datetime.now(dt.UTC),
                request_id="r1",
                actor="a",
                role="admin",
                action="shortlist",
                inputs={},
                returned_ids=[],
            )
        )
    for statement in (update(AuditRow).values(actor="b"), delete(AuditRow)):
        with pytest.raises(Exception, match="append-only"), factory() as session, session.begin():
            session.execute(statement)
    with factory() as session:
        assert session.scalars(select(AuditRow.actor)).all() == ["a"]

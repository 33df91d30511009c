"""``--hidden-truth`` is taken only on the generator's own data: the load is recorded with a
digest of its events, and anything else (another source, events added since) is refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tremplin.ingest import load_sample_dir
from tremplin.provenance import NotGeneratorDataError, check_generator_store
from tremplin.sample import generate
from tremplin.sample.generator import write_sample
from tremplin.settings import get_settings
from tremplin.store.models import DatasetProvenanceRow, OutcomeEventRow
from tremplin_cli.main import app


def _load(root: Path, factory: sessionmaker[Session]) -> None:
    write_sample(generate(3, n_opportunities=120, n_beneficiaries=25), root, 3, False)
    assert all(r.stored for r in load_sample_dir(root, factory))


def test_the_generators_load_is_recorded_and_checked(
    tmp_path: Path, sqlite_factory: sessionmaker[Session]
) -> None:
    _load(tmp_path / "sample", sqlite_factory)
    with sqlite_factory() as session:
        row = check_generator_store(session)
        assert row.outcomes > 0 and row.manifest["seed"] == 3
    # an outcome recorded since (a real event, or an edit) ends the generator's truth
    with sqlite_factory() as session, session.begin():
        first = session.scalars(select(OutcomeEventRow).limit(1)).one()
        session.add(
            OutcomeEventRow(
                external_id="evt-real-1",
                cpas_id=first.cpas_id,
                beneficiary_id=first.beneficiary_id,
                opportunity_id=first.opportunity_id,
                type="proposed",
                occurred_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
                payload={},
            )
        )
    with sqlite_factory() as session, pytest.raises(NotGeneratorDataError, match="ajoutés"):
        check_generator_store(session)


def test_train_with_hidden_truth_refuses_data_that_is_not_the_generators(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tremplin.store.db import migrated_factory

    url = f"sqlite:///{tmp_path / 'tremplin.db'}"
    monkeypatch.setenv("TREMPLIN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TREMPLIN_DATABASE_URL", url)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    get_settings.cache_clear()
    factory = migrated_factory(url)
    _load(tmp_path / "sample", factory)
    with factory() as session, session.begin():
        session.execute(delete(DatasetProvenanceRow))  # as if loaded by `tremplin import`
    try:
        result = CliRunner().invoke(app, ["train", "--hidden-truth"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "--hidden-truth" in result.output and "générateur" in result.output
    assert not (tmp_path / "var" / "mlflow.db").exists()  # refused before anything was run

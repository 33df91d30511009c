"""Backups that restore, on each backend: a copy taken while the store is in use, checked by
its manifest, refused when altered or aimed at a non-empty place, and restored into an empty
installation with the same people, the same audit key and an audit chain that still holds."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select

from tests.conftest import empty_database_like
from tremplin import audit, audit_chain
from tremplin.actors import system_actor
from tremplin.backup import backup, read_manifest, restore
from tremplin.errors import InvalidRequestError
from tremplin.ingest import load_sample_dir
from tremplin.sample import generate, write_sample
from tremplin.settings import Settings
from tremplin.store.db import alembic_config, make_engine, session_factory, upgrade
from tremplin.store.models import BeneficiaryRow


def _settings(root: Path, url: str) -> Settings:
    return Settings(data_dir=root, database_url=url, models_dir=root / "models",
                    mlflow_tracking_uri=f"sqlite:///{root / 'mlflow.db'}")  # fmt: skip


def _people(url: str) -> dict[str, dict[str, object]]:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        rows = session.scalars(select(BeneficiaryRow)).all()
        out = {f"{r.cpas_id}/{r.external_id}": r.payload for r in rows}
    engine.dispose()
    return out


def test_backup_wipe_restore_drill(database_url: str, tmp_path: Path) -> None:
    settings = _settings(tmp_path / "a", database_url)
    engine = make_engine(database_url)
    upgrade(engine)
    factory = session_factory(engine)
    write_sample(generate(7, n_opportunities=60, n_beneficiaries=20), tmp_path / "sample", 7, False)
    assert all(r.stored for r in load_sample_dir(tmp_path / "sample", factory))
    key = audit.pseudonym_key(settings)
    actor = system_actor("cli:test", "cpas-liege")
    for i in range(5):
        with factory() as session, session.begin():
            audit.record(session, actor, f"r{i}", audit.AuditAction.SHORTLIST,
                         subject=audit.pseudonym(key, "cpas-liege", f"ben-{i}"))  # fmt: skip
    (settings.models_dir or tmp_path).mkdir(parents=True, exist_ok=True)
    (Path(settings.models_dir or tmp_path) / "weights.bin").write_bytes(os.urandom(4096))
    stop, written = threading.Event(), [0]

    def serve_writes() -> None:  # the service keeps auditing while the copy is taken
        while not stop.is_set():
            with factory() as session, session.begin():
                audit.record(session, actor, "w", audit.AuditAction.SHORTLIST)
            written[0] += 1

    writer = threading.Thread(target=serve_writes)
    writer.start()
    try:
        manifest = backup(settings, tmp_path / "backup")
    finally:
        stop.set()
        writer.join(30)
    assert written[0] > 0
    assert {"audit.key", "models/weights.bin"} <= {f.path for f in manifest.files}
    code_head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert manifest.migration_head == code_head is not None
    assert manifest.audit_key
    assert (tmp_path / "backup" / "audit.key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(InvalidRequestError, match="n'est pas vide"):
        backup(settings, tmp_path / "backup")
    with pytest.raises(InvalidRequestError, match="destination n'est pas vide"):
        restore(settings, tmp_path / "backup")  # the live installation is never overwritten
    engine.dispose()

    for restored_url in empty_database_like(database_url, tmp_path):
        target = _settings(tmp_path / "b", restored_url)
        restore(target, tmp_path / "backup")
        assert _people(restored_url) == _people(database_url)
        assert audit.pseudonym_key(target) == key
        assert (Path(target.models_dir or tmp_path) / "weights.bin").is_file()
        restored = make_engine(restored_url)
        with session_factory(restored)() as session:
            report = audit_chain.verify(session)
        restored.dispose()
        assert report.intact and report.checked >= 5, report


def test_an_altered_or_newer_backup_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a' / 'tremplin.db'}"
    settings = _settings(tmp_path / "a", url)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    audit.pseudonym_key(settings)
    backup(settings, tmp_path / "backup")
    key = tmp_path / "backup" / "audit.key"
    original = key.read_text()
    key.write_text("0" * 64)
    with pytest.raises(InvalidRequestError, match=r"altérée ou incomplète : audit\.key"):
        read_manifest(tmp_path / "backup")
    key.write_text(original)
    manifest = tmp_path / "backup" / "manifest.json"
    head = read_manifest(tmp_path / "backup").migration_head
    manifest.write_text(manifest.read_text().replace(f'"{head}"', '"0999"'))
    with pytest.raises(InvalidRequestError, match="schéma plus récent"):
        restore(_settings(tmp_path / "b", f"sqlite:///{tmp_path}/b/t.db"), tmp_path / "backup")
    with pytest.raises(InvalidRequestError, match="pas une sauvegarde Tremplin"):
        read_manifest(tmp_path)

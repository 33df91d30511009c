"""Backups that restore: one folder holding everything a Tremplin installation needs to come
back as it was, with a manifest that proves it is whole.

What is copied, while the service keeps serving:

- the application database: SQLite through its online backup API (a consistent copy even
  during writes), PostgreSQL through ``pg_dump`` in custom format (one snapshot);
- the MLflow store (SQLite, online backup) and its artefacts, so the served re-ranker and its
  gate records come back;
- the models folder (converted and fine-tuned encoders), the vector index and the audit key
  (the pseudonym secret): without that key the audit trail's pseudonyms and the pool's cards
  no longer match anybody.

``manifest.json`` lists every file with its SHA-256 and size, the database's migration head,
the code version and the original data folder. :func:`restore` refuses a folder whose files do
not match their checksums, a schema newer than the code, a database of the other kind, or a
destination that is not empty; it rewrites MLflow's absolute artefact paths when the data
folder moved. The folder holds personal data: keep it encrypted and readable by its owner only
(files are written 0600, folders 0700); see ``docs/deploy.md`` for retention.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from tremplin import __version__
from tremplin.errors import InvalidRequestError
from tremplin.settings import Settings
from tremplin.store.db import alembic_config, make_engine, upgrade

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1 << 20


class BackupFile(BaseModel):
    """One file of a backup."""

    path: str
    sha256: str
    size: int


class Manifest(BaseModel):
    """What a backup holds and how to check it."""

    format: int = FORMAT
    created_at: dt.datetime
    tremplin_version: str
    database: str  # "sqlite" or "postgresql"
    migration_head: str | None
    data_dir: str
    audit_key: bool
    mlflow: bool
    files: list[BackupFile]
    seconds: float = 0.0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def _libpq(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as pg_dump and pg_restore read it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(argv: list[str]) -> None:
    """A PostgreSQL client tool, its failure said in one French line."""
    try:
        subprocess.run(argv, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise InvalidRequestError(
            f"{argv[0]} introuvable : installez les outils clients PostgreSQL (postgresql-client)",
            f"{argv[0]} not found",
        ) from None
    except subprocess.CalledProcessError as exc:
        why = (exc.stderr or "").strip().splitlines()
        raise InvalidRequestError(
            f"{argv[0]} a échoué : {why[-1] if why else exc.returncode}", f"{argv[0]} failed"
        ) from None


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (its online backup API)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def migration_head(url: str) -> str | None:
    """The migration revision the database is at (None when it has none)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    finally:
        engine.dispose()


def _private(path: Path) -> None:
    for p in [path, *path.rglob("*")]:
        p.chmod(0o700 if p.is_dir() else 0o600)


def backup(settings: Settings, out: Path, models: bool = True) -> Manifest:
    """Copy the installation into ``out`` (new or empty) and write its manifest; ``models``:
    with the models folder (leave it out only where every model there can be made again: the
    converted encoders come from the installed package, fine-tuned ones do not)."""
    started = dt.datetime.now(dt.UTC)
    if out.exists() and any(out.iterdir()):
        raise InvalidRequestError(
            f"le dossier de sauvegarde {out} n'est pas vide : choisissez un dossier neuf",
            "backup folder not empty",
        )
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    url = settings.database_url
    sqlite_db = _sqlite_path(url)
    if sqlite_db is not None:
        _sqlite_copy(sqlite_db, out / "database.sqlite")
        kind = "sqlite"
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--file",
              str(out / "database.pgdump"), _libpq(url)])  # fmt: skip
        kind = "postgresql"
    mlflow_db = _sqlite_path(settings.mlflow_tracking_uri)
    if mlflow_db is not None and mlflow_db.exists():
        _sqlite_copy(mlflow_db, out / "mlflow.sqlite")
    data = Path(settings.data_dir)
    for name, source in (
        ("mlflow-artifacts", data / "mlflow-artifacts"),
        ("models", Path(settings.models_dir or data / "models")),
        ("index", data / "index"),
    ):
        if source.is_dir() and (models or name != "models"):
            shutil.copytree(source, out / name, ignore=shutil.ignore_patterns("embeddings.sqlite*"))
    key = data / "audit.key"
    if key.is_file() and not settings.pseudonym_key:
        shutil.copy2(key, out / "audit.key")
    _private(out)
    files = [
        BackupFile(path=p.relative_to(out).as_posix(), sha256=_sha256(p), size=p.stat().st_size)
        for p in sorted(out.rglob("*"))
        if p.is_file()
    ]
    manifest = Manifest(
        created_at=started,
        tremplin_version=__version__,
        database=kind,
        migration_head=migration_head(url),
        data_dir=str(data.resolve()),
        audit_key=(out / "audit.key").is_file(),
        mlflow=(out / "mlflow.sqlite").is_file(),
        files=files,
        seconds=round((dt.datetime.now(dt.UTC) - started).total_seconds(), 3),
    )
    (out / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
    (out / MANIFEST).chmod(0o600)
    return manifest


def read_manifest(folder: Path) -> Manifest:
    """The manifest of a backup, every file checked against it (refused otherwise)."""
    path = folder / MANIFEST
    try:
        manifest = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InvalidRequestError(
            f"{folder} n'est pas une sauvegarde Tremplin lisible (manifest.json absent ou "
            "illisible)",
            "no readable manifest",
        ) from None
    for f in manifest.files:
        p = folder / f.path
        if not p.is_file() or p.stat().st_size != f.size or _sha256(p) != f.sha256:
            raise InvalidRequestError(
                f"sauvegarde altérée ou incomplète : {f.path} ne correspond pas au manifeste",
                f"backup file does not match its manifest: {f.path}",
            )
    return manifest


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {r.revision for r in script.walk_revisions()}


def _target_is_empty(url: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return not inspect(conn).get_table_names()
    finally:
        engine.dispose()


def _move_artifact_paths(mlflow_db: Path, old: str, new: str) -> None:
    """MLflow keeps absolute artefact locations: point them at the restored folder."""
    if old == new:
        return
    conn = sqlite3.connect(mlflow_db)
    try:
        for table, column in (
            ("experiments", "artifact_location"),
            ("runs", "artifact_uri"),
            ("model_versions", "source"),
            ("model_versions", "storage_location"),
        ):
            conn.execute(f"UPDATE {table} SET {column} = REPLACE({column}, ?, ?)", (old, new))
        conn.commit()
    finally:
        conn.close()


def restore(settings: Settings, folder: Path) -> Manifest:
    """Bring a checked backup back into an empty installation (data folder and database), then
    upgrade its schema to the code's."""
    manifest = read_manifest(folder)
    if manifest.migration_head is not None and manifest.migration_head not in _known_revisions():
        raise InvalidRequestError(
            f"sauvegarde d'un schéma plus récent ({manifest.migration_head}) que ce code : "
            "installez la version de Tremplin qui l'a faite",
            "backup schema is newer than the code",
        )
    url = settings.database_url
    sqlite_db = _sqlite_path(url)
    if (sqlite_db is not None) != (manifest.database == "sqlite"):
        raise InvalidRequestError(
            f"sauvegarde {manifest.database} : restaurez-la dans une installation du même type",
            "backup of another database kind",
        )
    data = Path(settings.data_dir)
    models = Path(settings.models_dir or data / "models")
    taken = [n for n in ("index", "mlflow-artifacts", "audit.key", "mlflow.db")
             if (data / n).exists()]  # fmt: skip
    if (folder / "models").is_dir() and models.exists() and any(models.iterdir()):
        taken.append(str(models))
    if sqlite_db is not None and sqlite_db.exists():
        taken.append(sqlite_db.name)
    if taken or (sqlite_db is None and not _target_is_empty(url)):
        raise InvalidRequestError(
            "la destination n'est pas vide ("
            + (", ".join(taken) or "base de données")
            + ") : restaurez dans un dossier de données et une base vides",
            "restore target not empty",
        )
    data.mkdir(parents=True, exist_ok=True)
    if sqlite_db is not None:
        sqlite_db.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / "database.sqlite", sqlite_db)
    else:
        _run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", _libpq(url),
              str(folder / "database.pgdump")])  # fmt: skip
    for name in ("models", "index", "mlflow-artifacts"):
        if (folder / name).is_dir():
            target = models if name == "models" else data / name
            shutil.copytree(folder / name, target, dirs_exist_ok=name == "models")
    if manifest.audit_key:
        shutil.copy2(folder / "audit.key", data / "audit.key")
        os.chmod(data / "audit.key", 0o600)
    mlflow_db = _sqlite_path(settings.mlflow_tracking_uri)
    if manifest.mlflow and mlflow_db is not None:
        mlflow_db.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / "mlflow.sqlite", mlflow_db)
        _move_artifact_paths(mlflow_db, manifest.data_dir, str(data.resolve()))
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return manifest


def manifest_summary(manifest: Manifest) -> str:
    """One French line about a backup."""
    size = sum(f.size for f in manifest.files) / 1e6
    return (
        f"sauvegarde du {manifest.created_at:%d/%m/%Y %H:%M} UTC : base {manifest.database} "
        f"(schéma {manifest.migration_head}), {len(manifest.files)} fichier(s), {size:.1f} Mo"
        + (", clé d'audit" if manifest.audit_key else "")
        + (", registre MLflow" if manifest.mlflow else "")
    )

"""The benchmarks' shared set-up: a generated sample stored and indexed in its own data folder,
and the accounts a benchmark signs in with."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tremplin.actors import Role
from tremplin.settings import Settings


def indexed_sample(
    data_dir: Path,
    seed: int,
    n_opportunities: int,
    n_beneficiaries: int,
    progress: bool = False,
) -> tuple[Settings, sessionmaker[Session]]:
    """The sample of ``seed`` loaded and indexed under ``data_dir`` (once per folder: a later
    run reuses it); the settings of that folder and a session factory on its database."""
    os.environ["TREMPLIN_DATA_DIR"] = str(data_dir)
    from matching.engine import build_index
    from tremplin.ingest import load_sample_dir
    from tremplin.sample import generate, write_sample
    from tremplin.settings import get_settings
    from tremplin.store.db import migrated_factory, transaction

    settings = get_settings()
    factory = migrated_factory(settings.database_url)
    sample = data_dir / "sample"
    if not (sample / "manifest.json").exists():
        data = generate(seed, n_opportunities=n_opportunities, n_beneficiaries=n_beneficiaries)
        write_sample(data, sample, seed, False)
        load_sample_dir(sample, factory)
        with transaction(factory) as session:
            built = build_index(session, settings, progress=progress)
        if progress:
            print(built, flush=True)
    return settings, factory


def ensure_users(
    session: Session, wanted: dict[str, tuple[Role, dict[str, Any]]], password: str
) -> None:
    """Create the accounts of ``wanted`` (name -> role and scope) that do not exist yet."""
    from serving import users as accounts

    for name, (role, scope) in wanted.items():
        if accounts.get_user(session, name) is None:
            accounts.create_user(session, name, password, role, **scope)

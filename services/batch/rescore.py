"""Nightly rescoring: every beneficiary's best fresh opportunities, on Ray or in one loop.

The driver reads what is fresh (active opportunities the store learnt of since the previous
run, or since ``since``), their vectors (embedding cache) and the registry's champion
re-ranker (refused like the API refuses it), and hands them to each worker once. Workers
rebuild a small catalogue of the fresh opportunities with the served encoder and title
linker, then rank them for batches of profiles with the shortlist itself — hard filters,
channels, fusion and the re-ranker — so a nightly candidate is one the coach's shortlist
would show. Results (database keys, ranks and scores only) go to Parquet under
``out_dir/<run id>/`` and are then loaded into the store (``rescore_run``, ``fresh_match``)
for the coaches' "new since your last visit" view.

``engine="loop"`` runs the same worker over the same batches in this process: the baseline
the Ray engine is measured against (``benchmarks/bench_batch.py``), and the reference its
results are tested equal to.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import BaseModel
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from data_contracts.enums import OpportunityKind
from data_contracts.models import BeneficiaryProfile, Opportunity
from matching.catalogue import OpportunityCatalogue, dense_text
from matching.embedding_cache import EmbeddingCache, text_key
from matching.encoder import served_encoder
from matching.engine import ad_coder, cache_path, title_linker
from matching.reranker import Reranker
from matching.shortlist import shortlist
from matching.vector_index import VectorIndex
from services.batch.parquet import private_folder, read_folder, write_table
from services.batch.runtime import BatchOptions, compute_options, ray_session
from tremplin.errors import EmptyProfileError
from tremplin.settings import Settings
from tremplin.store.db import transaction
from tremplin.store.models import BeneficiaryRow, FreshMatchRow, OpportunityRow, RescoreRunRow
from tremplin.store.repository import active_opportunities
from tremplin.taxonomy import load_taxonomy

log = logging.getLogger(__name__)

RESULT_SCHEMA = pa.schema(
    [
        ("beneficiary_id", pa.int64()),
        ("cpas_id", pa.string()),
        ("opportunity_id", pa.int64()),
        ("rank", pa.int32()),
        ("score", pa.float64()),
    ]
)


class RescoreReport(BaseModel):
    """What a rescoring run did (figures and versions, nothing personal)."""

    run_id: str
    engine: str
    workers: int
    fresh_since: dt.datetime | None
    fresh_opportunities: int
    beneficiaries: int
    candidates: int
    ranker: str
    encoder_version: str
    seconds: float
    beneficiaries_per_s: float
    output: str
    loaded: bool


@dataclass
class RescoreJob:
    """What every worker receives once: the fresh opportunities with their vectors, the
    re-ranker, the day and how many to keep per person."""

    settings: Settings
    opportunities: list[Opportunity]
    ids: np.ndarray
    vectors: np.ndarray
    keys: list[str]
    encoder_version: str
    reranker: Reranker | None
    today: dt.date
    top: int
    threads: int | None = None  # numerical libraries' threads per worker (None: untouched)
    link_titles: bool = field(default=True)


class RescoreWorker:
    """Ranks the fresh opportunities for batches of profiles with the shortlist."""

    def __init__(self, job: RescoreJob) -> None:
        from services.engine import limit_compute_threads

        settings = job.settings
        self.encoder = served_encoder(settings)
        if self.encoder.version != job.encoder_version:
            raise RuntimeError(
                f"worker encoder {self.encoder.version} differs from the driver's "
                f"{job.encoder_version}: the workers must read the same models folder"
            )
        index = VectorIndex.build(self.encoder.version, job.ids, job.vectors, job.keys)
        linker = title_linker(settings, self.encoder) if job.link_titles else None
        coder = ad_coder(settings, self.encoder) if job.link_titles else None
        self.catalogue = OpportunityCatalogue(
            job.opportunities,
            load_taxonomy(),
            ids=job.ids,
            encoder=self.encoder,
            index=index,
            linker=linker,
            coder=coder,  # ads and wishes read as the served engine reads them
        )
        self.cache = EmbeddingCache(cache_path(settings))
        self.job = job
        if job.threads is not None:
            limit_compute_threads(job.threads)

    def __call__(self, batch: dict[str, np.ndarray]) -> pa.Table:
        from matching.profile import ProfileView, prepare_views

        cat, job = self.catalogue, self.job
        profiles = [BeneficiaryProfile.model_validate_json(str(p)) for p in batch["profile"]]
        # one batched encode (or cache read) for the batch's people
        prepare_views([ProfileView.of(p, cat) for p in profiles], self.encoder, self.cache)
        columns: dict[str, list[Any]] = {name: [] for name in RESULT_SCHEMA.names}
        for pk, cpas, profile in zip(
            batch["beneficiary_id"], batch["cpas_id"], profiles, strict=True
        ):
            try:
                result = shortlist(
                    profile,
                    cat,
                    top=job.top,
                    today=job.today,
                    reranker=job.reranker,
                    with_pathways=False,
                    kinds=frozenset(OpportunityKind),
                )
            except EmptyProfileError:
                continue
            for rank, item in enumerate(result.items, start=1):
                columns["beneficiary_id"].append(int(pk))
                columns["cpas_id"].append(str(cpas))
                columns["opportunity_id"].append(
                    int(cat.ids[cat.by_external_id[item.opportunity_id]])
                )
                columns["rank"].append(rank)
                columns["score"].append(float(item.score))
        return pa.table(columns, schema=RESULT_SCHEMA)


def last_run_start(session: Session) -> dt.datetime | None:
    """When the latest stored run started (the next run's freshness horizon)."""
    return session.scalar(
        select(RescoreRunRow.started_at).order_by(RescoreRunRow.started_at.desc())
    )


def profile_rows(session: Session, cpas_id: str | None = None) -> list[dict[str, Any]]:
    """Every stored beneficiary as (key, CPAS, profile JSON), optionally of one CPAS."""
    stmt = select(BeneficiaryRow.id, BeneficiaryRow.cpas_id, BeneficiaryRow.payload)
    if cpas_id is not None:
        stmt = stmt.where(BeneficiaryRow.cpas_id == cpas_id)
    return [
        {
            "beneficiary_id": pk,
            "cpas_id": cpas,
            "profile": BeneficiaryProfile.model_validate(p).model_dump_json(),
        }
        for pk, cpas, p in session.execute(stmt.order_by(BeneficiaryRow.id))
    ]


def prepare_job(
    settings: Settings,
    session: Session,
    since: dt.datetime | None,
    reranker: Reranker | None,
    today: dt.date,
    top: int,
) -> RescoreJob:
    """The fresh opportunities since ``since`` with their vectors (cache, else encoded)."""
    fresh = active_opportunities(session, changed_since=since)
    encoder = served_encoder(settings)
    tax = load_taxonomy()
    texts = [dense_text(o, tax) for _, o in fresh]
    cache = EmbeddingCache(cache_path(settings))
    try:
        vectors = cache.embed(encoder, texts, "passage")
    finally:
        cache.close()
    return RescoreJob(
        settings=settings,
        opportunities=[o for _, o in fresh],
        ids=np.asarray([pk for pk, _ in fresh], dtype=np.int64),
        vectors=vectors,
        keys=[text_key(t, "passage") for t in texts],
        encoder_version=encoder.version,
        reranker=reranker,
        today=today,
        top=top,
        link_titles=settings.link_titles,
    )


def run_job(
    job: RescoreJob, rows: list[dict[str, Any]], options: BatchOptions, folder: Path
) -> None:
    """Rank ``rows`` with ``job`` on the chosen engine, writing Parquet into ``folder``."""
    private_folder(folder)
    if options.engine == "ray":
        import ray.data

        with ray_session(options):
            ds = ray.data.from_items(rows, override_num_blocks=max(1, 4 * options.workers))
            ds.map_batches(
                RescoreWorker,
                fn_constructor_kwargs={"job": replace(job, threads=1)},  # one core per actor
                **compute_options(options),  # type: ignore[arg-type]
            ).write_parquet(str(folder))
        return
    worker = RescoreWorker(job)
    parts = []
    for start in range(0, len(rows), options.batch_size):
        chunk = rows[start : start + options.batch_size]
        parts.append(
            worker(
                {
                    name: np.asarray([r[name] for r in chunk])
                    for name in ("beneficiary_id", "cpas_id", "profile")
                }
            )
        )
    write_table(pa.concat_tables(parts) if parts else RESULT_SCHEMA.empty_table(), folder)


def rescore(
    settings: Settings,
    factory: sessionmaker[Session],
    out_dir: Path,
    options: BatchOptions,
    since: dt.datetime | None = None,
    everything: bool = False,
    top: int = 20,
    today: dt.date | None = None,
    reranker: Reranker | None = None,
    load: bool = True,
) -> RescoreReport:
    """Rescore every stored beneficiary against the fresh opportunities (since ``since``;
    default: the previous run's start; ``everything``: the whole active catalogue) and load
    the results into the store."""
    started = dt.datetime.now(dt.UTC)
    run_id = str(uuid.uuid4())
    day = today or settings.today()
    with factory() as session:
        horizon = None if everything else (since or last_run_start(session))
        job = prepare_job(settings, session, horizon, reranker, day, top)
        rows = profile_rows(session)
    folder = out_dir / run_id
    t0 = time.perf_counter()
    if len(job.ids) and rows:
        run_job(job, rows, options, folder)
    else:
        write_table(RESULT_SCHEMA.empty_table(), folder)
    seconds = time.perf_counter() - t0
    table = read_folder(folder)
    report = RescoreReport(
        run_id=run_id,
        engine=options.engine,
        workers=options.workers if options.engine == "ray" else 1,
        fresh_since=horizon,
        fresh_opportunities=len(job.ids),
        beneficiaries=len(rows),
        candidates=table.num_rows,
        ranker=reranker.version if reranker else "fusion",
        encoder_version=job.encoder_version,
        seconds=round(seconds, 3),
        beneficiaries_per_s=round(len(rows) / seconds, 2) if seconds > 0 else 0.0,
        output=str(folder),
        loaded=False,
    )
    if load:
        load_run(factory, report, table, started)
        report.loaded = True
    return report


def load_run(
    factory: sessionmaker[Session], report: RescoreReport, table: pa.Table, started: dt.datetime
) -> None:
    """Store a run and its candidates in one transaction (skipping people or opportunities
    erased or removed while it ran)."""
    with transaction(factory) as session:
        people = set(session.scalars(select(BeneficiaryRow.id)))
        offers = set(session.scalars(select(OpportunityRow.id)))
        session.add(
            RescoreRunRow(
                id=report.run_id,
                started_at=started,
                finished_at=dt.datetime.now(dt.UTC),
                fresh_since=report.fresh_since,
                engine=report.engine,
                summary=report.model_dump(mode="json", exclude={"output", "loaded"}),
            )
        )
        session.flush()
        records = [
            {"run_id": report.run_id, **r}
            for r in table.to_pylist()
            if r["beneficiary_id"] in people and r["opportunity_id"] in offers
        ]
        for start in range(0, len(records), 5000):
            session.execute(insert(FreshMatchRow), records[start : start + 5000])

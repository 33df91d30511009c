"""Batch embedding and nightly rescoring (``services.batch``): Ray in local mode ranks exactly
as the single-process loop and as the coach's shortlist; what is fresh; the load into the
store; the coaches' "new since your last visit" through the API and the page (tenancy, roles,
audit, erasure) on SQLite and PostgreSQL; the ``tremplin batch`` commands and their errors."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from api_support import TODAY, World, page_session
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from matching.catalogue import dense_text
from matching.embedding_cache import EmbeddingCache
from matching.encoder import served_encoder
from matching.engine import cache_path
from services.batch.embed import embed
from services.batch.parquet import read_folder, vectors_of
from services.batch.rescore import rescore
from services.batch.runtime import BatchOptions
from tremplin.settings import get_settings
from tremplin.store.db import make_engine, session_factory
from tremplin.store.models import (
    AuditRow,
    BeneficiaryRow,
    FreshMatchRow,
    OpportunityRow,
    RescoreRunRow,
)
from tremplin.store.repository import active_opportunities
from tremplin.taxonomy import load_taxonomy
from tremplin_cli.main import app

DAY = dt.date.fromisoformat(TODAY)
LOOP = BatchOptions(engine="loop", batch_size=16)


@pytest.fixture(scope="module")
def w(api: World) -> World:
    api.build_linker()
    return api


@pytest.fixture(scope="module")
def factory(w: World) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(w.settings.database_url)
    yield session_factory(engine)
    engine.dispose()


def _frame(folder: str) -> pd.DataFrame:
    table = read_folder(Path(folder)).to_pandas()
    return table.sort_values(["beneficiary_id", "rank"]).reset_index(drop=True)


def _keys(factory: sessionmaker[Session]) -> tuple[dict[int, str], dict[int, str]]:
    with factory() as session:
        people = {
            int(k): str(v)
            for k, v in session.execute(select(BeneficiaryRow.id, BeneficiaryRow.external_id))
        }
        offers = {
            int(k): str(v)
            for k, v in session.execute(select(OpportunityRow.id, OpportunityRow.external_id))
        }
    return people, offers


def _cache_profile_queries(w: World, factory: sessionmaker[Session]) -> None:
    """Every profile's query vector in the embedding cache first (the nightly steady state):
    a vector encoded in a batch of another make-up differs in its last bits, which can swap
    near-tied offers between two runs (measured by ``bench_batch.py``)."""
    from data_contracts.models import BeneficiaryProfile
    from matching.profile import ProfileView

    served = w.client.app.state.tremplin.matching  # type: ignore[attr-defined]
    catalogue = served.current().catalogue
    with factory() as session:
        payloads = list(session.scalars(select(BeneficiaryRow.payload)))
    views = [ProfileView.of(BeneficiaryProfile.model_validate(p), catalogue) for p in payloads]
    served.embed_queries(served_encoder(w.settings), views)


def test_ray_local_mode_ranks_as_the_loop_and_as_the_shortlist(
    w: World, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """The same fresh catalogue ranked for every person on Ray (an actor pool, sharded Parquet)
    and in one loop gives the same rows; each person's list is their shortlist's; the batch
    embedding gives the encoder's vectors and writes no text."""
    if "postgresql" in w.settings.database_url:
        pytest.skip("the engines are compared once, on SQLite (the store is not involved)")
    import ray

    _cache_profile_queries(w, factory)
    # one Ray CPU: the suite's other worker keeps a core (the engine's results do not depend
    # on how many actors share the work; the benchmark runs one per core)
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        on_ray = rescore(
            w.settings, factory, tmp_path, BatchOptions(engine="ray", workers=1, batch_size=16),
            everything=True, today=DAY, load=False,
        )  # fmt: skip
        vectors = embed(
            w.settings, factory, "opportunities", tmp_path, BatchOptions(workers=1, batch_size=64)
        )
        queries = embed(w.settings, factory, "profiles", tmp_path, BatchOptions(workers=1))
    finally:
        ray.shutdown()
    in_loop = rescore(w.settings, factory, tmp_path, LOOP, everything=True, today=DAY, load=False)
    a, b = _frame(in_loop.output), _frame(on_ray.output)
    assert in_loop.beneficiaries == on_ray.beneficiaries == 60 and len(a) > 300
    assert a[["beneficiary_id", "opportunity_id", "rank"]].equals(
        b[["beneficiary_id", "opportunity_id", "rank"]]
    )
    assert np.allclose(a["score"], b["score"], atol=1e-6)
    assert len(list(Path(on_ray.output).glob("*.parquet"))) >= 2  # sharded by blocks
    assert a.groupby("beneficiary_id")["rank"].max().max() <= 20
    people, offers = _keys(factory)
    for pk in sorted(a["beneficiary_id"].unique())[:3]:
        ext = people[int(pk)]
        cpas = next(c for c, ids in w.beneficiaries.items() if ext in ids)
        coach = {"cpas-liege": "coach.liege", "cpas-seraing": "coach.seraing"}.get(cpas)
        if coach is None:
            continue
        r = w.call(coach, "POST", "/api/v1/shortlists",
                   json={"beneficiary_id": ext, "top": 20, "today": TODAY})  # fmt: skip
        assert r.status_code == 200, r.text
        shown = [i["opportunity_id"] for i in r.json()["shortlist"]["items"]]
        nightly = [offers[int(o)] for o in a[a["beneficiary_id"] == pk]["opportunity_id"]]
        assert nightly == shown
    # batch embedding: every active offer once, the encoder's own vectors, no text written
    table = read_folder(Path(vectors.output))
    assert set(table.column_names) == {"id", "key", "fresh", "vector"}
    with factory() as session:
        active = active_opportunities(session)
    assert sorted(table.column("id").to_pylist()) == sorted(pk for pk, _ in active)
    assert vectors.rows == len(active) and vectors.files >= 2
    tax = load_taxonomy()
    text_of = {pk: dense_text(o, tax) for pk, o in active}
    ids = table.column("id").to_pylist()[:40]
    cache = EmbeddingCache(cache_path(w.settings))
    try:
        expected = cache.embed(served_encoder(w.settings), [text_of[i] for i in ids], "passage")
    finally:
        cache.close()
    assert np.allclose(vectors_of(table)[:40], expected, atol=1e-5)
    # profiles: every text each person's shortlists embed (wish, clauses, titles), keyed
    people = read_folder(Path(queries.output))
    assert len(set(people.column("id").to_pylist())) == 60 and queries.what == "profiles"
    assert queries.rows == people.num_rows > 60


def test_new_since_last_visit(w: World, factory: sessionmaker[Session], tmp_path: Path) -> None:
    """A night's finds show for the person until the coach's next shortlist, then only what
    later nights find that the shortlist did not show; only what changed is fresh; tenancy,
    roles, the audit trail and erasure hold."""
    person = w.beneficiaries["cpas-liege"][-1]
    url = f"/api/v1/beneficiaries/{person}/new-opportunities"
    before = w.call("coach.liege", "GET", url)
    assert before.status_code == 200 and before.json()["items"] == []
    first = rescore(w.settings, factory, tmp_path, LOOP, everything=True, today=DAY)
    assert first.loaded and first.candidates > 0 and first.fresh_since is None
    found = w.call("coach.liege", "GET", url).json()
    assert found["last_visit"] is None and found["last_run"] is not None
    titles = [i["title"] for i in found["items"]]
    scores = [i["score"] for i in found["items"]]
    assert titles and scores == sorted(scores, reverse=True)
    client, _ = page_session(w, "coach.liege")
    page = client.get(f"/coach/beneficiaires/{person}")
    assert page.status_code == 200 and "Nouveautés depuis votre dernière visite" in page.text
    assert titles[0].replace("'", "&#39;") in page.text
    # the coach's visit: nothing is new until the next night
    r = w.call("coach.liege", "POST", "/api/v1/shortlists",
               json={"beneficiary_id": person, "top": 5, "today": TODAY})  # fmt: skip
    shown = {i["opportunity_id"] for i in r.json()["shortlist"]["items"]}
    assert w.call("coach.liege", "GET", url).json()["items"] == []
    # the next night: nothing changed, nothing fresh; three offers change, only they are
    again = rescore(w.settings, factory, tmp_path, LOOP, today=DAY)
    assert again.fresh_opportunities == 0 and again.candidates == 0
    with factory() as session, session.begin():
        touched = list(session.scalars(select(OpportunityRow.id).limit(3)))
        session.execute(
            update(OpportunityRow)
            .where(OpportunityRow.id.in_(touched))
            .values(updated_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
        )
    night = rescore(w.settings, factory, tmp_path, LOOP, everything=True, today=DAY)
    later = w.call("coach.liege", "GET", url).json()["items"]
    assert later and not {i["opportunity_id"] for i in later} & shown
    small = rescore(w.settings, factory, tmp_path, LOOP, since=night.fresh_since, today=DAY)
    assert small.fresh_opportunities == len(touched) or small.fresh_since is not None
    # tenancy, roles, audit
    assert w.call("coach.seraing", "GET", url).status_code == 404
    assert w.call("maison.liege", "GET", url).status_code == 403
    assert w.call(None, "GET", url).status_code == 401
    with factory() as session:
        audits = session.scalars(select(AuditRow).where(AuditRow.action == "fresh_matches")).all()
        assert audits and all(a.subject and a.subject.startswith("psn_") for a in audits)
        assert person not in json.dumps([a.inputs for a in audits])
        pk = session.scalar(select(BeneficiaryRow.id).where(BeneficiaryRow.external_id == person))
        assert session.scalar(select(FreshMatchRow.id).where(FreshMatchRow.beneficiary_id == pk))
        assert session.scalar(select(RescoreRunRow.summary)) is not None
    assert w.call("coach.liege", "DELETE", f"/api/v1/beneficiaries/{person}").status_code == 200
    with factory() as session:
        assert (
            session.scalar(select(FreshMatchRow.id).where(FreshMatchRow.beneficiary_id == pk))
            is None
        )


def test_batch_commands_and_their_errors(
    w: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``tremplin batch rescore`` runs and loads; bad options exit 2 with what to fix."""
    if "postgresql" in w.settings.database_url:
        pytest.skip("the command is the same on both stores")
    s = w.settings
    for name, value in {
        "TREMPLIN_DATA_DIR": s.data_dir,
        "TREMPLIN_DATABASE_URL": s.database_url,
        "TREMPLIN_MODELS_DIR": s.models_dir,
        "TREMPLIN_EMBEDDING_CACHE": s.embedding_cache,
        "TREMPLIN_PSEUDONYM_KEY": "test-pseudonym-key",
    }.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        out = tmp_path / "nightly"
        args = [
            "batch",
            "rescore",
            "--engine",
            "loop",
            "--all",
            "--today",
            TODAY,
            "--out",
            str(out),
        ]
        ok = runner.invoke(app, [*args, "--json"])
        assert ok.exit_code == 0, ok.output
        report = json.loads(ok.output)
        assert report["loaded"] and report["candidates"] > 0 and report["ranker"] == "fusion"
        assert (out / report["run_id"]).is_dir()
        assert oct((out / report["run_id"]).stat().st_mode)[-3:] == "700"
        for bad, says in (
            (["batch", "rescore", "--engine", "spark"], "moteur inconnu"),
            (["batch", "rescore", "--since", "hier"], "date invalide"),
            (["batch", "rescore", "--since", "2026-11-01", "--all"], "s'excluent"),
            (["batch", "rescore", "--workers", "0", "--engine", "loop"], "--workers"),
            (["batch", "embed", "everything"], "opportunities ou profiles"),
        ):
            result = runner.invoke(app, bad)
            assert result.exit_code == 2, (bad, result.output)
            assert says in result.output, (bad, result.output)
    finally:
        get_settings.cache_clear()

"""The training loop: labels, split, features, gate, fairness, and the whole loop end to end
(train → MLflow run → registry → gated promotion → served → rollback; a worse one rejected)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from data_contracts.enums import AgeBand, Gender, Origin, OutcomeType, RefusalReason
from matching.catalogue import OpportunityCatalogue
from matching.features import FEATURE_NAMES, feature_matrix, query_signals
from matching.profile import ProfileView
from matching.reranker import FeatureMismatchError, SklearnReranker
from training.evaluation import person_result
from training.labels import Event, pair_labels
from tremplin.sample import generate

T0 = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[2]
PROTECTED = ("gender", "age", "origin", "nationality", "monitoring")


def _event(t: OutcomeType, days: int, reason: RefusalReason | None = None) -> Event:
    return Event(1, 2, t, T0 + dt.timedelta(days=days), reason)


def test_grades_follow_the_funnel_and_stop_at_the_cutoff() -> None:
    events = [
        _event(OutcomeType.SHOWN, 0),
        _event(OutcomeType.PROPOSED, 1),
        _event(OutcomeType.APPLIED, 4),
        _event(OutcomeType.INTERVIEW, 14),
        _event(OutcomeType.HIRED, 21),
    ]
    assert pair_labels(events)[(1, 2)].grade == 4
    assert pair_labels(events, until=T0 + dt.timedelta(days=10))[(1, 2)].grade == 2
    refused = [
        _event(OutcomeType.SHOWN, 0),
        _event(OutcomeType.PROPOSED, 1),
        _event(OutcomeType.REFUSED, 3, RefusalReason.DISTANCE),
    ]
    assert pair_labels(refused)[(1, 2)].grade == 0  # a hard obstacle: one stage lower
    not_interested = [*refused[:2], _event(OutcomeType.REFUSED, 3, RefusalReason.OTHER)]
    assert pair_labels(not_interested)[(1, 2)].grade == 1


def test_no_protected_attribute_is_a_feature() -> None:
    assert not [n for n in FEATURE_NAMES if any(p in n for p in PROTECTED)]


@pytest.fixture(scope="module")
def small_catalogue() -> tuple[OpportunityCatalogue, Any]:
    data = generate(3, n_opportunities=120, n_beneficiaries=30)
    return OpportunityCatalogue(data.opportunities), data


@settings(max_examples=25, deadline=None)
@given(
    person=st.integers(0, 29),
    gender=st.sampled_from(list(Gender)),
    age=st.sampled_from(list(AgeBand)),
    origin=st.sampled_from(list(Origin)),
)
def test_features_ignore_the_monitoring_attributes(
    small_catalogue: tuple[OpportunityCatalogue, Any],
    person: int,
    gender: Gender,
    age: AgeBand,
    origin: Origin,
) -> None:
    cat, data = small_catalogue
    b = data.beneficiaries[person]
    other = b.model_copy(
        update={
            "monitoring": b.monitoring.model_copy(
                update={"gender": gender, "age_band": age, "origin": origin}
            )
        }
    )
    positions = np.arange(len(cat))
    day = dt.date(2026, 11, 1)
    a = feature_matrix(query_signals(ProfileView(b, cat.taxonomy), cat, day), cat, positions)
    z = feature_matrix(query_signals(ProfileView(other, cat.taxonomy), cat, day), cat, positions)
    np.testing.assert_array_equal(a, z)
    assert a.shape == (len(cat), len(FEATURE_NAMES))


def test_a_model_of_other_features_is_refused() -> None:
    with pytest.raises(FeatureMismatchError):
        SklearnReranker(object(), "v", feature_names=("dense", "lexical"))


@settings(max_examples=40, deadline=None)
@given(
    gains=st.lists(st.floats(0, 4), min_size=12, max_size=30),
    data=st.data(),
)
def test_person_figures_stay_in_range(gains: list[float], data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(len(gains))))
    r = person_result(1, np.asarray(order), dict(enumerate(gains)), 2.5)
    for value in (r.ndcg, r.ndcg_exp, r.ndcg_binary, r.exposure_raw, r.reciprocal_rank):
        assert 0.0 <= value <= 1.0 + 1e-9
    best = person_result(
        1, np.argsort(-np.asarray(gains), kind="stable"), dict(enumerate(gains)), 2.5
    )
    assert best.ndcg == pytest.approx(1.0) or max(gains) == 0
    assert best.ndcg >= r.ndcg - 1e-9


# --- the whole loop -------------------------------------------------------------------------


def _cli(*args: str) -> Any:
    from tremplin_cli.main import app

    return CliRunner().invoke(app, list(args), catch_exceptions=False)


WHOLE_LOOP_SIZE = (1000, 3000)  # opportunities, people: every group measurable (750 held out)


@pytest.mark.slow
def test_the_whole_loop(tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Train with the default gate → promoted (audited) → served → a worse one refused, even
    when re-evaluated by ``promote`` → an alias set by hand in MLflow is not served (readyz
    says why) → forced with a reason (audited) → rolled back → listed with every check."""
    import json

    from api_support import finish_task, page_session, world
    from notebook_support import run_notebook

    from training import registry
    from training.datasets import load_outcome_data
    from training.gate import Verdict
    from training.pipeline import train
    from tremplin.audit import AuditAction
    from tremplin.settings import get_settings
    from tremplin.store.db import make_engine, session_factory
    from tremplin.store.models import AuditRow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    url = f"sqlite:///{tmp_path / 'tremplin.db'}"
    with world(tmp_path, url, shared_dir, size=WHOLE_LOOP_SIZE) as w:
        s = w.settings
        monkeypatch.setenv("TREMPLIN_DATA_DIR", str(s.data_dir))
        monkeypatch.setenv("TREMPLIN_DATABASE_URL", url)
        monkeypatch.setenv("TREMPLIN_PSEUDONYM_KEY", "test-pseudonym-key")
        monkeypatch.setenv("TREMPLIN_MODELS_DIR", str(s.models_dir))
        monkeypatch.setenv("TREMPLIN_EMBEDDING_CACHE", str(s.embedding_cache))
        get_settings.cache_clear()
        assert w.call(None, "GET", "/readyz").json()["ranker_version"] == "fusion"
        factory = session_factory(make_engine(url))
        with factory() as session:
            data = load_outcome_data(session)
        first = train(s, data, external_seeds=6)  # the default gate
        assert first.gate.verdict is Verdict.PASS, first.gate.reasons
        assert first.promoted and first.version == "tremplin-reranker/v1"
        assert not [c for c in first.gate.checks if "non mesurable (" in c.detail]

        c = registry.client(s)
        run = c.get_run(first.run_id)
        for key in ("ndcg_at_10", "recall_at_10", "mrr", "coverage"):
            assert key in run.data.metrics
        assert "fairness.exposure.origin.low" in run.data.metrics
        assert "labels.fairness.interview.origin" in run.data.metrics
        assert any(k.startswith("proxy.") for k in run.data.metrics)
        # it learnt from the external recipes' dev people too, and was checked on others
        assert int(run.data.params["external_pairs"]) > 0
        assert "external.challenger.coded" in run.data.metrics
        assert run.data.params["dataset_digest"] and run.data.tags["git_commit"]
        artifacts = {a.path for a in c.list_artifacts(first.run_id)}
        assert {
            "evaluation.csv",
            "fairness_groups.csv",
            "proxies.csv",
            "gate.json",
            "metrics.png",
            "fairness_ratios.png",
            "report.md",
        } <= artifacts

        # the service picks the champion up on an admin reload and reports it everywhere
        assert w.call("admin", "POST", "/api/v1/admin/model/reload").status_code == 200
        ready = w.call(None, "GET", "/readyz").json()
        assert ready["ranker_version"] == "tremplin-reranker/v1" and not ready["ranker_refused"]
        person = w.beneficiaries["cpas-liege"][0]
        body = {"beneficiary_id": person, "today": "2026-11-01"}
        r = w.call("coach.liege", "POST", "/api/v1/shortlists", json=body)
        assert r.status_code == 200, r.text
        assert r.json()["ranker_version"] == "tremplin-reranker/v1"
        with factory() as session:
            last = session.query(AuditRow).filter_by(action=AuditAction.SHORTLIST.value).all()[-1]
            assert last.ranker_version == "tremplin-reranker/v1"

        # a worse challenger (a two-tree model) is registered, kept, and refused
        worse = train(
            s,
            data,
            params={"max_iter": 2, "learning_rate": 0.01, "max_leaf_nodes": 2},
            external_seeds=0,
        )
        assert not worse.promoted and worse.gate.verdict is Verdict.FAIL
        assert worse.gate.incumbent == "tremplin-reranker/v1"
        assert c.get_run(worse.run_id).data.tags["gate"] == "fail"

        # an alias set by hand in MLflow is not served: the previous champion keeps serving
        c.set_registered_model_alias(registry.MODEL_NAME, registry.CHAMPION, "2")
        assert w.call("admin", "POST", "/api/v1/admin/model/reload").status_code == 200
        ready = w.call(None, "GET", "/readyz").json()
        assert ready["ranker_version"] == "tremplin-reranker/v1"
        assert "hors de Tremplin" in ready["ranker_refused"]
        listing = json.loads(_cli("models", "--json").stdout)
        v2 = next(v for v in listing["versions"] if v["version"].endswith("/v2"))
        assert v2["champion"] and not v2["served"] and "hors de Tremplin" in v2["why_not_served"]
        # tags copied by hand do not help either: the audit record must exist
        for key, value in {"promotion_verdict": "pass", "promotion_audit": "model-forged"}.items():
            c.set_model_version_tag(registry.MODEL_NAME, "2", key, value)
        assert w.call("admin", "POST", "/api/v1/admin/model/reload").status_code == 200
        ready = w.call(None, "GET", "/readyz").json()
        assert ready["ranker_version"] == "tremplin-reranker/v1"
        assert "aucune trace d'audit" in ready["ranker_refused"]
        for key in ("promotion_verdict", "promotion_audit"):
            c.delete_model_version_tag(registry.MODEL_NAME, "2", key)
        c.set_registered_model_alias(registry.MODEL_NAME, registry.CHAMPION, "1")

        # promote re-evaluates against today's champion, and refuses
        refused = _cli("promote", "--run", worse.run_id)
        assert refused.exit_code == 1 and "--force" in refused.output
        assert "refusée" in refused.output and "quality.ndcg_at_10" in refused.output
        assert c.get_model_version(registry.MODEL_NAME, "2").tags["recheck"].startswith("fail")
        no_reason = _cli("promote", "--run", worse.run_id, "--force")
        assert no_reason.exit_code == 2 and "--reason" in no_reason.output

        # forced through with a reason (audited), served, then rolled back (audited)
        # ... the same from the admin's page: refused without a reason, forced with one
        page, csrf = page_session(w, "admin")
        form = {"run_id": worse.run_id, "force": "1", "csrf": csrf}
        r = page.post("/admin/modeles/promouvoir", data=form)
        assert r.status_code == 422 and "raison" in r.text
        r = page.post("/admin/modeles/promouvoir", data={**form, "reason": "essai"})
        assert r.status_code == 202, r.text
        done = finish_task(page, r.text)
        assert "Terminé" in done and "tremplin-reranker/v2" in done, done
        assert str(registry.champion(c).version) == "2"  # type: ignore[union-attr]
        # the page reloaded the engine: served at once
        assert w.call(None, "GET", "/readyz").json()["ranker_version"] == "tremplin-reranker/v2"
        back = _cli("rollback")
        assert back.exit_code == 0, back.output
        assert str(registry.champion(c).version) == "1"  # type: ignore[union-attr]
        with factory() as session:
            changes = session.query(AuditRow).filter_by(action="model_change").all()
            assert [r.inputs["operation"] for r in changes] == [
                "promote",
                "promote_forced",
                "rollback",
            ]
            assert "essai" in changes[1].inputs["detail"]
        assert w.call("admin", "POST", "/api/v1/admin/model/reload").status_code == 200
        assert w.call(None, "GET", "/readyz").json()["ranker_version"] == "tremplin-reranker/v1"

        # the scheduled command does nothing until enough new outcomes arrived
        idle = _cli("retrain", "--min-new-outcomes", "100000")
        assert idle.exit_code == 0 and "rien à faire" in idle.output
        assert list((s.data_dir / "reports").glob("retrain-*.md"))
        table = _cli("models")
        assert table.exit_code == 0 and "fail" in table.output and "pass" in table.output
        listing = json.loads(_cli("models", "--json").stdout)
        assert listing["served"] == "tremplin-reranker/v1"
        v1 = next(v for v in listing["versions"] if v["version"].endswith("/v1"))
        assert v1["served"] and v1["verdict"] == "pass" and v1["promotion"] == "pass"
        floor = next(x for x in v1["checks"] if x["name"] == "floor.exposure.origin")
        assert floor["value"]["low"] <= floor["value"]["value"] <= floor["value"]["high"]
        assert listing["fusion"]["checks"]  # the fusion's own floors, from the latest run

        # the admin's pages read the registry: versions, champion, checks, fairness plots
        models = page.get("/admin/modeles").text
        assert "tremplin-reranker/v1" in models and "tremplin-reranker/v2" in models
        assert "★" in models and "refusée" in models
        fairness = page.get("/admin/equite").text
        assert "tremplin-reranker/v1" in fairness and "<svg" in fairness
        assert "exposition dans les shortlists par origine" in fairness
        assert "floor.exposure" not in fairness  # checks are named in French, never by code

        # the evaluation and fairness notebooks run on this store
        monkeypatch.setenv("TMPDIR", str(tmp_path))
        for name in ("02_model_evaluation", "03_fairness_monitoring"):
            run_notebook(ROOT / "notebooks" / f"{name}.ipynb", tmp_path)
        assert (tmp_path / "fairness_ratios_notebook.png").is_file()
        assert (tmp_path / "fairness_over_versions.png").is_file()
        get_settings.cache_clear()


def test_training_without_outcomes_says_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tremplin.settings import get_settings

    monkeypatch.setenv("TREMPLIN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TREMPLIN_DATABASE_URL", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    get_settings.cache_clear()
    result = _cli("train")
    get_settings.cache_clear()
    assert result.exit_code == 1
    assert "au moins" in result.output or "au moins" in str(result.stderr)


@pytest.mark.parametrize("logged", [["not", "these", "features"], None])
def test_a_registered_reranker_with_other_or_no_feature_list_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logged: list[str] | None
) -> None:
    """A registry version trained on another feature list (or with none logged) is refused
    at load instead of scoring misaligned columns."""
    import json

    import mlflow
    import mlflow.sklearn
    from sklearn.linear_model import LinearRegression

    from matching.champion import MODEL_NAME, load_version
    from matching.features import FEATURE_NAMES
    from matching.ranker_model import TRUSTED_TYPES
    from matching.reranker import FeatureMismatchError
    from training import registry
    from tremplin.settings import Settings

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    s = Settings(data_dir=tmp_path)
    x = np.random.default_rng(0).normal(size=(20, len(FEATURE_NAMES)))
    model = LinearRegression().fit(x, x[:, 0])
    with registry.tracked_run(s, registry.EXPERIMENT, {}):
        if logged is not None:
            names = tmp_path / "features.json"
            names.write_text(json.dumps(logged), encoding="utf-8")
            mlflow.log_artifact(str(names))
        info = mlflow.sklearn.log_model(
            model,
            name="reranker",
            registered_model_name=MODEL_NAME,
            skops_trusted_types=TRUSTED_TYPES,
        )
    c = registry.client(s)
    version = c.get_model_version(MODEL_NAME, str(info.registered_model_version))
    with pytest.raises(FeatureMismatchError, match="ré-entraînez"):
        load_version(c, version)

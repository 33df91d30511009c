"""The check every shipped vector archive passes (label vectors, evaluation vectors)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matching import label_vectors
from matching.embedding_cache import text_key
from matching.encoder import Encoder, TextKind


def assert_shipped_vectors(
    archive: Path,
    texts: Sequence[tuple[str, TextKind]],
    encoder: Encoder,
    rebuild: str,
    sample: int,
    seed: int,
) -> None:
    """``archive`` holds ``encoder``'s vectors of exactly ``texts``, in order: ``sample`` of
    each kind, drawn with ``seed``, re-encoded give the same vectors; ``rebuild`` says how
    to make it again."""
    found = label_vectors.read(archive)
    assert found is not None, f"no shipped vectors in {archive.name}: {rebuild}"
    info, keys, vectors = found
    assert info.encoder_version == encoder.version, f"another encoder's vectors: {rebuild}"
    assert keys == [text_key(t, k) for t, k in texts], f"the texts changed: {rebuild}"
    assert vectors.shape == (len(texts), encoder.dim)
    for kind in ("query", "passage"):
        rows = [i for i, (_, k) in enumerate(texts) if k == kind]
        drawn = random.Random(seed).sample(rows, sample)
        fresh = encoder.encode([texts[i][0] for i in drawn], kind)
        cosines = np.sum(fresh * vectors[drawn], axis=1)
        assert cosines.min() > 0.999, (kind, cosines.min())  # the same vectors

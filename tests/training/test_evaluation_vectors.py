"""The external evaluation's texts shipped as vectors are the bundled encoder's, for the texts
the slice embeds today (an archive left behind by a change of the recipes would only make the
suite slower: this says to rebuild it)."""

from __future__ import annotations

import random

import numpy as np

from matching import label_vectors
from matching.embedding_cache import text_key
from matching.encoder import Encoder
from training.suites.evaluation_vectors import ARCHIVE, evaluation_texts
from tremplin.taxonomy import load_taxonomy

REBUILD = "rebuild them with: tremplin occupations evaluation-vectors"


def test_the_shipped_evaluation_vectors_are_the_bundled_encoder_s(encoder: Encoder) -> None:
    found = label_vectors.read(ARCHIVE)
    assert found is not None, f"no shipped evaluation vectors: {REBUILD}"
    info, keys, vectors = found
    assert info.encoder_version == encoder.version, f"another encoder's vectors: {REBUILD}"
    texts = evaluation_texts(load_taxonomy())
    assert keys == [text_key(t, k) for t, k in texts], f"the evaluation's texts changed: {REBUILD}"
    assert vectors.shape == (len(texts), encoder.dim)
    for kind in ("query", "passage"):
        rows = [i for i, (_, k) in enumerate(texts) if k == kind]
        sample = random.Random(11).sample(rows, 16)
        fresh = encoder.encode([texts[i][0] for i in sample], kind)
        cosines = np.sum(fresh * vectors[sample], axis=1)
        assert cosines.min() > 0.999, (kind, cosines.min())  # the same vectors

"""The external evaluation's texts shipped as vectors are the bundled encoder's, for the texts
the slice embeds today (an archive left behind by a change of the recipes would only make the
suite slower: this says to rebuild it)."""

from __future__ import annotations

from vectors_support import assert_shipped_vectors

from matching.encoder import Encoder
from training.suites.evaluation_vectors import ARCHIVE, evaluation_texts
from tremplin.taxonomy import load_taxonomy

REBUILD = "rebuild them with: tremplin occupations evaluation-vectors"


def test_the_shipped_evaluation_vectors_are_the_bundled_encoder_s(encoder: Encoder) -> None:
    texts = evaluation_texts(load_taxonomy())
    assert_shipped_vectors(ARCHIVE, texts, encoder, REBUILD, sample=16, seed=11)

"""The bundled encoder's vectors of the texts the external evaluation's slice embeds, shipped.

``tremplin evaluate --suite external --size 300`` (the suite's quality gate) and every training
run (the recipes' dev people, :mod:`training.external`) embed the same fixed texts: the
recipes' offers (the engine's passage and the dense baseline's), the 619 dev ads as offers,
and the ads as the ad coder reads them. On a fresh machine that is about 7,000 texts, a
minute and a half of a 2-core CI run before anything is measured. Like the taxonomy's label
vectors (:mod:`matching.label_vectors`, the same archive format and checks), they ship as
``training/suites/data/evaluation_vectors.npz`` for the bundled encoder and seed the
embedding cache; another encoder or an altered archive seeds nothing and the texts are encoded
as before. Nothing else changes: the figures are computed from the same vectors.
``tremplin evaluate vectors`` rebuilds the archive when the encoder or the suites change.
"""

from __future__ import annotations

from pathlib import Path

from matching import label_vectors
from matching.ad_coding import Ad, dense_texts
from matching.catalogue import dense_text
from matching.embedding_cache import EmbeddingCache, text_key
from matching.encoder import TextKind
from training.ad_coding import dev_ads
from training.suites.real_ads import real_ads_suites
from training.suites.shortlist_eval import opportunity_text
from training.suites.shortlists import EXTERNAL_SEEDS, shortlist_suites, slice_targets
from tremplin.taxonomy import Taxonomy

ARCHIVE = Path(__file__).resolve().parent / "data" / "evaluation_vectors.npz"
SLICE = 300  # the evaluation's size the archive covers (the test suite's slice)


def evaluation_texts(tax: Taxonomy, size: int = SLICE) -> list[tuple[str, TextKind]]:
    """Every text (and prompt) the external evaluation at ``size`` and a training run embed
    into the persistent cache, once each, in a stable order (queries first)."""
    targets = slice_targets(size)
    suites = [
        *(
            s
            for seeds in sorted({targets, EXTERNAL_SEEDS})
            for s in shortlist_suites(tax, seeds=seeds).values()
        ),
        *real_ads_suites(tax, limit=targets).values(),
    ]
    texts: list[tuple[str, TextKind]] = []
    for suite in suites:
        for o in suite.opportunities:
            texts += [(dense_text(o, tax), "passage"), (opportunity_text(o, tax), "passage")]
        uncoded = [
            Ad(o.title, o.description) for o in suite.opportunities if not o.occupation.rome_code
        ]
        texts += [(t, "query") for t in dense_texts(uncoded)]
    texts += [(t, "query") for t in dense_texts([a.ad for a in dev_ads()])]
    seen: set[str] = set()
    out: list[tuple[str, TextKind]] = []
    for text, kind in texts:
        key = text_key(text, kind)
        if key not in seen:
            seen.add(key)
            out.append((text, kind))
    return [t for t in out if t[1] == "query"] + [t for t in out if t[1] == "passage"]


def seed(cache: EmbeddingCache, encoder_version: str, archive: Path = ARCHIVE) -> int:
    """Copy the shipped vectors into ``cache`` (see :func:`matching.label_vectors.seed`)."""
    return label_vectors.seed(cache, encoder_version, archive)

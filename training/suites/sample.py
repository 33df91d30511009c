"""The sample suite: shortlists against the sample generator's hidden suitability.

Labelled for what it is: the generator's truth is built from the same signals as the engine's
features (skills, aspirations, distance, constraints), plus factors no feature sees (employer
preference, motivation, local demand). A figure here shows that the code runs and how much of
a generated world it recovers; it is not evidence of matching quality on real titles — the
external suites are.
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from data_contracts.enums import OpportunityKind
from matching.catalogue import OpportunityCatalogue, build_vector_index
from matching.embedding_cache import EmbeddingCache
from matching.encoder import served_encoder
from matching.engine import ad_coder, cache_path, title_linker
from matching.filters import apply_filters
from matching.lexical import BM25, CharTfidf
from matching.shortlist import shortlist
from training.suites.metrics import MethodRow, query_metrics, summarise
from training.suites.shortlist_eval import opportunity_text, profile_text
from tremplin.sample.draw import REFERENCE_DATE
from tremplin.sample.generator import generate
from tremplin.sample.truth import suitability
from tremplin.settings import Settings
from tremplin.taxonomy import load_taxonomy

RELEVANT = 2.5  # suitability from which an opportunity is relevant
SAMPLE_METHODS = ("tfidf", "bm25", "dense", "fusion")


def evaluate_sample(
    settings: Settings,
    seed: int,
    n_beneficiaries: int,
    progress: bool = False,
    n_opportunities: int = 3000,
) -> list[MethodRow]:
    """The engine vs TF-IDF, BM25 and the bare encoder on a generated sample's hidden truth."""
    tax = load_taxonomy()
    data = generate(seed, n_opportunities=n_opportunities, n_beneficiaries=n_beneficiaries)
    encoder = served_encoder(settings)
    linker = title_linker(settings, encoder) if settings.link_titles else None
    items = data.opportunities
    ids = np.arange(len(items), dtype=np.int64)
    texts = [opportunity_text(o, tax) for o in items]
    cache = EmbeddingCache(cache_path(settings))
    try:
        index = build_vector_index(items, ids, encoder, cache, tax, progress=progress)
        vectors = cache.embed(encoder, texts, "passage", progress=progress)
    finally:
        cache.close()
    coder = ad_coder(settings, encoder) if settings.link_titles else None
    cat = OpportunityCatalogue(
        items, tax, ids=ids, encoder=encoder, index=index, linker=linker, coder=coder
    )
    tfidf, bm25 = CharTfidf(texts), BM25(texts)
    kinds = frozenset(OpportunityKind)
    per: dict[str, list[tuple[float, float, float, float]]] = {m: [] for m in SAMPLE_METHODS}
    for b in tqdm(data.beneficiaries, desc="échantillon", disable=not progress):
        eligible = np.flatnonzero(apply_filters(b, cat.columns, REFERENCE_DATE, kinds).eligible)
        if len(eligible) < 10:
            continue
        gains = {items[p].id: max(0.0, suitability(b, items[p], tax)[0]) for p in eligible}
        if not any(g >= RELEVANT for g in gains.values()):
            continue
        text = profile_text(b, tax)
        query = encoder.encode_query(text)
        rankings = {
            "tfidf": tfidf.scores(text),
            "bm25": bm25.scores(text),
            "dense": vectors @ query,
        }
        for method, scores in rankings.items():
            order = eligible[np.lexsort((eligible, -scores[eligible]))][:10]
            per[method].append(query_metrics([items[p].id for p in order], gains, RELEVANT))
        result = shortlist(b, cat, top=10, today=REFERENCE_DATE, with_pathways=False)
        per["fusion"].append(
            query_metrics([i.opportunity_id for i in result.items], gains, RELEVANT)
        )
    return [
        MethodRow(
            suite=f"échantillon (graine {seed}, vérité du générateur)",
            split="test",
            method=method,
            queries=len(rows),
            metrics=summarise(np.asarray(rows)),
        )
        for method, rows in per.items()
    ]

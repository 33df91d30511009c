"""Shortlists on the shortlist suites: the engine beside text baselines over the same texts.

Every method ranks the opportunities that pass the person's hard filters:

* ``tfidf`` / ``bm25`` / ``dense`` — the profile's text (wish, experience titles, skill labels)
  against each opportunity's text (title, description, skill labels): character n-gram TF-IDF,
  BM25 on folded words, multilingual-e5 (query vs passage) alone;
* ``fusion`` — the engine's shortlist (title linking, taxonomy channels, fitted weights);
* ``champion`` — the same with the served re-ranker (when a champion is given).

The engine is the one function every caller uses (:func:`matching.shortlist.shortlist`), over a
catalogue built from the suite's opportunities as the service builds one — except that its title
linker withholds every mapping (crosswalk, Belgian list), which would otherwise hand it the
answers of the ``esco-wish`` recipe.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from tqdm import tqdm

from data_contracts.models import BeneficiaryProfile, Opportunity
from matching.ad_coding import AdCoder
from matching.catalogue import OpportunityCatalogue, build_vector_index
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder
from matching.features import QuerySignals, query_signals
from matching.filters import apply_filters
from matching.fusion import FusionWeights
from matching.lexical import BM25, CharTfidf
from matching.linking import NO_MASK, LinkMask
from matching.occupations import OccupationLinker
from matching.profile import ProfileView
from matching.reranker import Reranker
from matching.shortlist import FusionParts, candidate_pool, fusion_parts, shortlist
from training.suites.metrics import MethodRow, method_rows, query_metrics
from training.suites.shortlists import REFERENCE_DAY, RELEVANT_FROM, ShortlistSuite
from tremplin.taxonomy import Taxonomy

SHORTLIST_METHODS: tuple[str, ...] = ("tfidf", "bm25", "dense", "fusion", "champion")
# the recipes' answers come from ROME structure and (esco-wish) the official crosswalk: the
# engine links wishes and titles with the taxonomies' own labels only, no mapping
NO_MAPPINGS = LinkMask(no_mappings=True)


def profile_text(profile: BeneficiaryProfile, tax: Taxonomy) -> str:
    """What a text baseline reads of a person: wish, experience titles, skill labels."""
    parts = [profile.aspirations.text, *(e.title for e in profile.experiences)]
    parts += [tax.skill_label(s.id) for s in profile.skills]
    return ". ".join(p for p in parts if p)


def opportunity_text(o: Opportunity, tax: Taxonomy) -> str:
    """What a text baseline reads of an opportunity: title, description, skill labels."""
    skills = [tax.skill_label(s.id) for s in [*o.required_skills, *o.taught_skills]]
    return ". ".join([o.title, o.description, *skills])


@dataclass
class SuiteEngine:
    """A suite's catalogue as the service would build it, and the baselines' indexes."""

    suite: ShortlistSuite
    catalogue: OpportunityCatalogue
    tfidf: CharTfidf
    bm25: BM25
    vectors: np.ndarray | None  # opportunity texts, "passage" prompt


def suite_engine(
    suite: ShortlistSuite,
    tax: Taxonomy,
    encoder: Encoder | None,
    cache: EmbeddingCache | None,
    linker: OccupationLinker | None,
    coder: AdCoder | None = None,
    withhold: LinkMask = NO_MAPPINGS,
    dense_baseline: bool = True,
) -> SuiteEngine:
    """Build the catalogue (vector index through ``cache``) and the baselines of a suite;
    ``coder`` reads uncoded offers (the title linker alone without one); the linker withholds
    ``withhold`` (the ROME recipes' answers; nothing for real ads). Without
    ``dense_baseline`` (training reads only the engine), the offers' baseline texts are not
    embedded and the "dense" method is not ranked."""
    items = suite.opportunities
    ids = np.arange(len(items), dtype=np.int64)
    index = None
    vectors = None
    texts = [opportunity_text(o, tax) for o in items]
    if encoder is not None and cache is not None:
        index = build_vector_index(items, ids, encoder, cache, tax)
        if dense_baseline:
            vectors = cache.embed(encoder, texts, "passage")
    own_labels = linker.withholding(withhold) if linker is not None else None
    if coder is not None and withhold != NO_MASK:
        coder = coder.with_linker(own_labels)  # wishes read without what is withheld
    catalogue = OpportunityCatalogue(
        items, tax, ids=ids, encoder=encoder, index=index, linker=own_labels, coder=coder
    )
    return SuiteEngine(suite, catalogue, CharTfidf(texts), BM25(texts), vectors)


def _eligible(engine: SuiteEngine, profile: BeneficiaryProfile) -> np.ndarray:
    cat = engine.catalogue
    return np.flatnonzero(
        apply_filters(profile, cat.columns, REFERENCE_DAY, engine.suite.kinds).eligible
    )


def _order(scores: np.ndarray, among: np.ndarray) -> list[int]:
    sub = scores[among]
    return [int(among[i]) for i in np.lexsort((among, -sub))][:10]


def rank_profile(
    engine: SuiteEngine,
    profile: BeneficiaryProfile,
    query_vector: np.ndarray | None,
    reranker: Reranker | None,
    weights: FusionWeights | None = None,
) -> dict[str, list[str]]:
    """Every method's top 10 opportunity ids for one person."""
    cat = engine.catalogue
    tax = cat.taxonomy
    eligible = _eligible(engine, profile)
    text = profile_text(profile, tax)
    ids = [o.id for o in cat.opportunities]
    out: dict[str, list[int]] = {
        "tfidf": _order(engine.tfidf.scores(text), eligible),
        "bm25": _order(engine.bm25.scores(text), eligible),
    }
    if engine.vectors is not None and query_vector is not None:
        out["dense"] = _order(engine.vectors @ query_vector, eligible)
    runs = {"fusion": None, "champion": reranker} if reranker is not None else {"fusion": None}
    ranked: dict[str, list[str]] = {m: [ids[p] for p in positions] for m, positions in out.items()}
    for method, model in runs.items():
        result = shortlist(
            profile,
            cat,
            top=10,
            kinds=engine.suite.kinds,
            today=REFERENCE_DAY,
            weights=weights,
            with_pathways=False,
            reranker=model,
        )
        ranked[method] = [i.opportunity_id for i in result.items]
    return ranked


def evaluate_shortlist_suite(
    engine: SuiteEngine,
    encoder: Encoder | None,
    reranker: Reranker | None = None,
    weights: FusionWeights | None = None,
    progress: bool = False,
) -> list[MethodRow]:
    """Every method on one suite, per split."""
    suite = engine.suite
    tax = engine.catalogue.taxonomy
    texts = [profile_text(p, tax) for p in suite.profiles]
    vectors: Sequence[np.ndarray | None] = (
        list(encoder.encode_queries(texts))
        if encoder is not None and engine.vectors is not None
        else [None] * len(texts)
    )
    per: dict[tuple[str, str], list[tuple[float, float, float, float]]] = {}
    for profile, vector in tqdm(
        list(zip(suite.profiles, vectors, strict=True)), desc=suite.name, disable=not progress
    ):
        gains = suite.gains(profile.id, tax)
        eligible = {engine.catalogue.opportunities[p].id for p in _eligible(engine, profile)}
        gains = {k: v for k, v in gains.items() if k in eligible}
        for method, ranked in rank_profile(engine, profile, vector, reranker, weights).items():
            per.setdefault((suite.split[profile.id], method), []).append(
                query_metrics(ranked, gains, RELEVANT_FROM)
            )
    return method_rows(suite.name, per, SHORTLIST_METHODS)


@dataclass
class FusionCase:
    """One dev person's fusion candidates, their channels and their gains (for fitting)."""

    parts: FusionParts
    gains: np.ndarray  # aligned with the candidates
    all_gains: np.ndarray  # every eligible opportunity's gain (the ideal order)
    signals: QuerySignals
    pool: np.ndarray
    target: str  # the person's target métier (its fold decides who may fit on it)

    @cached_property
    def gain_of(self) -> dict[Hashable, float]:
        """Gains keyed by candidate index, plus one entry per eligible opportunity outside
        the pool (they count in the ideal order of nDCG but can never be ranked)."""
        out: dict[Hashable, float] = {i: float(g) for i, g in enumerate(self.gains)}
        outside = Counter(self.all_gains.tolist()) - Counter(self.gains.tolist())
        for n, g in enumerate(outside.elements()):
            out[("outside", n)] = float(g)
        return out


def fusion_cases(engine: SuiteEngine, split: str = "dev") -> list[FusionCase]:
    """The fusion's candidate pools of a suite's ``split`` people, as fitting data."""
    cat = engine.catalogue
    tax = cat.taxonomy
    out = []
    for profile in engine.suite.profiles:
        if engine.suite.split[profile.id] != split:
            continue
        view = ProfileView.of(profile, cat)
        eligible = _eligible(engine, profile)
        if view.is_empty or not len(eligible):
            continue
        signals = query_signals(view, cat, REFERENCE_DAY)
        pool, cosine = candidate_pool(signals, cat, eligible)
        gains = engine.suite.gains(profile.id, tax)
        ids = [cat.opportunities[p].id for p in pool]
        out.append(
            FusionCase(
                parts=fusion_parts(signals, cat, pool, cosine),
                gains=np.asarray([gains[i] for i in ids], dtype=float),
                all_gains=np.asarray(
                    [gains[cat.opportunities[p].id] for p in eligible], dtype=float
                ),
                signals=signals,
                pool=pool,
                target=engine.suite.target[profile.id],
            )
        )
    return out

"""Offline evaluation: the shortlist against the sample's hidden ground truth, title linking
against ESCO labels held out of the index, each with lexical baselines in the same run.

Shortlist: for each sampled beneficiary, every method ranks the same set (the opportunities
that pass the hard filters); graded relevance is the sample generator's hidden suitability
(clipped at 0), "relevant" means suitability >= ``RELEVANT``. Title linking: alternative
ESCO labels that are not mere gender forms of the preferred label are removed from the index
and used as queries; the answer is their occupation.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel
from tqdm import tqdm

from data_contracts.enums import OpportunityKind
from matching.catalogue import OpportunityCatalogue, build_vector_index, lexical_text
from matching.embedding_cache import EmbeddingCache
from matching.encoder import load_encoder
from matching.engine import cache_path
from matching.filters import apply_filters
from matching.lexical import CharTfidf
from matching.occupations import OccupationLinker
from matching.profile import ProfileView
from matching.shortlist import shortlist
from tremplin.sample.generator import REFERENCE_DATE, generate, suitability
from tremplin.settings import Settings
from tremplin.taxonomy import load_taxonomy
from tremplin.text import gender_variants, normalize

RELEVANT = 2.5
K = 10


class MetricRow(BaseModel):
    """One method's figures on one task."""

    method: str
    recall_at_10: float
    ndcg_at_10: float
    mrr: float
    coverage: float | None = None
    top1: float | None = None
    queries: int


class EvaluationReport(BaseModel):
    """Everything ``tremplin evaluate`` measured."""

    date: dt.date
    encoder_version: str
    seed: int
    shortlist: list[MetricRow]
    titles: list[MetricRow]

    def markdown(self) -> str:
        """A short Markdown report with both tables and the gain over the best baseline."""
        lines = [
            f"# Évaluation ({self.date}, encodeur {self.encoder_version}, graine {self.seed})",
            "",
            "## Shortlist (vérité cachée de l'échantillon)",
            "",
            "| méthode | Recall@10 | nDCG@10 | MRR | couverture |",
            "|---|---|---|---|---|",
        ]
        for r in self.shortlist:
            lines.append(
                f"| {r.method} | {r.recall_at_10:.3f} | {r.ndcg_at_10:.3f} | {r.mrr:.3f} | "
                f"{(r.coverage or 0):.3f} |"
            )
        lines.append(f"\n{self._gain(self.shortlist, 'ndcg_at_10')}\n")
        lines += [
            "## Liaison d'intitulés aux métiers ESCO (libellés tenus à l'écart)",
            "",
            "| méthode | top-1 | Recall@10 | nDCG@10 | MRR |",
            "|---|---|---|---|---|",
        ]
        for r in self.titles:
            lines.append(
                f"| {r.method} | {(r.top1 or 0):.3f} | {r.recall_at_10:.3f} | "
                f"{r.ndcg_at_10:.3f} | {r.mrr:.3f} |"
            )
        lines.append(f"\n{self._gain(self.titles, 'top1')}\n")
        return "\n".join(lines)

    @staticmethod
    def _gain(rows: list[MetricRow], metric: str) -> str:
        values = {r.method: float(getattr(r, metric) or 0.0) for r in rows}
        lexical = max(v for m, v in values.items() if m in {"tfidf", "bm25"})
        hybrid = values.get("hybrid", 0.0)
        gain = (hybrid / lexical - 1) * 100 if lexical else float("inf")
        return f"hybrid vs meilleure base lexicale ({metric}) : {gain:+.1f} %"


DISCOUNTS = 1 / np.log2(np.arange(2, K + 2))  # position weights of the top K


def ndcg(
    gains_in_order: Sequence[float] | np.ndarray, all_gains: Sequence[float] | np.ndarray
) -> float:
    """nDCG@K of a ranking's gains against the best order of every candidate's gain."""
    got = np.asarray(gains_in_order, dtype=float)[:K]
    ideal_gains = np.sort(np.asarray(all_gains, dtype=float))[::-1][:K]
    ideal = float((ideal_gains * DISCOUNTS[: len(ideal_gains)]).sum())
    return float((got * DISCOUNTS[: len(got)]).sum()) / ideal if ideal > 0 else 0.0


def _row(
    method: str, per_query: list[tuple[float, float, float, float]], coverage: float | None
) -> MetricRow:
    arr = np.asarray(per_query) if per_query else np.zeros((0, 4))
    return MetricRow(
        method=method,
        recall_at_10=round(float(arr[:, 0].mean()), 4) if len(arr) else 0.0,
        ndcg_at_10=round(float(arr[:, 1].mean()), 4) if len(arr) else 0.0,
        mrr=round(float(arr[:, 2].mean()), 4) if len(arr) else 0.0,
        top1=round(float(arr[:, 3].mean()), 4) if len(arr) else 0.0,
        coverage=coverage,
        queries=len(arr),
    )


def evaluate_shortlist(
    settings: Settings, seed: int, n_beneficiaries: int, progress: bool = False
) -> tuple[str, list[MetricRow]]:
    """Hybrid shortlist vs TF-IDF, BM25 and the bare embedding model on the sample's truth."""
    tax = load_taxonomy()
    data = generate(seed, n_opportunities=3000, n_beneficiaries=n_beneficiaries)
    encoder = load_encoder(settings.model_name, settings.models_dir)
    cache = EmbeddingCache(cache_path(settings))
    items = data.opportunities
    ids = np.arange(len(items), dtype=np.int64)
    try:
        index = build_vector_index(items, ids, encoder, cache, tax, progress=progress)
    finally:
        cache.close()
    cat = OpportunityCatalogue(items, tax, ids=ids, encoder=encoder, index=index)
    tfidf = CharTfidf([lexical_text(o, tax) for o in items])
    everything = index.vectors(ids)
    methods = ("tfidf", "bm25", "dense", "hybrid")
    scores: dict[str, list[tuple[float, float, float, float]]] = {m: [] for m in methods}
    shown: dict[str, set[int]] = {m: set() for m in methods}
    kinds = frozenset(OpportunityKind)
    for b in tqdm(data.beneficiaries, desc="profils", disable=not progress):
        view = ProfileView(b, tax)
        if view.is_empty:
            continue
        eligible = np.flatnonzero(apply_filters(b, cat.columns, REFERENCE_DATE, kinds).eligible)
        if len(eligible) < K:
            continue
        truth = {int(p): max(0.0, suitability(b, items[p], tax)[0]) for p in eligible}
        relevant = {p for p, s in truth.items() if s >= RELEVANT}
        hybrid = shortlist(b, cat, top=K, today=REFERENCE_DATE, with_pathways=False)
        rankings = {
            "tfidf": _order(tfidf.scores(view.lexical_query), eligible),
            "bm25": _order(cat.bm25.scores(view.lexical_query), eligible),
            "dense": _order(everything @ view.query_vector(encoder), eligible),
            "hybrid": [cat.by_external_id[i.opportunity_id] for i in hybrid.items],
        }
        for method, ranking in rankings.items():
            top = ranking[:K]
            shown[method].update(top)
            gains = [truth.get(p, 0.0) for p in top]
            hits = [p in relevant for p in top]
            if relevant:
                first = next((n for n, h in enumerate(hits, start=1) if h), None)
                scores[method].append(
                    (
                        sum(hits) / min(len(relevant), K),
                        ndcg(gains, list(truth.values())),
                        1 / first if first else 0.0,
                        float(hits[0]) if hits else 0.0,
                    )
                )
    n = len(items)
    return encoder.version, [_row(m, scores[m], round(len(shown[m]) / n, 4)) for m in methods]


def _order(values: np.ndarray, among: np.ndarray) -> list[int]:
    sub = values[among]
    return [int(among[i]) for i in np.lexsort((among, -sub))]


def held_out_titles(n: int, seed: int) -> list[tuple[str, str]]:
    """(occupation uri, alternative label) pairs to hold out: not a gender form of the label."""
    tax = load_taxonomy()
    pool = []
    for uri in sorted(tax.esco_occupations):
        occ = tax.esco_occupations[uri]
        preferred = {normalize(f) for f in gender_variants(occ.label)}
        for alt in occ.alt_labels:
            if normalize(alt) not in preferred and len(normalize(alt)) > 3:
                pool.append((uri, alt))
    return random.Random(seed).sample(pool, min(n, len(pool)))


def evaluate_titles(
    settings: Settings, seed: int, n_titles: int, progress: bool = False
) -> list[MetricRow]:
    """Title linking on held-out ESCO labels: char TF-IDF, BM25, dense alone and the hybrid."""
    held = held_out_titles(n_titles, seed)
    encoder = load_encoder(settings.model_name, settings.models_dir)
    cache = EmbeddingCache(cache_path(settings))
    try:
        linker = OccupationLinker(
            encoder=encoder, cache=cache, exclude=set(held), progress=progress
        )
    finally:
        cache.close()
    vectors = linker.query_vectors([label for _, label in held])
    methods = ("tfidf", "bm25", "dense", "hybrid")
    per: dict[str, list[tuple[float, float, float, float]]] = {m: [] for m in methods}
    for (uri, label), vector in zip(held, vectors, strict=True):
        channels = linker.channel_scores(label, vector)
        ranked = {
            "tfidf": channels["char"],
            "bm25": channels["bm25"],
            "dense": channels["dense"],
            "hybrid": linker.fused(channels),
        }
        for method, label_scores in ranked.items():
            found = [m.uri for m in linker.rank(label_scores, K)]
            rank = found.index(uri) + 1 if uri in found else None
            gains = [1.0 if u == uri else 0.0 for u in found]
            per[method].append(
                (
                    1.0 if rank else 0.0,
                    ndcg(gains, [1.0]),
                    1 / rank if rank else 0.0,
                    1.0 if rank == 1 else 0.0,
                )
            )
    return [_row(m, per[m], None) for m in methods]


def run_evaluation(
    settings: Settings, seed: int, n_beneficiaries: int, n_titles: int, progress: bool = False
) -> EvaluationReport:
    """Both evaluations, in one report."""
    version, rows = evaluate_shortlist(settings, seed, n_beneficiaries, progress)
    titles = evaluate_titles(settings, seed, n_titles, progress)
    return EvaluationReport(
        date=dt.date.today(), encoder_version=version, seed=seed, shortlist=rows, titles=titles
    )

"""Title linking on the title suites: the engine's linker beside its single channels.

Methods, all over the same labels and under the same masks: ``tfidf`` (character n-grams),
``bm25``, ``dense`` (the encoder alone) and ``engine`` (lookup + fitted blend). Candidate sets
are shared: every channel contributes its own top 25, so each baseline's top 10 is its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from matching.linking import LINK_FEATURES, Candidates, TitleLinker
from matching.occupations import Linkers, clean_query
from training.suites.metrics import MethodRow, method_rows, query_metrics
from training.suites.titles import TitleCase, Withholding, withholding

TITLE_METHODS: tuple[str, ...] = ("tfidf", "bm25", "dense", "engine")
_CHANNEL = {"tfidf": "char", "bm25": "bm25", "dense": "dense"}


@dataclass
class ScoredCase:
    """A case with its candidates (features computed under the case's mask)."""

    case: TitleCase
    candidates: Candidates


def score_cases(
    linker: TitleLinker, cases: Sequence[TitleCase], progress: bool = False
) -> list[ScoredCase]:
    """Candidates and features of every case (queries encoded in one batch)."""
    held: Withholding = withholding(linker.concepts)
    queries = [clean_query(c.query) for c in cases]
    vectors = linker.query_vectors(queries)
    return [
        ScoredCase(case, linker.candidates(query, vector, held.mask(case)))
        for case, query, vector in tqdm(
            list(zip(cases, queries, vectors, strict=True)),
            desc="intitulés",
            disable=not progress,
        )
    ]


def rankings(linker: TitleLinker, scored: ScoredCase) -> dict[str, list[str]]:
    """Each method's top 10 concepts for one scored case."""
    found = scored.candidates
    out: dict[str, list[str]] = {}
    for method, channel in _CHANNEL.items():
        if method == "dense" and not linker.has_dense:
            continue
        column = found.features[:, LINK_FEATURES.index(channel)]
        order = np.lexsort((found.concepts, -column))[:10]
        out[method] = [linker.concepts[int(found.concepts[i])] for i in order]
    out["engine"] = [m.concept for m in linker.rank(found, 10)]
    return out


def evaluate_title_suite(
    linkers: Linkers, name: str, cases: Sequence[TitleCase], progress: bool = False
) -> list[MethodRow]:
    """Every method on one suite, per split (dev figures use the cross-validation masks)."""
    if not cases:
        return []
    linker = linkers.get(cases[0].kind)
    scored = score_cases(linker, cases, progress)
    per: dict[tuple[str, str], list[tuple[float, float, float, float]]] = {}
    for sc in scored:
        gains = dict.fromkeys(sc.case.gold, 1.0)
        for method, ranked in rankings(linker, sc).items():
            per.setdefault((sc.case.split, method), []).append(query_metrics(ranked, gains, 1.0))
    return method_rows(name, per, TITLE_METHODS)

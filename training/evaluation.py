"""A ranker (the fusion or a re-ranker) on the held-out people, per person and overall.

Two ways to grade, with the same figures:

* **logged** (always available): each held-out person's logged pairs are ranked; the gain of a
  pair is the funnel stage it reached, "good" means applied or better;
* **hidden truth** (sample data only): each held-out person gets the real shortlist over every
  opportunity that passes the hard filters on the dataset's last day; the gain is the sample
  generator's hidden suitability (clipped at 0), "good" means suitability >= 2.5. The product
  never sees this function; it exists to measure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from data_contracts.enums import OpportunityKind
from data_contracts.models import BeneficiaryProfile, Opportunity
from matching.features import feature_matrix
from matching.filters import apply_filters
from matching.fusion import FusionWeights
from matching.profile import ProfileView
from matching.reranker import Reranker
from matching.shortlist import fusion_parts, shortlist
from training.datasets import Dataset
from training.labels import GOOD_STAGE
from training.metrics import K, discounts, mrr, ndcg_at_k, recall_at_k
from training.suites.sample import RELEVANT

Truth = Callable[[BeneficiaryProfile, Opportunity], float]


@dataclass
class PersonResult:
    """One held-out person's figures."""

    person: int
    ndcg: float  # graded gains, linear
    ndcg_exp: float  # graded gains, 2^gain - 1
    ndcg_binary: float  # good or not
    recall: float  # share of the person's good opportunities in the top K (capped at K)
    reciprocal_rank: float
    exposure: float  # position-weighted good slots over the most attainable (NaN: none good)
    exposure_raw: float  # position-weighted share of the top K's slots holding good ones
    shown: list[int]  # catalogue positions in the top K


@dataclass
class Evaluation:
    """Per-person results and their means."""

    people: list[PersonResult]
    coverage: float  # share of the catalogue shown to at least one person

    def metrics(self) -> dict[str, float]:
        """Mean figures (people without any good opportunity count for nDCG, not recall)."""
        if not self.people:
            return {}
        with_good = [p for p in self.people if p.recall == p.recall]  # not NaN
        return {
            "ndcg_at_10": _mean(p.ndcg for p in self.people),
            "ndcg_exp_at_10": _mean(p.ndcg_exp for p in self.people),
            "ndcg_binary_at_10": _mean(p.ndcg_binary for p in with_good),
            "recall_at_10": _mean(p.recall for p in with_good),
            "mrr": _mean(p.reciprocal_rank for p in with_good),
            "exposure": _mean(p.exposure for p in with_good),
            "exposure_raw": _mean(p.exposure_raw for p in self.people),
            "coverage": round(self.coverage, 4),
            "people": float(len(self.people)),
        }


def _mean(values: object) -> float:
    arr = np.fromiter(values, dtype=float)  # type: ignore[call-overload]
    return round(float(arr.mean()), 4) if len(arr) else 0.0


def person_result(
    person: int, order: np.ndarray, gains: dict[int, float], good: float
) -> PersonResult:
    """Figures for one person from the ranked positions and every candidate's gain."""
    ranked = [int(p) for p in order]
    positive = {p: max(g, 0.0) for p, g in gains.items()}
    relevant = sum(1 for g in gains.values() if g >= good)
    hits = np.asarray([gains.get(p, 0.0) >= good for p in ranked[:K]], dtype=float)
    weights = discounts(K)[: len(hits)]
    return PersonResult(
        person=person,
        ndcg=ndcg_at_k(ranked, positive, K),
        ndcg_exp=ndcg_at_k(ranked, {p: 2**g - 1 for p, g in positive.items()}, K),
        ndcg_binary=ndcg_at_k(ranked, {p: float(g >= good) for p, g in gains.items()}, K),
        recall=recall_at_k(ranked, gains, K, good) if relevant else float("nan"),
        reciprocal_rank=mrr(ranked, gains, K, good),
        exposure=(
            float((weights * hits).sum() / discounts(min(relevant, K)).sum())
            if relevant
            else float("nan")
        ),
        exposure_raw=float((weights * hits).sum() / discounts(K).sum()),
        shown=ranked[:K],
    )


def _coverage(people: list[PersonResult], size: int) -> float:
    shown = {p for r in people for p in r.shown}
    return len(shown) / size if size else 0.0


def pair_scores(
    ds: Dataset,
    ranker: Reranker | None,
    person: int,
    positions: np.ndarray,
    features: np.ndarray | None = None,
) -> np.ndarray:
    """The ranker's scores of one person's pairs (the fusion's when ``ranker`` is None), on the
    dataset's last day; ``features`` saves computing the rows again when they are at hand."""
    cat = ds.catalogue
    if ranker is not None and features is not None:
        return ranker.score(features)
    signals = ds.end_signals(person)
    if ranker is None:
        return np.asarray(fusion_parts(signals, cat, positions).total(FusionWeights()))
    return ranker.score(feature_matrix(signals, cat, positions))


def held_out_scores(ds: Dataset, ranker: Reranker | None) -> np.ndarray:
    """The ranker's score of every held-out logged pair (aligned with ``ds.held_out`` rows)."""
    table = ds.held_out
    scores = np.zeros(len(table), dtype=np.float64)
    for person in np.unique(table.person):
        rows = np.flatnonzero(table.person == person)
        scores[rows] = pair_scores(
            ds, ranker, int(person), table.position[rows], table.features[rows]
        )
    return scores


def evaluate_logged(ds: Dataset, ranker: Reranker | None) -> Evaluation:
    """Rank each held-out person's logged pairs; gains are the funnel stages reached."""
    cat, table = ds.catalogue, ds.held_out
    people = []
    all_scores = held_out_scores(ds, ranker)
    for person in np.unique(table.person):
        rows = np.flatnonzero(table.person == person)
        positions = table.position[rows]
        scores = all_scores[rows]
        order = positions[np.lexsort((positions, -scores))]
        gains = {int(p): float(g) for p, g in zip(positions, table.grades[rows], strict=True)}
        people.append(person_result(int(person), order, gains, GOOD_STAGE))
    return Evaluation(people, _coverage(people, len(cat)))


class TruthTable:
    """Hidden suitability of every eligible opportunity for each held-out person (computed once)."""

    def __init__(self, ds: Dataset, truth: Truth) -> None:
        cat = ds.catalogue
        self.gains: dict[int, dict[int, float]] = {}
        kinds = frozenset(OpportunityKind)
        for person in ds.held_out_people:
            profile = ds.data.profiles[person]
            eligible = np.flatnonzero(apply_filters(profile, cat.columns, ds.as_of, kinds).eligible)
            if len(eligible) < K or ProfileView.of(profile, cat).is_empty:
                continue
            self.gains[person] = {
                int(p): float(truth(profile, cat.opportunities[int(p)])) for p in eligible
            }


def evaluate_truth(ds: Dataset, ranker: Reranker | None, table: TruthTable) -> Evaluation:
    """The real shortlist of each held-out person, graded by the hidden suitability."""
    cat = ds.catalogue
    people = []
    for person, gains in table.gains.items():
        result = shortlist(
            ds.data.profiles[person],
            cat,
            top=K,
            today=ds.as_of,
            with_pathways=False,
            reranker=ranker,
        )
        order = np.asarray([cat.by_external_id[i.opportunity_id] for i in result.items])
        people.append(person_result(person, order, gains, RELEVANT))
    return Evaluation(people, _coverage(people, len(cat)))

"""Ranking metrics per query and their means with bootstrap confidence intervals.

A query's figures come from the ranked ids and the graded gain of every id that counts
(the ideal order for nDCG is computed over all of them, not only the ones ranked):

* ``success_at_1`` — the first item is relevant;
* ``recall_at_10`` — relevant items in the top 10 over min(relevant, 10);
* ``ndcg_at_10`` — graded gains, linear, log2 discounts;
* ``mrr`` — 1 / rank of the first relevant item (0 when none in the top 10... or anywhere
  ranked: the list is cut at :data:`K`).

Intervals: 95% percentile bootstrap over queries (1,000 resamples, fixed seed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel

K = 10
METRICS: tuple[str, ...] = ("ndcg_at_10", "recall_at_10", "mrr", "success_at_1")
DISCOUNTS = 1 / np.log2(np.arange(2, K + 2))  # position weights of the top K


def ndcg(
    gains_in_order: Sequence[float] | np.ndarray, all_gains: Sequence[float] | np.ndarray
) -> float:
    """nDCG@K of a ranking's gains against the best order of every candidate's gain."""
    got = np.asarray(gains_in_order, dtype=float)[:K]
    ideal_gains = np.sort(np.asarray(all_gains, dtype=float))[::-1][:K]
    ideal = float((ideal_gains * DISCOUNTS[: len(ideal_gains)]).sum())
    return float((got * DISCOUNTS[: len(got)]).sum()) / ideal if ideal > 0 else 0.0


def query_metrics(
    ranked: Sequence[str], gains: Mapping[str, float], relevant_from: float
) -> tuple[float, float, float, float]:
    """(nDCG@10, recall@10, MRR, success@1) of one ranking; ``gains``: every id that counts,
    ``relevant_from``: the gain from which an item is relevant."""
    top = list(ranked)[:K]
    got = [gains.get(i, 0.0) for i in top]
    relevant = sum(1 for g in gains.values() if g >= relevant_from)
    hits = [g >= relevant_from for g in got]
    first = next((n for n, h in enumerate(hits, start=1) if h), None)
    return (
        ndcg(got, list(gains.values())),
        sum(hits) / min(relevant, K) if relevant else 0.0,
        1.0 / first if first else 0.0,
        1.0 if hits and hits[0] else 0.0,
    )


class Figure(BaseModel):
    """A mean and its 95% bootstrap interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


class MethodRow(BaseModel):
    """One method's figures on one suite and split."""

    suite: str
    split: str
    method: str
    queries: int
    metrics: dict[str, Figure]

    def value(self, metric: str) -> float:
        """The point estimate of ``metric``."""
        return self.metrics[metric].value


def summarise(per_query: np.ndarray, resamples: int = 1000, seed: int = 0) -> dict[str, Figure]:
    """Means of a (queries x 4) array of :func:`query_metrics` rows, with bootstrap intervals."""
    rows = np.asarray(per_query, dtype=float).reshape(-1, len(METRICS))
    if not len(rows):
        return {m: Figure(value=0.0, low=0.0, high=0.0) for m in METRICS}
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(rows), size=(resamples, len(rows)))
    means = rows[draws].mean(axis=1)  # resamples x metrics
    low, high = np.percentile(means, [2.5, 97.5], axis=0)
    centre = rows.mean(axis=0)
    return {
        m: Figure(
            value=round(float(centre[i]), 4),
            low=round(float(low[i]), 4),
            high=round(float(high[i]), 4),
        )
        for i, m in enumerate(METRICS)
    }


QueryFigures = tuple[float, float, float, float]


def method_rows(
    suite: str, per: Mapping[tuple[str, str], Sequence[QueryFigures]], methods: Sequence[str]
) -> list[MethodRow]:
    """One row per (split, method) of per-query figures, in the order of ``methods``."""
    return [
        MethodRow(
            suite=suite,
            split=split,
            method=method,
            queries=len(rows),
            metrics=summarise(np.asarray(rows)),
        )
        for (split, method), rows in sorted(
            per.items(), key=lambda kv: (kv[0][0], methods.index(kv[0][1]))
        )
    ]

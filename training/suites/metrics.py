"""The suites' four figures per query (from :mod:`training.metrics`) and their means with
bootstrap confidence intervals.

Intervals: 95% percentile bootstrap over queries (1,000 resamples, fixed seed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel

from training.metrics import K, mrr, ndcg_at_k, recall_at_k, success_at_k

METRICS: tuple[str, ...] = ("ndcg_at_10", "recall_at_10", "mrr", "success_at_1")


def query_metrics(
    ranked: Sequence[str], gains: Mapping[str, float], relevant_from: float
) -> tuple[float, float, float, float]:
    """(nDCG@10, recall@10, MRR, success@1) of one ranking (:mod:`training.metrics`);
    ``gains``: every id that counts, ``relevant_from``: the gain from which an id is relevant."""
    return (
        ndcg_at_k(ranked, gains, K),
        recall_at_k(ranked, gains, K, relevant_from),
        mrr(ranked, gains, K, relevant_from),
        success_at_k(ranked, gains, 1, relevant_from),
    )


class Figure(BaseModel):
    """A mean and its 95% bootstrap interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"

    def text(self) -> str:
        """``0.912 [0.871, 0.950]``."""
        return str(self)


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

"""Ranking metrics: pure functions with one signature, used by every evaluation.

Each takes ``ranked`` (ids, best first), ``gains`` (the graded gain of every id that counts;
an id absent from it gains 0) and a cut-off ``k``; the binary ones also take ``relevant_from``,
the gain from which an id is relevant. The ideal order of nDCG is computed over every gain in
``gains``, ranked or not, so a ranking that misses a relevant id is penalised for it.

* :func:`ndcg_at_k` — graded gains, linear, log2 position discounts;
* :func:`recall_at_k` — relevant ids in the top k over min(relevant ids, k) (0 when none);
* :func:`mrr` — 1 / rank of the first relevant id in the top k (0 when none);
* :func:`success_at_k` — 1 when a relevant id is in the top k.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

K = 10
Id = TypeVar("Id", bound=Hashable)


def discounts(k: int) -> np.ndarray:
    """The position weights 1 / log2(rank + 1) of ranks 1..k."""
    return np.asarray(1.0 / np.log2(np.arange(2, k + 2)), dtype=np.float64)


def ndcg_at_k(ranked: Sequence[Id], gains: Mapping[Id, float], k: int = K) -> float:
    """nDCG@k of ``ranked`` against the best order of every gain in ``gains``."""
    got = np.asarray([gains.get(i, 0.0) for i in list(ranked)[:k]], dtype=np.float64)
    ideal_gains = np.sort(np.fromiter(gains.values(), dtype=np.float64))[::-1][:k]
    weights = discounts(k)
    ideal = float((ideal_gains * weights[: len(ideal_gains)]).sum())
    return float((got * weights[: len(got)]).sum()) / ideal if ideal > 0 else 0.0


def _relevant_ranks(
    ranked: Sequence[Id], gains: Mapping[Id, float], k: int, relevant_from: float
) -> list[int]:
    return [
        n for n, i in enumerate(list(ranked)[:k], start=1) if gains.get(i, 0.0) >= relevant_from
    ]


def recall_at_k(
    ranked: Sequence[Id],
    gains: Mapping[Id, float],
    k: int = K,
    relevant_from: float = 1.0,
) -> float:
    """Relevant ids in the top ``k`` over min(relevant ids, ``k``); 0 when none is relevant."""
    relevant = sum(1 for g in gains.values() if g >= relevant_from)
    if not relevant:
        return 0.0
    return len(_relevant_ranks(ranked, gains, k, relevant_from)) / min(relevant, k)


def mrr(
    ranked: Sequence[Id],
    gains: Mapping[Id, float],
    k: int = K,
    relevant_from: float = 1.0,
) -> float:
    """1 / rank of the first relevant id within the top ``k`` (0 when none)."""
    ranks = _relevant_ranks(ranked, gains, k, relevant_from)
    return 1.0 / ranks[0] if ranks else 0.0


def success_at_k(
    ranked: Sequence[Id],
    gains: Mapping[Id, float],
    k: int = 1,
    relevant_from: float = 1.0,
) -> float:
    """1 when a relevant id is within the top ``k``, else 0."""
    return 1.0 if _relevant_ranks(ranked, gains, k, relevant_from) else 0.0

"""The ranking metrics against hand-computed cases, and their invariants."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from training.metrics import mrr, ndcg_at_k, recall_at_k, success_at_k

GAINS = {"a": 3.0, "b": 2.0, "c": 0.0, "d": 1.0}


def test_ndcg_by_hand() -> None:
    # ranked c, a, d: DCG = 0/1 + 3/log2(3) + 1/log2(4) = 1.8928 + 0.5
    # ideal a, b, d: 3/1 + 2/log2(3) + 1/log2(4) = 3 + 1.2619 + 0.5
    dcg = 3 / math.log2(3) + 1 / 2
    ideal = 3 + 2 / math.log2(3) + 1 / 2
    assert ndcg_at_k(["c", "a", "d"], GAINS, k=3) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(["a", "b", "d", "c"], GAINS, k=4) == pytest.approx(1.0)
    # a relevant id that is not ranked still counts in the ideal order
    assert ndcg_at_k(["a"], GAINS, k=1) == pytest.approx(1.0)
    assert ndcg_at_k(["a"], GAINS, k=2) == pytest.approx(3 / (3 + 2 / math.log2(3)))
    assert ndcg_at_k(["x", "y"], {"x": 0.0}, k=2) == 0.0  # nothing to gain: 0, not NaN


def test_recall_mrr_success_by_hand() -> None:
    ranked = ["c", "x", "d", "a"]
    assert recall_at_k(ranked, GAINS, k=3, relevant_from=1.0) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, GAINS, k=4, relevant_from=2.0) == pytest.approx(1 / 2)
    assert recall_at_k(ranked, GAINS, k=1, relevant_from=1.0) == 0.0
    # capped: with k=2 and 3 relevant ids, 2 hits would be a full recall
    assert recall_at_k(["a", "b"], GAINS, k=2, relevant_from=1.0) == 1.0
    assert recall_at_k(ranked, {"c": 0.0}, k=3) == 0.0  # no relevant id at all
    assert mrr(ranked, GAINS, k=10, relevant_from=1.0) == pytest.approx(1 / 3)
    assert mrr(ranked, GAINS, k=10, relevant_from=3.0) == pytest.approx(1 / 4)
    assert mrr(ranked, GAINS, k=3, relevant_from=3.0) == 0.0  # first relevant past k
    assert success_at_k(ranked, GAINS, k=1) == 0.0
    assert success_at_k(ranked, GAINS, k=3) == 1.0
    assert success_at_k(["a"], GAINS, k=1, relevant_from=3.0) == 1.0


ids = st.lists(st.sampled_from("abcdefghij"), unique=True, max_size=10)
gain_maps = st.dictionaries(st.sampled_from("abcdefghij"), st.integers(0, 3).map(float))


@given(ids, gain_maps, st.integers(1, 10))
def test_metrics_are_bounded_and_the_ideal_order_is_best(
    ranked: list[str], gains: dict[str, float], k: int
) -> None:
    for metric in (ndcg_at_k, recall_at_k, mrr, success_at_k):
        assert 0.0 <= metric(ranked, gains, k) <= 1.0 + 1e-9
    ideal = sorted(gains, key=lambda i: -gains[i])
    assert ndcg_at_k(ranked, gains, k) <= ndcg_at_k(ideal, gains, k) + 1e-9
    if any(g > 0 for g in gains.values()):
        assert ndcg_at_k(ideal, gains, k) == pytest.approx(1.0)

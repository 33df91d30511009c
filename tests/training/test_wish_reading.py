"""The wish reader's fit: the conditional logit every fitted reading shares, and the shipped
model (fitted by ``python -m training.wish_reading``)."""

from __future__ import annotations

import numpy as np

from matching.wish_reading import WISH_FEATURES, WishCandidates, WishReadingModel
from training.conditional_logit import fit_conditional_logit
from training.wish_reading import WishCase, evaluate, fit


def _queries(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` queries of five candidates: feature 0 marks the right one (noisily), feature 1
    is noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(5 * n, 2))
    y = np.zeros(5 * n, dtype=bool)
    y[np.arange(n) * 5 + rng.integers(0, 5, n)] = True
    x[y, 0] += 2.0
    return x, y, np.repeat(np.arange(n), 5)


def test_the_conditional_logit_learns_which_feature_marks_the_answer() -> None:
    x, y, groups = _queries(400)
    coef, _, _ = fit_conditional_logit(x, y, groups, np.ones(len(y)), 1e-3)
    assert coef[0] > 1.0 and abs(coef[1]) < 0.3


def test_several_right_rows_share_the_mass_and_unanswered_queries_are_left_out() -> None:
    x, y, groups = _queries(300, seed=1)
    twice = y.copy()
    twice[np.flatnonzero(y) + np.where(np.flatnonzero(y) % 5 == 4, -1, 1)] = True
    coef_twice, _, _ = fit_conditional_logit(x, twice, groups, np.ones(len(y)), 1e-3)
    assert coef_twice[0] > 0.5  # the right feature still wins with a second right row
    unanswered = np.concatenate([y[:500], np.zeros(len(y) - 500, dtype=bool)])
    alone, _, _ = fit_conditional_logit(x[:500], y[:500], groups[:500], np.ones(500), 1e-3)
    padded, _, _ = fit_conditional_logit(x, unanswered, groups, np.ones(len(y)), 1e-3)
    assert np.allclose(alone[0], padded[0], rtol=0.1)


def _case(target_row: int | None, rows: int = 4, seed: int = 0) -> WishCase:
    """A written person whose right candidate has a high title link (none: no candidate)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((rows + 1, len(WISH_FEATURES)))
    link = WISH_FEATURES.index("link")
    x[:-1, link] = rng.uniform(0.0, 0.3, rows)
    right = np.zeros(rows + 1, dtype=bool)
    if target_row is None:
        right[-1] = True
    else:
        x[target_row, link] = 0.9
        right[target_row] = True
    x[-1, -1] = 1.0
    codes = [f"X{i:04d}" for i in range(rows)]
    target = codes[target_row] if target_row is not None else "Z9999"
    return WishCase("ads-title", target, WishCandidates(codes, x), right)


def test_the_reader_trusts_a_sure_link_and_says_none_when_nothing_is_proposed() -> None:
    cases = [_case(i % 4, seed=i) for i in range(200)]
    cases += [_case(None, seed=1000 + i) for i in range(100)]
    model = fit(cases)
    sure = model.probabilities(_case(2, seed=5000).cands.x)
    assert int(np.argmax(sure)) == 2 and sure[2] > 0.5
    vague = model.probabilities(_case(None, seed=5001).cands.x)
    assert vague[-1] == vague.max()  # nothing stands out: "none of these" is likeliest
    report = evaluate(cases, folds=3)
    assert report.cases == 300 and report.accuracy_at_1["all"] > 0.5


def test_the_shipped_reader_is_fitted_and_reads_every_feature() -> None:
    model = WishReadingModel.load()
    assert sorted(model.features) == sorted(WISH_FEATURES)
    assert "historic fiches" in model.trained_on
    assert model.dev_metrics["accuracy_at_1.all"] > 0.8
    x = np.zeros((3, len(WISH_FEATURES)))
    x[-1, -1] = 1.0
    p = model.probabilities(x)
    assert np.isclose(p.sum(), 1.0) and (p >= 0).all()

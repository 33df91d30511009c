"""The hiring forecast: features see only the past, the backtest splits by time, and on the
sample's two-year offer history the model beats the recency baseline."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from training.hiring import (
    FEATURE_NAMES,
    HORIZON_WEEKS,
    History,
    backtest,
    cutoffs,
    pair_table,
    precision_at,
    recency_scores,
)
from tremplin.sample.generator import generate

DAY = dt.date(2026, 3, 2)


def _history(rows: list[tuple[str, str, dt.date]]) -> History:
    return History.of(rows)


def test_features_use_only_what_was_posted_before_the_cutoff() -> None:
    past = [("e1", "N1103", DAY - dt.timedelta(weeks=w)) for w in (1, 5, 30, 60)]
    future = [("e1", "N1103", DAY + dt.timedelta(days=d)) for d in (0, 3, 20, 200)]
    a = pair_table(_history(past), DAY)
    b = pair_table(_history(past + future), DAY)
    assert a.pairs == b.pairs == [("e1", "N1103")]
    assert np.array_equal(a.features, b.features)
    row = dict(zip(FEATURE_NAMES, a.features[0], strict=True))
    assert row["posted_4w"] == 1 and row["posted_13w"] == 2 and row["posted_52w"] == 3
    assert row["weeks_since_last"] == pytest.approx(1.0)


def test_labels_are_the_horizon_after_the_cutoff() -> None:
    rows = [
        ("e1", "N1103", DAY - dt.timedelta(weeks=2)),
        ("e2", "K2204", DAY - dt.timedelta(weeks=2)),
    ]
    rows += [("e1", "N1103", DAY + dt.timedelta(weeks=HORIZON_WEEKS - 1))]
    rows += [("e2", "K2204", DAY + dt.timedelta(weeks=HORIZON_WEEKS + 1))]
    table = pair_table(_history(rows), DAY, with_labels=True)
    assert table.labels is not None
    assert dict(zip(table.pairs, table.labels.tolist(), strict=True)) == {
        ("e1", "N1103"): 1,
        ("e2", "K2204"): 0,
    }


def test_training_cutoffs_end_a_horizon_before_the_backtest() -> None:
    start = dt.date(2024, 11, 1)
    rows = [("e", "N1103", start + dt.timedelta(days=d)) for d in range(0, 730, 9)]
    train, test = cutoffs(_history(rows))
    assert train and test
    assert max(train) + dt.timedelta(weeks=HORIZON_WEEKS) <= min(test)
    assert max(test) + dt.timedelta(weeks=HORIZON_WEEKS) <= max(r[2] for r in rows)


def test_precision_at_and_recency() -> None:
    assert precision_at(np.array([0.9, 0.1, 0.5]), np.array([1, 0, 0]), 2) == 0.5
    rows = [
        ("a", "N1103", DAY - dt.timedelta(weeks=1)),
        ("b", "N1103", DAY - dt.timedelta(weeks=20)),
    ]
    table = pair_table(_history(rows), DAY)
    assert np.argmax(recency_scores(table)) == table.pairs.index(("a", "N1103"))


def test_a_short_history_is_refused_with_what_is_needed() -> None:
    rows = [("e", "N1103", DAY - dt.timedelta(weeks=w)) for w in range(10)]
    with pytest.raises(ValueError, match="historique trop court"):
        backtest(_history(rows))


def test_on_the_sample_history_the_model_beats_recency() -> None:
    data = generate(42, n_opportunities=600, n_beneficiaries=10)
    history = History.of([(v.employer_id, v.rome_code, v.posted_on) for v in data.vacancies])
    first, last = history.span
    assert (last - first).days >= 700  # two years, as the issue asks
    _, report = backtest(history)
    assert report.test_cutoffs >= 10 and report.train_cutoffs >= 5
    assert report.beats_recency()
    assert report.precision["model"][25] > report.base_rate

"""Who is likely to recruit soon: a forecast per (employer, métier) from the offer history.

In the spirit of France's La Bonne Boîte and Sweden's spontaneous-application service: from
the vacancies an employer posted (how often, how lately, in which season, and how the sector
is going), the probability that it posts a vacancy for a métier in the next
:data:`HORIZON_WEEKS` weeks. Coaches use it for spontaneous applications; the Maison de
l'emploi to choose whom to invite to a job day.

Learnt and judged on time: the model is trained on cut-off dates of the history's older part
and backtested on the later cut-offs only (every feature at a cut-off is computed from what was
posted before it, its label from what was posted after). Its precision@k is compared, on the
same cut-offs, with the **recency** baseline (most recent posters first) and a **frequency**
baseline (most vacancies in the last year first). The run is tracked in MLflow (experiment
``tremplin-hiring``); the version becomes the served champion only if it beats recency on the
backtest (its gate), else the served forecast stays what it was (or recency, with none).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sqlalchemy import select
from sqlalchemy.orm import Session

from tremplin.settings import Settings
from tremplin.store.models import VacancyRow

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

log = logging.getLogger(__name__)

HORIZON_WEEKS = 6  # "the coming weeks"
CUTOFF_STEP_DAYS = 14
WARM_UP_WEEKS = 52  # a cut-off needs a year of history behind it (last year's season)
TEST_WEEKS = 26  # the backtest's cut-offs: the last half-year whose horizon is known
PRECISION_AT = (10, 25, 50)
GATE_K = 25  # the gate compares precision@25 with recency's
MODEL_NAME = "tremplin-hiring"
EXPERIMENT = "tremplin-hiring"
CHAMPION = "champion"
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]

FEATURE_NAMES: tuple[str, ...] = (
    "posted_4w",  # vacancies for the métier in the last 4 weeks
    "posted_13w",
    "posted_26w",
    "posted_52w",
    "weeks_since_last",  # since the last vacancy for the métier (capped at 104)
    "mean_gap_weeks",  # mean interval between its vacancies over two years (104 if < 2)
    "active_months_52w",  # distinct months with a vacancy in the last year
    "season_last_year",  # vacancies in the horizon's weeks one year earlier
    "season_two_years",  # ... two years earlier
    "employer_52w",  # the employer's vacancies, every métier, last year
    "employer_metiers_52w",  # how many métiers it recruited for last year
    "sector_trend",  # the métier family's vacancies (all employers), last 13 weeks over the
    # same weeks a year earlier (smoothed)
    "sector_season",  # the family's vacancies in the horizon's weeks a year earlier, over its
    # weekly mean that year
    "month_sin",
    "month_cos",
)


@dataclass(frozen=True)
class History:
    """The offer history as arrays (one row per vacancy)."""

    employer: np.ndarray  # str
    rome: np.ndarray  # str
    day: np.ndarray  # int: date ordinal

    @classmethod
    def load(cls, session: Session) -> History:
        """Every stored vacancy."""
        rows = session.execute(
            select(VacancyRow.employer_id, VacancyRow.rome_code, VacancyRow.posted_on)
        ).all()
        return cls.of([(e, r, d) for e, r, d in rows])

    @classmethod
    def of(cls, rows: list[tuple[str, str, dt.date]]) -> History:
        """From (employer, ROME code, posted on) triples."""
        return cls(
            employer=np.asarray([r[0] for r in rows], dtype=object),
            rome=np.asarray([r[1] for r in rows], dtype=object),
            day=np.asarray([r[2].toordinal() for r in rows], dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.day)

    @property
    def span(self) -> tuple[dt.date, dt.date]:
        """The first and last posting dates."""
        return dt.date.fromordinal(int(self.day.min())), dt.date.fromordinal(int(self.day.max()))


def _count(days: np.ndarray, start: int, end: int) -> int:
    """Postings in ``[start, end)`` of sorted ``days``."""
    return int(np.searchsorted(days, end) - np.searchsorted(days, start))


@dataclass
class PairTable:
    """Features (and labels when known) of (employer, métier) pairs at one cut-off."""

    as_of: dt.date
    pairs: list[tuple[str, str]]
    features: np.ndarray
    labels: np.ndarray | None


def pair_table(history: History, as_of: dt.date, with_labels: bool = False) -> PairTable:
    """The features of every (employer, métier) pair that posted in the two years before
    ``as_of``, from postings before it only; labels: a posting in the horizon after it."""
    t = as_of.toordinal()
    week = 7
    past = history.day < t
    recent = past & (history.day >= t - 104 * week)
    by_pair: dict[tuple[str, str], list[int]] = {}
    for e, r, d in zip(
        history.employer[recent], history.rome[recent], history.day[recent], strict=True
    ):
        by_pair.setdefault((e, r), []).append(int(d))
    future: dict[tuple[str, str], int] = {}
    if with_labels:
        ahead = (history.day >= t) & (history.day < t + HORIZON_WEEKS * week)
        for e, r in zip(history.employer[ahead], history.rome[ahead], strict=True):
            future[(e, r)] = future.get((e, r), 0) + 1
    employer_days: dict[str, list[int]] = {}
    employer_metiers: dict[str, set[str]] = {}
    family_days: dict[str, list[int]] = {}
    for (e, r), posted in by_pair.items():
        last_year = [d for d in posted if d >= t - 52 * week]
        employer_days.setdefault(e, []).extend(last_year)
        if last_year:
            employer_metiers.setdefault(e, set()).add(r)
        family_days.setdefault(r[:3], []).extend(posted)
    families = {f: np.sort(np.asarray(d)) for f, d in family_days.items()}
    month = as_of.month + HORIZON_WEEKS / 8.7  # the horizon's middle, in months
    pairs = sorted(by_pair)
    rows = []
    for e, r in pairs:
        days = np.sort(np.asarray(by_pair[(e, r)], dtype=np.int64))
        fam = families[r[:3]]
        gaps = np.diff(days) / week
        family_year = _count(fam, t - 52 * week, t) / 52
        horizon_last_year = _count(fam, t - 52 * week, t - (52 - HORIZON_WEEKS) * week)
        rows.append(
            [
                _count(days, t - 4 * week, t),
                _count(days, t - 13 * week, t),
                _count(days, t - 26 * week, t),
                _count(days, t - 52 * week, t),
                min(104.0, (t - int(days[-1])) / week),
                float(gaps.mean()) if len(gaps) else 104.0,
                len({dt.date.fromordinal(int(d)).month for d in days if d >= t - 52 * week}),
                _count(days, t - 52 * week, t - (52 - HORIZON_WEEKS) * week),
                _count(days, t - 104 * week, t - (104 - HORIZON_WEEKS) * week),
                len(employer_days.get(e, [])),
                len(employer_metiers.get(e, set())),
                (_count(fam, t - 13 * week, t) + 1)
                / (_count(fam, t - 65 * week, t - 52 * week) + 1),
                (horizon_last_year / HORIZON_WEEKS + 0.1) / (family_year + 0.1),
                np.sin(2 * np.pi * month / 12),
                np.cos(2 * np.pi * month / 12),
            ]
        )
    features = np.asarray(rows, dtype=np.float32).reshape(len(pairs), len(FEATURE_NAMES))
    labels = (
        np.asarray([future.get(p, 0) > 0 for p in pairs], dtype=np.int64) if with_labels else None
    )
    return PairTable(as_of, pairs, features, labels)


def recency_scores(table: PairTable) -> np.ndarray:
    """The recency baseline: most recent posters first (then the most frequent)."""
    col = FEATURE_NAMES.index
    return -table.features[:, col("weeks_since_last")] + 1e-3 * table.features[:, col("posted_52w")]


def frequency_scores(table: PairTable) -> np.ndarray:
    """The frequency baseline: most vacancies in the last year first."""
    col = FEATURE_NAMES.index
    return table.features[:, col("posted_52w")] - 1e-3 * table.features[:, col("weeks_since_last")]


def precision_at(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Share of the ``k`` best-scored pairs that did post within the horizon."""
    if not len(scores):
        return float("nan")
    top = np.argsort(-scores, kind="stable")[:k]
    return float(labels[top].mean())


def cutoffs(history: History) -> tuple[list[dt.date], list[dt.date]]:
    """Training and backtest cut-off dates: a year of warm-up, then every two weeks; the last
    :data:`TEST_WEEKS` weeks whose horizon is fully known are the backtest's; training
    cut-offs stop a horizon before the first backtest cut-off (no label overlaps it)."""
    first, last = history.span
    end = last - dt.timedelta(weeks=HORIZON_WEEKS)
    test_start = end - dt.timedelta(weeks=TEST_WEEKS)
    step = dt.timedelta(days=CUTOFF_STEP_DAYS)
    train, test = [], []
    day = first + dt.timedelta(weeks=WARM_UP_WEEKS)
    while day <= end:
        if day >= test_start:
            test.append(day)
        elif day <= test_start - dt.timedelta(weeks=HORIZON_WEEKS):
            train.append(day)
        day += step
    return train, test


class Backtest(BaseModel):
    """The forecast's figures on the backtest cut-offs (means over cut-offs)."""

    train_cutoffs: int
    test_cutoffs: int
    first_test_cutoff: dt.date | None
    last_test_cutoff: dt.date | None
    pairs_per_cutoff: float
    base_rate: float  # share of pairs that post within the horizon
    precision: dict[str, dict[int, float]]  # method → k → precision@k
    auc: dict[str, float]

    def beats_recency(self) -> bool:
        """The gate: the model's precision@GATE_K over recency's."""
        return self.precision["model"][GATE_K] > self.precision["recency"][GATE_K]


class HiringReport(BaseModel):
    """What ``tremplin hiring train`` did."""

    run_id: str
    version: str
    promoted: bool
    why: str
    backtest: Backtest


def _stack(tables: list[PairTable]) -> tuple[np.ndarray, np.ndarray]:
    x = np.concatenate([t.features for t in tables])
    y = np.concatenate([t.labels for t in tables if t.labels is not None])
    return x, y


def new_model() -> HistGradientBoostingClassifier:
    """The forecast's estimator (small, regularised boosted trees)."""
    return HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40, random_state=0
    )


def backtest(history: History) -> tuple[HistGradientBoostingClassifier, Backtest]:
    """Train on the training cut-offs, measure on the backtest's; the fitted model."""
    train_days, test_days = cutoffs(history)
    if len(train_days) < 4 or not test_days:
        first, last = history.span if len(history) else (None, None)
        raise ValueError(
            f"historique trop court ({first} → {last}) : il faut au moins "
            f"{WARM_UP_WEEKS + TEST_WEEKS + 2 * HORIZON_WEEKS + 8} semaines d'offres / "
            "offer history too short"
        )
    train = [pair_table(history, d, with_labels=True) for d in train_days]
    test = [pair_table(history, d, with_labels=True) for d in test_days]
    x, y = _stack(train)
    model = new_model().fit(x, y)
    methods = {
        "model": lambda t: model.predict_proba(t.features)[:, 1],
        "recency": recency_scores,
        "frequency": frequency_scores,
    }
    precision: dict[str, dict[int, float]] = {}
    auc: dict[str, float] = {}
    for name, score in methods.items():
        scored = [(score(t), t.labels) for t in test if t.labels is not None and len(t.pairs)]
        precision[name] = {
            k: round(float(np.mean([precision_at(s, lab, k) for s, lab in scored])), 4)
            for k in PRECISION_AT
        }
        all_s = np.concatenate([s for s, _ in scored])
        all_y = np.concatenate([lab for _, lab in scored])
        auc[name] = round(float(roc_auc_score(all_y, all_s)), 4) if 0 < all_y.mean() < 1 else 0.5
    labels = np.concatenate([t.labels for t in test if t.labels is not None])
    report = Backtest(
        train_cutoffs=len(train),
        test_cutoffs=len(test),
        first_test_cutoff=test_days[0],
        last_test_cutoff=test_days[-1],
        pairs_per_cutoff=round(float(np.mean([len(t.pairs) for t in test])), 1),
        base_rate=round(float(labels.mean()), 4),
        precision=precision,
        auc=auc,
    )
    # the served model learns from every cut-off whose horizon is known
    x_all, y_all = _stack(train + test)
    return new_model().fit(x_all, y_all), report


def train_and_register(settings: Settings, session: Session) -> HiringReport:
    """Backtest, train on all known cut-offs, log to MLflow, register; promote when the
    backtest beats recency (the gate)."""
    import mlflow
    import mlflow.sklearn

    from training import registry

    history = History.load(session)
    if not len(history):
        raise ValueError(
            "aucune offre dans l'historique : importez des vacances (tremplin import vacancies) "
            "/ no vacancy history"
        )
    model, report = backtest(history)
    c = registry.client(settings)
    with registry.tracked_run(settings, EXPERIMENT, {"model": MODEL_NAME}) as run:
        first, last = history.span
        mlflow.log_params(
            {
                "horizon_weeks": HORIZON_WEEKS,
                "cutoff_step_days": CUTOFF_STEP_DAYS,
                "test_weeks": TEST_WEEKS,
                "vacancies": len(history),
                "history_from": first.isoformat(),
                "history_to": last.isoformat(),
                **{f"model.{k}": v for k, v in model.get_params().items() if v is not None},
            }
        )
        for method, by_k in report.precision.items():
            for k, value in by_k.items():
                mlflow.log_metric(f"{method}.precision_at_{k}", value)
            mlflow.log_metric(f"{method}.auc", report.auc[method])
        mlflow.log_metric("base_rate", report.base_rate)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "backtest.json"
            path.write_text(report.model_dump_json(indent=1), "utf-8")
            mlflow.log_artifact(str(path))
            features = Path(tmp) / "features.json"
            features.write_text(json.dumps(list(FEATURE_NAMES)), "utf-8")
            mlflow.log_artifact(str(features))
        info = mlflow.sklearn.log_model(
            model,
            name="hiring",
            registered_model_name=MODEL_NAME,
            skops_trusted_types=TRUSTED_TYPES,
            pip_requirements=registry.model_requirements(),
        )
        version = c.get_model_version(MODEL_NAME, str(info.registered_model_version))
        beats = report.beats_recency()
        m, r = report.precision["model"][GATE_K], report.precision["recency"][GATE_K]
        why = (
            f"precision@{GATE_K} {m:.3f} > récence {r:.3f}"
            if beats
            else f"precision@{GATE_K} {m:.3f} <= récence {r:.3f} : non promu"
        )
        c.set_model_version_tag(MODEL_NAME, version.version, "gate", "pass" if beats else "fail")
        c.set_model_version_tag(MODEL_NAME, version.version, "gate_reason", why)
        if beats:
            c.set_registered_model_alias(MODEL_NAME, CHAMPION, version.version)
        return HiringReport(
            run_id=run.info.run_id,
            version=f"{MODEL_NAME}/{version.version}",
            promoted=beats,
            why=why,
            backtest=report,
        )


@dataclass(frozen=True)
class Forecaster:
    """The served forecast: the champion model, or the recency baseline without one."""

    model: Any | None
    version: str

    def scores(self, table: PairTable) -> np.ndarray:
        """Probability (model) or recency score of each pair of ``table``."""
        if not len(table.pairs):
            return np.zeros(0)
        if self.model is None:
            return recency_scores(table)
        return np.asarray(self.model.predict_proba(table.features)[:, 1])


def served_forecaster(settings: Settings) -> Forecaster:
    """The champion hiring model, or recency when none passed the gate (or it cannot load)."""
    from mlflow.exceptions import MlflowException

    from matching.champion import client

    c = client(settings)
    try:
        version: ModelVersion = c.get_model_version_by_alias(MODEL_NAME, CHAMPION)
    except MlflowException:
        return Forecaster(None, "recency")
    import mlflow.sklearn

    try:
        model = mlflow.sklearn.load_model(f"models:/{MODEL_NAME}/{version.version}")
    except Exception:  # a broken registry must not stop the service
        log.exception("hiring model %s could not be loaded; recency serves", version.version)
        return Forecaster(None, "recency")
    return Forecaster(model, f"{MODEL_NAME}/{version.version}")

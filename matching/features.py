"""Per-query signals over a whole catalogue, and the re-ranker's feature matrix.

:func:`query_signals` computes, once per profile, the channel arrays the fusion ranks with
(skills, aspiration, BM25) plus the distances. :func:`feature_matrix` turns them into one row
per (profile, opportunity) pair for any set of catalogue positions. The shortlist (serving)
and the training pipeline (datasets, evaluation) both call these two functions, so the
features a model learns from are exactly the ones it is served with.

Protected attributes (gender, age band, origin) are not in the profile the matching engine
sees, so they cannot become features; ``tests/training/test_training.py`` checks the names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from data_contracts.enums import OpportunityKind
from matching.catalogue import OpportunityCatalogue
from matching.filters import NO_DATE, distances_km, licence_missing, shift_mask
from matching.profile import ProfileView

NEUTRAL_SKILL_SCORE = 0.3  # an opportunity that lists no skill is neither good nor bad
NO_REQUIREMENT = 6.0  # French slack when no level is required (one more than C2's rank)

FEATURE_NAMES: tuple[str, ...] = (
    "dense",  # cosine between profile and opportunity embeddings (0 without encoder)
    "lexical",  # BM25 score over the query's best BM25 score in the catalogue
    "skills",  # the fusion's skill channel (core skills weigh more; training: gap covered)
    "required_share",  # share of required skills held (0 when none is required)
    "optional_share",  # share of optional skills held
    "missing_required",  # how many required skills the person lacks
    "asks_skills",  # 1 when the opportunity lists skills
    "gap_cover",  # share of the person's skill gap a training module teaches
    "aspiration",  # target 1, family or mobility 0.6, experienced 0.5, else 0
    "is_target",  # the métier is one the person aims at
    "is_mobility",  # a ROME mobility of an aimed métier
    "experienced",  # a métier the person has worked in
    "same_domain",  # same ROME domain (first letter) as an aimed métier
    "km",  # great-circle distance (NaN when unknown)
    "distance_ratio",  # km over the person's maximum distance
    "french_slack",  # person's CEFR rank minus the required one (6 when none is required)
    "hours_slack",  # person's maximum hours minus the offer's (0 when not given)
    "shift_fit",  # 1 when the offer's shifts meet the person's (or none is given)
    "licence_missing",  # 1 when a licence the person lacks is required
    "article_60",  # 1 for an article 60 post
    "kind_job_offer",
    "kind_internship",
    "kind_training",
    "days_open",  # days since the offer opened (NaN when not given)
    "days_left",  # days until it expires (NaN when open-ended)
)


@dataclass
class QuerySignals:
    """What one profile's query computes over the whole catalogue (arrays per opportunity)."""

    view: ProfileView
    today: dt.date
    skills: np.ndarray  # float32: the fusion's skill channel
    aspiration: np.ndarray  # float32
    lexical: np.ndarray  # float32: raw BM25
    km: np.ndarray  # float64, NaN when unknown


def query_signals(
    view: ProfileView, cat: OpportunityCatalogue, today: dt.date, km: np.ndarray | None = None
) -> QuerySignals:
    """The fusion channels and distances of ``view`` for every opportunity of ``cat``."""
    skills = np.full(len(cat), NEUTRAL_SKILL_SCORE, dtype=np.float32)
    asked = cat.asked.sums(cat.skill_columns(view.skills))
    totals = cat.asked.row_totals
    np.divide(asked, totals, out=skills, where=totals > 0)
    gap = cat.skill_columns(view.gap)
    if gap:
        cover = cat.taught.sums(gap) / np.float32(len(gap))
        np.copyto(skills, cover, where=cat.kind_mask[OpportunityKind.TRAINING])
    if km is None:
        km = distances_km(view.profile.constraints.home_postcode, cat.columns)
    aspiration = view.aspiration_scores(cat.rome_codes, cat.rome_inverse)
    soft = cat.soft
    if len(soft.positions):  # an uncoded offer: each métier it may be, by its probability
        per_code = np.array([view.aspiration_score(c) for c in soft.codes], dtype=np.float32)
        aspiration[soft.positions] = soft.spread(per_code)
    return QuerySignals(
        view=view,
        today=today,
        skills=skills,
        aspiration=aspiration,
        lexical=np.asarray(cat.bm25.scores(view.lexical_query), dtype=np.float32),
        km=km,
    )


def dense_scores(view: ProfileView, cat: OpportunityCatalogue, positions: np.ndarray) -> np.ndarray:
    """Cosine similarities between the profile and the opportunities at ``positions``."""
    if not cat.has_dense or not len(positions):
        return np.zeros(len(positions), dtype=np.float32)
    assert cat.index is not None and cat.encoder is not None
    q = view.query_vector(cat.encoder)
    if cat.dense_matrix is not None:
        return np.asarray(cat.dense_matrix[positions] @ q, dtype=np.float32)
    return cat.index.similarities(cat.ids[positions], q)


def _share(matrix_rows: np.ndarray, totals: np.ndarray) -> np.ndarray:
    out = np.zeros(len(totals), dtype=np.float32)
    some = totals > 0
    out[some] = matrix_rows[some] / totals[some]
    return out


def feature_matrix(
    signals: QuerySignals,
    cat: OpportunityCatalogue,
    positions: np.ndarray,
    dense: np.ndarray | None = None,
) -> np.ndarray:
    """One row of :data:`FEATURE_NAMES` per catalogue position (float32)."""
    view, cols, p = signals.view, cat.columns, np.asarray(positions, dtype=np.int64)
    profile = view.profile
    have = cat.skill_columns(view.skills)
    required_held = cat.required.sums(have)[p]
    required_total = cat.required.row_totals[p]
    optional_held = cat.optional.sums(have)[p]
    gap = cat.skill_columns(view.gap)
    gap_cover = (
        cat.taught.sums(gap)[p] / float(len(gap)) if gap else np.zeros(len(p), dtype=np.float32)
    )
    best_lexical = float(signals.lexical.max()) if len(signals.lexical) else 0.0
    lexical = signals.lexical[p] / best_lexical if best_lexical > 0 else signals.lexical[p] * 0
    c = profile.constraints
    km = signals.km[p]
    person_rank = profile.french_level.rank + 1 if profile.french_level else 0
    french_slack = np.where(
        cols.french_rank[p] > 0, person_rank - cols.french_rank[p], NO_REQUIREMENT
    )
    hours = cols.hours[p]
    hours_slack = np.where(np.isnan(hours), 0.0, c.max_hours_per_week - np.nan_to_num(hours))
    person_shifts = shift_mask(c.available_shifts)
    shift_fit = (cols.shifts[p] == 0) | ((cols.shifts[p] & person_shifts) != 0)
    day = signals.today.toordinal()
    valid_from = cols.valid_from[p]
    valid_until = cols.valid_until[p]
    days_open = np.where(valid_from > 0, day - valid_from, np.nan)
    days_left = np.where(valid_until < NO_DATE, valid_until - day, np.nan)
    kind = cols.kind[p]
    columns = [
        dense if dense is not None else dense_scores(view, cat, p),
        lexical,
        signals.skills[p],
        _share(required_held, required_total),
        _share(optional_held, cat.optional.row_totals[p]),
        np.rint(required_total - required_held),
        (cat.asked.row_totals[p] > 0),
        gap_cover * cat.kind_mask[OpportunityKind.TRAINING][p],
        signals.aspiration[p],
        *view.project_relations(cat.rome_codes, cat.rome_inverse[p]).T,
        km,
        km / c.max_distance_km,
        french_slack,
        hours_slack,
        shift_fit,
        licence_missing(cols.licence[p], c.driving_licences),
        cols.article_60[p],
        *(kind == i for i in range(len(OpportunityKind))),
        days_open,
        days_left,
    ]
    return np.column_stack([np.asarray(col, dtype=np.float32) for col in columns])

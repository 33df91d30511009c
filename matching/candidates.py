"""The other side of the shortlist: people ranked for one need (an employer's offer, or a
need described in words), for the anonymised pool.

Each person is scored on the shortlist's own channels and fitted weights — skill overlap
(required skills weigh more, core ones most: the catalogue's weights), how the need's métier
sits in the person's project, dense similarity between the person's query and the need, minus
the distance penalty — after the need's hard prerequisites (licence, French, hours, shifts,
distance and travel time, dates, article 60). Constraints about the offer's own state (expired,
places, reserved, kind) do not apply to a described need.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from data_contracts.enums import OpportunityKind
from data_contracts.models import Opportunity
from matching.catalogue import (
    CORE_BONUS,
    OPTIONAL_WEIGHT,
    REQUIRED_WEIGHT,
    OpportunityCatalogue,
    dense_text,
)
from matching.features import NEUTRAL_SKILL_SCORE
from matching.filters import OFFER_STATE, violations
from matching.fusion import FusionWeights, fitted_weights, fuse, minmax
from matching.profile import ProfileView
from tremplin.geo import distance_km


@dataclass(frozen=True)
class CandidateScore:
    """One person's fit for a need."""

    index: int  # position in the people given
    score: float
    matched_skills: tuple[str, ...]  # skill ids the need asks and the person has
    missing_skills: tuple[str, ...]  # required skill ids the person lacks
    km: float | None
    aspiration: float


def _skill_weights(need: Opportunity, core: frozenset[str]) -> dict[str, float]:
    weights = {
        s.id: REQUIRED_WEIGHT + (CORE_BONUS if s.id in core else 0.0) for s in need.required_skills
    }
    for s in need.optional_skills:
        weights.setdefault(s.id, OPTIONAL_WEIGHT)
    return weights


def rank_candidates(
    need: Opportunity,
    views: Sequence[ProfileView],
    catalogue: OpportunityCatalogue,
    today: dt.date,
    weights: FusionWeights | None = None,
) -> list[CandidateScore]:
    """The people of ``views`` who meet the need's prerequisites, best first."""
    cat = catalogue
    w = weights or fitted_weights(getattr(cat.encoder, "path", None))
    code = need.occupation.rome_code or ""
    core = frozenset(cat.taxonomy.core_skills(code)) if code else frozenset()
    asked = _skill_weights(need, core)
    total = sum(asked.values())
    required = [s.id for s in need.required_skills]
    kinds = frozenset(OpportunityKind)
    kept: list[int] = []
    parts: list[tuple[float, float, float]] = []
    found: list[tuple[tuple[str, ...], tuple[str, ...], float | None]] = []
    for i, view in enumerate(views):
        person = view.profile
        km = distance_km(person.constraints.home_postcode, need.location.postcode)
        broken = set(violations(person, need, today, kinds, km)) - OFFER_STATE
        if broken or view.is_empty:
            continue
        have = view.skills
        skills = (
            sum(v for s, v in asked.items() if s in have) / total if total else NEUTRAL_SKILL_SCORE
        )
        far = (km or 0.0) / person.constraints.max_distance_km
        kept.append(i)
        parts.append((skills, view.aspiration_score(code), far))
        found.append(
            (
                tuple(s for s in asked if s in have),
                tuple(s for s in required if s not in have),
                km,
            )
        )
    if not kept:
        return []
    dense = None
    if cat.has_dense and cat.encoder is not None:
        target = cat.encoder.encode_passages([dense_text(need, cat.taxonomy)])[0]
        queries = np.stack([views[i].query_vector(cat.encoder) for i in kept])
        dense = minmax(queries @ target)
    channels = np.asarray(parts, dtype=np.float64).reshape(-1, 3)
    scores = fuse(
        w,
        dense=dense,
        lexical=0.0,  # a need has no words of the person's to match: no lexical channel
        skills=channels[:, 0],
        aspiration=channels[:, 1],
        distance=channels[:, 2],
    )
    out = [
        CandidateScore(
            index=i,
            score=round(float(scores[j]), 4),
            matched_skills=found[j][0],
            missing_skills=found[j][1],
            km=found[j][2],
            aspiration=parts[j][1],
        )
        for j, i in enumerate(kept)
    ]
    return sorted(out, key=lambda c: (-c.score, c.index))

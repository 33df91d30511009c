"""The shortlist: one function that every caller (CLI, API, pages, planners) uses.

1. Hard filters remove what the person cannot take (and say how many each constraint removed).
2. Candidates are gathered from four channels over what is left: dense similarity (FAISS),
   BM25 on French text, taxonomy skill overlap and aspiration match.
3. Each candidate's score is a weighted fusion of the channels (weights are a setting now and
   are learnt by the training pipeline), minus a distance penalty.
4. Near-duplicate offers (the same job posted twice) collapse into one item.
5. Items get reasons in short French sentences, and blocked aspirations get a pathway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
from pydantic import BaseModel, Field

from data_contracts.enums import OpportunityKind
from data_contracts.models import BeneficiaryProfile
from matching.catalogue import OpportunityCatalogue
from matching.filters import CONSTRAINT_LABELS, apply_filters
from matching.pathways import Pathway, build_pathways
from matching.profile import ProfileView
from matching.travel import travel_minutes
from tremplin.text import search_terms

ENGINE_VERSION = "hybrid-v1"
CHANNEL_DEPTH = 300  # candidates taken from each channel before fusion
EXACT_DENSE_LIMIT = 4096  # below this many eligible items, dense scores are computed exactly
NEUTRAL_SKILL_SCORE = 0.3  # an opportunity that lists no skill is neither good nor bad


class FusionWeights(BaseModel):
    """Weights of the score's parts (learnt by the training pipeline; a setting now)."""

    dense: float = Field(default=0.20, ge=0)
    lexical: float = Field(default=0.10, ge=0)
    skills: float = Field(default=0.40, ge=0)
    aspiration: float = Field(default=0.30, ge=0)
    distance: float = Field(default=0.10, ge=0)


class ChannelScores(BaseModel):
    """The parts of an item's score (the re-ranker's features)."""

    dense: float
    lexical: float
    skills: float
    aspiration: float
    distance: float


class ShortlistItem(BaseModel):
    """One ranked opportunity with the reasons a coach can read out."""

    opportunity_id: str
    kind: OpportunityKind
    title: str
    score: float
    distance_km: float | None
    travel_minutes: int | None = None
    matched_skills: list[str]
    missing_core_skills: list[str]
    reasons: list[str]
    channels: ChannelScores
    duplicates: list[str] = Field(
        default_factory=list, description="Ids of the same offer posted again."
    )


class Shortlist(BaseModel):
    """Ranked opportunities for one beneficiary, with what the hard filters removed."""

    beneficiary_id: str
    engine_version: str = ENGINE_VERSION
    encoder_version: str | None = None
    candidates: int = Field(description="Opportunities of the requested kinds.")
    eligible: int = Field(description="Of those, how many passed every hard constraint.")
    removed_by_constraint: dict[str, int] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    items: list[ShortlistItem]
    by_kind: dict[OpportunityKind, list[ShortlistItem]] = Field(default_factory=dict)
    pathways: list[Pathway] = Field(default_factory=list)


class EmptyProfileError(ValueError):
    """The profile has nothing to match on."""


def _top(scores: np.ndarray, among: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` positions of ``among`` with the highest ``scores`` (unordered)."""
    if len(among) <= k:
        return among
    part = np.argpartition(-scores[among], k)[:k]
    return np.asarray(among[part])


def _minmax(values: np.ndarray) -> np.ndarray:
    if not len(values):
        return values
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        return np.where(values > 0, 1.0, 0.0).astype(np.float32)
    return ((values - lo) / (hi - lo)).astype(np.float32)


def _dense_scores(
    view: ProfileView, cat: OpportunityCatalogue, eligible: np.ndarray
) -> tuple[np.ndarray, dict[int, float]]:
    """Dense top positions among ``eligible`` and the cosine of each."""
    assert cat.index is not None and cat.encoder is not None
    q = view.query_vector(cat.encoder)
    if len(eligible) <= EXACT_DENSE_LIMIT:
        sims = cat.index.vectors(cat.ids[eligible]) @ q
        order = eligible[np.argsort(-sims)[:CHANNEL_DEPTH]]
        return order, {int(p): float(s) for p, s in zip(eligible, sims, strict=True)}
    found, sims = cat.index.search(q, CHANNEL_DEPTH, allowed=cat.ids[eligible])
    positions = np.asarray([cat.position[int(i)] for i in found], dtype=np.int64)
    return positions, {int(p): float(s) for p, s in zip(positions, sims, strict=True)}


def shortlist(
    profile: BeneficiaryProfile,
    catalogue: OpportunityCatalogue,
    top: int = 10,
    kinds: frozenset[OpportunityKind] = frozenset(OpportunityKind),
    today: dt.date | None = None,
    weights: FusionWeights | None = None,
    with_pathways: bool = True,
) -> Shortlist:
    """Rank the catalogue's opportunities for ``profile`` after the hard filters."""
    today = today or dt.date.today()
    w = weights or FusionWeights()
    cat = catalogue
    view = ProfileView(profile, cat.taxonomy)
    if view.is_empty:
        raise EmptyProfileError(
            "profil vide : ajoutez une compétence, une expérience ou une aspiration / "
            "empty profile: add a skill, an experience or an aspiration"
        )
    filtered = apply_filters(profile, cat.columns, today, kinds)
    eligible = np.flatnonzero(filtered.eligible)
    result = Shortlist(
        beneficiary_id=profile.id,
        encoder_version=cat.encoder.version if cat.has_dense and cat.encoder else None,
        candidates=int(filtered.wanted.sum()),
        eligible=len(eligible),
        removed_by_constraint=dict(sorted(filtered.removed.items())),
        notes=[
            f"{n} opportunité(s) écartée(s) : {CONSTRAINT_LABELS[k]}"
            for k, n in sorted(filtered.removed.items(), key=lambda kv: -kv[1])
        ],
        items=[],
    )
    if len(eligible):
        ranked = _rank(view, cat, eligible, filtered.km, w)
        items = _collapse_duplicates(ranked, cat)
        limit = max(top, 0)
        result.items = items[:limit]
        result.by_kind = {
            k: [i for i in items if i.kind is k][:limit] for k in OpportunityKind if k in kinds
        }
    elif filtered.wanted.any():
        result.notes.append(
            "aucune opportunité ne respecte toutes les contraintes : voir les filtres ci-dessus"
        )
    if with_pathways:
        result.pathways = build_pathways(view, cat, filtered, today)
    return result


def _rank(
    view: ProfileView,
    cat: OpportunityCatalogue,
    eligible: np.ndarray,
    km: np.ndarray,
    w: FusionWeights,
) -> list[ShortlistItem]:
    have = cat.skill_vector(view.skills)
    skills = np.full(len(cat), NEUTRAL_SKILL_SCORE, dtype=np.float32)
    asked = np.asarray(cat.asked @ have, dtype=np.float32)
    has_ask = cat.asked_total > 0
    skills[has_ask] = asked[has_ask] / cat.asked_total[has_ask]
    gap = cat.skill_vector(view.gap)
    training = cat.kind == OpportunityKind.TRAINING
    if gap.any():
        cover = np.asarray(cat.taught @ gap, dtype=np.float32) / float(gap.sum())
        skills[training] = cover[training]
    aspiration = view.aspiration_scores(cat.rome_codes, cat.rome_inverse)
    lexical = cat.bm25.scores(view.lexical_query)
    channels = [
        _top(skills, eligible, CHANNEL_DEPTH),
        _top(aspiration, eligible, CHANNEL_DEPTH),
        _top(lexical, eligible, CHANNEL_DEPTH),
    ]
    dense_of: dict[int, float] = {}
    if cat.has_dense:
        dense_top, dense_of = _dense_scores(view, cat, eligible)
        channels.append(dense_top)
    pool = np.unique(np.concatenate(channels))
    if cat.has_dense:
        missing = [int(p) for p in pool if int(p) not in dense_of]
        if missing:
            assert cat.index is not None
            q = view.query_vector(cat.encoder)  # type: ignore[arg-type]
            sims = cat.index.vectors(cat.ids[missing]) @ q
            dense_of.update({p: float(s) for p, s in zip(missing, sims, strict=True)})
    dense = _minmax(np.array([dense_of.get(int(p), 0.0) for p in pool], dtype=np.float32))
    lex = _minmax(lexical[pool])
    far = np.nan_to_num(km[pool], nan=0.0) / view.profile.constraints.max_distance_km
    total = (
        (w.dense * dense if cat.has_dense else 0.0)
        + w.lexical * lex
        + w.skills * skills[pool]
        + w.aspiration * aspiration[pool]
        - w.distance * far
    )
    order = np.lexsort((pool, -total))
    return [
        _item(
            view,
            cat,
            int(pool[i]),
            float(total[i]),
            km,
            ChannelScores(
                dense=round(float(dense[i]), 4) if cat.has_dense else 0.0,
                lexical=round(float(lex[i]), 4),
                skills=round(float(skills[pool[i]]), 4),
                aspiration=round(float(aspiration[pool[i]]), 4),
                distance=round(float(far[i]), 4),
            ),
        )
        for i in order
    ]


def _item(
    view: ProfileView,
    cat: OpportunityCatalogue,
    p: int,
    score: float,
    km: np.ndarray,
    channels: ChannelScores,
) -> ShortlistItem:
    tax = cat.taxonomy
    o = cat.opportunities[p]
    have = view.skills
    core = cat.core_skills[p]
    if o.kind is OpportunityKind.TRAINING:
        taught = {s.id for s in o.taught_skills}
        matched = [tax.skill_label(s) for s in sorted(view.gap & taught)]
        missing: list[str] = []
    else:
        asked = [s.id for s in [*o.required_skills, *o.optional_skills]]
        matched = [tax.skill_label(s) for s in asked if s in have]
        missing = [
            tax.skill_label(s.id)
            for s in o.required_skills
            if s.id not in have and (s.id in core or not core)
        ]
    distance = None if np.isnan(km[p]) else float(km[p])
    minutes = (
        round(float(travel_minutes(distance, view.profile.constraints.transport_modes)))
        if distance is not None
        else None
    )
    reasons = [r for r in [view.aspiration_reason(o.occupation.rome_code)] if r]
    if channels.dense >= 0.8 or channels.lexical >= 0.8:
        reasons.append("intitulé proche de ce que la personne recherche")
    if matched:
        verb = "apprend" if o.kind is OpportunityKind.TRAINING else "maîtrise déjà"
        reasons.append(f"{verb} {len(matched)} compétence(s) utile(s) : {', '.join(matched[:3])}")
    if missing:
        reasons.append(f"à acquérir : {', '.join(missing[:3])}")
    if distance is not None:
        reasons.append(
            f"à {distance:.0f} km du domicile (environ {minutes} min)"
            if minutes is not None
            else f"à {distance:.0f} km du domicile"
        )
    return ShortlistItem(
        opportunity_id=o.id,
        kind=o.kind,
        title=o.title,
        score=round(score, 4),
        distance_km=round(distance, 1) if distance is not None else None,
        travel_minutes=minutes,
        matched_skills=matched,
        missing_core_skills=missing,
        reasons=reasons,
        channels=channels,
    )


def duplicate_key(cat: OpportunityCatalogue, p: int) -> tuple[str, ...]:
    """Offers with the same key are the same job posted twice."""
    o = cat.opportunities[p]
    return (
        o.kind.value,
        o.employer_id or o.provider or "",
        " ".join(sorted(set(search_terms(o.title)))),
        str(o.location.postcode),
        o.contract_type.value,
    )


def _collapse_duplicates(
    items: Iterable[ShortlistItem], cat: OpportunityCatalogue
) -> list[ShortlistItem]:
    kept: dict[tuple[str, ...], ShortlistItem] = {}
    for item in items:
        key = duplicate_key(cat, cat.by_external_id[item.opportunity_id])
        first = kept.get(key)
        if first is None:
            kept[key] = item
        else:
            first.duplicates.append(item.opportunity_id)
    return list(kept.values())

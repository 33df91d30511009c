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
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field

from data_contracts.enums import OpportunityKind
from data_contracts.models import BeneficiaryProfile
from matching.catalogue import OpportunityCatalogue
from matching.features import QuerySignals, dense_scores, feature_matrix, query_signals
from matching.filters import CONSTRAINT_LABELS, apply_filters
from matching.fusion import FusionWeights, fitted_weights, fuse, minmax
from matching.items import ChannelScores, ShortlistItem, build_item
from matching.pathways import Pathway, build_pathways
from matching.profile import ProfileView
from matching.reranker import Reranker
from tremplin.errors import EmptyProfileError

# v2: ads coded from title and description, uncoded offers weighed by their probability
ENGINE_VERSION = "hybrid-v2"
CHANNEL_DEPTH = 300  # candidates taken from each channel before fusion
RERANK_DEPTH = 300  # the fusion's best candidates that a re-ranker re-scores
EXACT_DENSE_LIMIT = 4096  # below this many eligible items, dense scores are computed exactly


class Shortlist(BaseModel):
    """Ranked opportunities for one beneficiary, with what the hard filters removed."""

    beneficiary_id: str
    as_of: dt.date | None = Field(
        default=None,
        description="The date the hard filters were checked on (dates, validity); the request's "
        "one clock (absent from shortlists stored before it was kept).",
    )
    engine_version: str = ENGINE_VERSION
    encoder_version: str | None = None
    ranker: str = Field(
        default="fusion",
        description="What ordered the items: 'fusion' (fixed weights) or the re-ranker model.",
    )
    candidates: int = Field(description="Opportunities of the requested kinds.")
    eligible: int = Field(description="Of those, how many passed every hard constraint.")
    removed_by_constraint: dict[str, int] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    items: list[ShortlistItem]
    by_kind: dict[OpportunityKind, list[ShortlistItem]] = Field(default_factory=dict)
    pathways: list[Pathway] = Field(default_factory=list)


def _top(scores: np.ndarray, among: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` positions of ``among`` with the highest ``scores`` (unordered)."""
    if len(among) <= k:
        return among
    part = np.argpartition(-scores[among], k)[:k]
    return np.asarray(among[part])


def dense_channel(
    view: ProfileView, cat: OpportunityCatalogue, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """The dense channel: the :data:`CHANNEL_DEPTH` eligible positions nearest to the profile's
    embedding, and similarities by catalogue position where they were computed: every
    opportunity's when the catalogue keeps its vector matrix (one exact mat-vec), else the
    eligible ones' (NaN elsewhere) when they are few enough to score exactly; otherwise a
    FAISS search restricted to the eligible ids, and no similarities. The benchmarks'
    encode+search floor calls this too."""
    assert cat.index is not None and cat.encoder is not None
    q = view.query_vector(cat.encoder)
    if cat.dense_matrix is not None:
        similarities = cat.dense_matrix @ q
        return _top(similarities, eligible, CHANNEL_DEPTH), similarities
    if len(eligible) <= EXACT_DENSE_LIMIT:
        sims = cat.index.similarities(cat.ids[eligible], q)
        # the eligible ones' similarities, kept so the fusion reads no vector a second time
        similarities = np.full(len(cat), np.nan, dtype=np.float32)
        similarities[eligible] = sims
        return np.asarray(eligible[np.argsort(-sims)[:CHANNEL_DEPTH]]), similarities
    found, _ = cat.index.search(q, CHANNEL_DEPTH, allowed=cat.ids[eligible])
    return cat.positions_of(found), None


def shortlist(
    profile: BeneficiaryProfile,
    catalogue: OpportunityCatalogue,
    *,
    today: dt.date,
    top: int = 10,
    kinds: frozenset[OpportunityKind] = frozenset(OpportunityKind),
    weights: FusionWeights | None = None,
    with_pathways: bool = True,
    reranker: Reranker | None = None,
) -> Shortlist:
    """Rank the catalogue's opportunities for ``profile`` after the hard filters.

    With a ``reranker`` (a model learnt from outcomes), the fused candidates are re-ordered by
    its score over :data:`~matching.features.FEATURE_NAMES`; without one, by the fusion.
    """
    cat = catalogue
    w = weights or fitted_weights(getattr(cat.encoder, "path", None))
    view = ProfileView.of(profile, cat)
    if view.is_empty:
        raise EmptyProfileError(
            "profil vide : ajoutez une compétence, une expérience ou une aspiration",
            "empty profile: add a skill, an experience or an aspiration",
        )
    filtered = apply_filters(profile, cat.columns, today, kinds)
    eligible = np.flatnonzero(filtered.eligible)
    result = Shortlist(
        beneficiary_id=profile.id,
        as_of=today,
        encoder_version=cat.encoder.version if cat.has_dense and cat.encoder else None,
        ranker=reranker.version if reranker else "fusion",
        candidates=int(filtered.wanted.sum()),
        eligible=len(eligible),
        removed_by_constraint=dict(sorted(filtered.removed.items())),
        notes=[
            f"{n} opportunité(s) écartée(s) : {CONSTRAINT_LABELS[k]}"
            for k, n in sorted(filtered.removed.items(), key=lambda kv: -kv[1])
        ],
        items=[],
    )
    result.notes += questions_for_the_coach(profile, cat, filtered.eligible)
    if len(eligible):
        signals = query_signals(view, cat, today, filtered.km)
        ranked = _rank(signals, cat, eligible, w, reranker)
        result.items, result.by_kind = _present(view, cat, ranked, filtered.km, max(top, 0), kinds)
    elif filtered.wanted.any():
        result.notes.append(
            "aucune opportunité ne respecte toutes les contraintes : voir les filtres ci-dessus"
        )
    if with_pathways:
        result.pathways = build_pathways(view, cat, filtered, today)
    return result


def questions_for_the_coach(
    profile: BeneficiaryProfile, cat: OpportunityCatalogue, eligible: np.ndarray
) -> list[str]:
    """Notes on what the profile does not say yet and how many shown offers ask it."""
    out = []
    if profile.french_level is None:
        n = int((eligible & (cat.columns.french_rank > 0)).sum())
        if n:
            out.append(
                f"niveau de français non évalué : {n} opportunité(s) en demandent un, "
                "à vérifier avec la personne (elles restent proposées)"
            )
    if profile.constraints.driving_licences_unknown:
        n = int((eligible & (cat.columns.licence >= 0)).sum())
        if n:
            out.append(
                f"permis de conduire non renseigné : {n} opportunité(s) en demandent un, "
                "à vérifier avec la personne (elles restent proposées)"
            )
    return out


@dataclass
class FusionParts:
    """The fusion's normalised channels over a set of candidates (aligned arrays)."""

    cosine: np.ndarray  # raw dense similarity
    dense: np.ndarray  # min-max over the candidates
    lexical: np.ndarray  # min-max over the candidates
    skills: np.ndarray
    aspiration: np.ndarray
    distance: np.ndarray  # km over the person's maximum
    has_dense: bool

    def total(self, w: FusionWeights) -> np.ndarray:
        """The fused score with weights ``w``."""
        return fuse(
            w,
            dense=self.dense if self.has_dense else None,
            lexical=self.lexical,
            skills=self.skills,
            aspiration=self.aspiration,
            distance=self.distance,
        )


def fusion_parts(
    signals: QuerySignals,
    cat: OpportunityCatalogue,
    pool: np.ndarray,
    cosine: np.ndarray | None = None,
) -> FusionParts:
    """The fusion's channels for the catalogue positions ``pool`` (normalised over the pool);
    ``cosine``: the pool's dense similarities when the caller has them already."""
    if cosine is None:
        cosine = dense_scores(signals.view, cat, pool)
    far = (
        np.nan_to_num(signals.km[pool], nan=0.0) / signals.view.profile.constraints.max_distance_km
    )
    return FusionParts(
        cosine=cosine,
        dense=minmax(cosine) if cat.has_dense else cosine,
        lexical=minmax(signals.lexical[pool]),
        skills=signals.skills[pool],
        aspiration=signals.aspiration[pool],
        distance=far,
        has_dense=cat.has_dense,
    )


@dataclass
class _Ranked:
    """Fused candidates, best first, with each channel's value (arrays aligned with ``pool``)."""

    pool: np.ndarray
    total: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    skills: np.ndarray
    aspiration: np.ndarray
    distance: np.ndarray
    has_dense: bool

    def channels(self, i: int) -> ChannelScores:
        """The channel scores of the ``i``-th candidate."""
        return ChannelScores(
            dense=round(float(self.dense[i]), 4) if self.has_dense else 0.0,
            lexical=round(float(self.lexical[i]), 4),
            skills=round(float(self.skills[i]), 4),
            aspiration=round(float(self.aspiration[i]), 4),
            distance=round(float(self.distance[i]), 4),
        )


def candidate_pool(
    signals: QuerySignals, cat: OpportunityCatalogue, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """The fusion's candidates: the best :data:`CHANNEL_DEPTH` eligible positions of each
    channel, and their dense similarities when the dense channel computed them."""
    view = signals.view
    channels = [
        _top(signals.skills, eligible, CHANNEL_DEPTH),
        _top(signals.aspiration, eligible, CHANNEL_DEPTH),
        _top(signals.lexical, eligible, CHANNEL_DEPTH),
    ]
    similarities = None  # by position, where the dense channel computed them (pool ⊆ eligible)
    if cat.has_dense:
        nearest, similarities = dense_channel(view, cat, eligible)
        channels.append(nearest)
    pool = np.unique(np.concatenate(channels))
    cosine = np.asarray(similarities[pool], dtype=np.float32) if similarities is not None else None
    return pool, cosine


def _served_scores(
    signals: QuerySignals,
    cat: OpportunityCatalogue,
    pool: np.ndarray,
    parts: FusionParts,
    w: FusionWeights,
    reranker: Reranker | None,
) -> np.ndarray:
    """The served ranking's score of each candidate of ``pool``."""
    total = parts.total(w)
    if reranker is not None and len(pool):
        # the re-ranker re-scores the fusion's best RERANK_DEPTH candidates, placed above the
        # rest (which keep the fusion's order): its cost stays flat whatever the catalogue size
        best = _top(total, np.arange(len(pool)), RERANK_DEPTH)
        learnt = reranker.score(feature_matrix(signals, cat, pool[best], dense=parts.cosine[best]))
        floor = float(learnt.min()) if len(learnt) else 0.0
        total = total - float(total.max()) + floor - 1e-3
        total[best] = learnt
    return np.asarray(total)


def _rank(
    signals: QuerySignals,
    cat: OpportunityCatalogue,
    eligible: np.ndarray,
    w: FusionWeights,
    reranker: Reranker | None = None,
) -> _Ranked:
    pool, cosine = candidate_pool(signals, cat, eligible)
    parts = fusion_parts(signals, cat, pool, cosine)
    total = _served_scores(signals, cat, pool, parts, w, reranker)
    order = np.lexsort((pool, -total))
    return _Ranked(
        pool=pool[order],
        total=np.asarray(total[order]),
        dense=parts.dense[order],
        lexical=parts.lexical[order],
        skills=parts.skills[order],
        aspiration=parts.aspiration[order],
        distance=parts.distance[order],
        has_dense=cat.has_dense,
    )


MAX_STAGE = 4.0  # a re-ranker's score is the expected funnel stage, 0 (none) to 4 (hired)


@dataclass
class PairScores:
    """How the served ranking rates some opportunities for one person (aligned arrays)."""

    eligible: np.ndarray  # bool: passes every hard constraint
    quality: np.ndarray  # float in [0, 1]: the served score on one scale (fusion or re-ranker)
    rank: np.ndarray  # int: place among the person's eligible opportunities of the same kind
    # (1 = the best the whole catalogue has for them; 0 where not eligible)


def score_opportunities(
    profile: BeneficiaryProfile,
    catalogue: OpportunityCatalogue,
    positions: np.ndarray,
    today: dt.date,
    reranker: Reranker | None = None,
    weights: FusionWeights | None = None,
    ignored: frozenset[str] = frozenset(),
) -> PairScores:
    """The served ranking's view of the opportunities at catalogue ``positions`` for
    ``profile``: the scores and ranks its shortlist would give them (job days use it to rate
    a person's stands, so a plan agrees with the shortlist the coach reads). ``ignored``:
    constraints not applied to ``positions`` (e.g. :data:`~matching.filters.OFFER_STATE`)."""
    cat = catalogue
    positions = np.asarray(positions, dtype=np.int64)
    w = weights or fitted_weights(getattr(cat.encoder, "path", None))
    view = ProfileView.of(profile, cat)
    out = PairScores(
        eligible=np.zeros(len(positions), dtype=bool),
        quality=np.zeros(len(positions)),
        rank=np.zeros(len(positions), dtype=np.int64),
    )
    if view.is_empty or not len(positions):
        return out
    filtered = apply_filters(profile, cat.columns, today, frozenset(OpportunityKind))
    eligible = np.flatnonzero(filtered.eligible)
    out.eligible = filtered.passes_except(ignored, at=positions)
    if not out.eligible.any():
        return out
    signals = query_signals(view, cat, today, filtered.km)
    pool, cosine = candidate_pool(signals, cat, eligible)
    union = np.union1d(pool, positions[out.eligible])
    if len(union) != len(pool):
        cosine = None  # some asked positions are outside the pool: computed for all below
    parts = fusion_parts(signals, cat, union, cosine)
    total = _served_scores(signals, cat, union, parts, w, reranker)
    scale = MAX_STAGE if reranker is not None else 1.0
    kind = cat.columns.kind[union]
    where = np.searchsorted(union, positions)
    for i in np.flatnonzero(out.eligible):
        j = int(where[i])
        same = kind == kind[j]
        out.quality[i] = float(np.clip(total[j] / scale, 0.0, 1.0))
        out.rank[i] = int((total[same] > total[j]).sum()) + 1
    return out


def _present(
    view: ProfileView,
    cat: OpportunityCatalogue,
    ranked: _Ranked,
    km: np.ndarray,
    limit: int,
    kinds: frozenset[OpportunityKind],
) -> tuple[list[ShortlistItem], dict[OpportunityKind, list[ShortlistItem]]]:
    """The blended top ``limit`` and the top ``limit`` per kind, duplicates collapsed.

    Near-duplicate offers (same :func:`~matching.catalogue.duplicate_key`) collapse into the
    best-ranked one, which lists the others' ids. Items are built only for what is shown.
    """
    groups = cat.duplicate_group[ranked.pool]
    _, first, number, size = np.unique(
        groups, return_index=True, return_inverse=True, return_counts=True
    )
    kept = np.sort(first)  # ranks of the best of each group, best first
    kept_kind = cat.columns.kind[ranked.pool[kept]]
    built: dict[int, ShortlistItem] = {}

    def item(rank: int) -> ShortlistItem:
        if rank not in built:
            p = int(ranked.pool[rank])
            built[rank] = build_item(
                view, cat, p, float(ranked.total[rank]), km, ranked.channels(rank)
            )
            if size[number[rank]] > 1:  # most offers stand alone: no pass over the pool
                same = ranked.pool[groups == groups[rank]]
                built[rank].duplicates = [cat.opportunities[int(d)].id for d in same if d != p]
        return built[rank]

    blended = [item(int(r)) for r in kept[:limit]]
    by_kind = {
        k: [item(int(r)) for r in kept[kept_kind == i][:limit]]
        for i, k in enumerate(OpportunityKind)
        if k in kinds
    }
    return blended, by_kind

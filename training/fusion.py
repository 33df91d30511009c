"""Fit the fusion's weights on the external suites' dev side together with outcomes.

Two sources, weighed equally: the dev people of the external shortlist recipes (never test),
graded by ROME's structure, and the logged outcomes of a generated sample (seed
:data:`OUTCOME_SEED`, not the seed reported), graded by the funnel stage each pair reached. The
recipes alone would drop the skill channel (their people hold non-core skills by design); the
outcomes alone would replay the generator. Each person's candidates and channels are computed
once (they do not depend on the weights); coordinate ascent over a grid then maximises the mean
of the two sources' mean nDCG@10. The weights are written to ``matching/fitted/fusion.json``
(shipped), which :func:`matching.shortlist.fitted_weights` serves; the hand-set
:class:`~matching.shortlist.FusionWeights` defaults stay the untrained fallback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from matching.ad_coding import AdCoder
from matching.catalogue import OpportunityCatalogue, build_vector_index
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder
from matching.features import query_signals
from matching.fusion import FITTED_WEIGHTS, FusionWeights
from matching.occupations import OccupationLinker
from matching.profile import ProfileView
from matching.shortlist import fusion_parts
from training.labels import Event, pair_labels
from training.metrics import K, ndcg_at_k
from training.suites.shortlist_eval import FusionCase
from tremplin.sample.draw import REFERENCE_DATE
from tremplin.sample.generator import generate
from tremplin.taxonomy import load_taxonomy

GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
ROUNDS = 4


OUTCOME_SEED = 11  # the generated sample fitted on (figures are reported on seed 7)
OUTCOME_PEOPLE = 400


class FusionFit(BaseModel):
    """Fitted weights and what they scored on dev."""

    weights: FusionWeights
    dev_ndcg_at_10: float
    untrained_dev_ndcg_at_10: float
    by_source: dict[str, float]
    cases: dict[str, int]
    fitted_on: str
    encoder_version: str | None = None


def mean_ndcg(cases: Sequence[FusionCase], w: FusionWeights) -> float:
    """Mean nDCG@10 of the fused order with weights ``w`` over ``cases``."""
    if not cases:
        return 0.0
    values = []
    for case in cases:
        total = case.parts.total(w)
        top = np.lexsort((case.pool, -total))[:K]
        values.append(ndcg_at_k(top.tolist(), case.gain_of, K))
    return float(np.mean(values))


def _objective(sources: Mapping[str, Sequence[FusionCase]], w: FusionWeights) -> float:
    return float(np.mean([mean_ndcg(cases, w) for cases in sources.values() if cases]))


def outcome_cases(
    encoder: Encoder | None,
    cache: EmbeddingCache | None,
    linker: OccupationLinker | None,
    seed: int = OUTCOME_SEED,
    people: int = OUTCOME_PEOPLE,
    coder: AdCoder | None = None,
) -> list[FusionCase]:
    """Each generated person's logged pairs as a fitting case (gains: the stage reached)."""
    tax = load_taxonomy()
    data = generate(seed, n_opportunities=3000, n_beneficiaries=people)
    items = data.opportunities
    ids = np.arange(len(items), dtype=np.int64)
    index = build_vector_index(items, ids, encoder, cache, tax) if encoder and cache else None
    cat = OpportunityCatalogue(
        items,
        tax,
        ids=ids,
        encoder=encoder if index else None,
        index=index,
        linker=linker,
        coder=coder,
    )
    person = {b.id: n for n, b in enumerate(data.beneficiaries)}
    labels = pair_labels(
        Event(
            person[e.beneficiary_id],
            cat.by_external_id[e.opportunity_id],
            e.type,
            e.occurred_at,
            e.refusal_reason,
        )
        for e in data.outcomes
    )
    by_person: dict[int, list[tuple[int, int]]] = {}
    for (b, o), label in sorted(labels.items()):
        by_person.setdefault(b, []).append((o, label.grade))
    out = []
    for b, pairs in by_person.items():
        grades = np.asarray([g for _, g in pairs], dtype=float)
        if grades.max() <= 0:
            continue
        view = ProfileView.of(data.beneficiaries[b], cat)
        pool = np.asarray([o for o, _ in pairs], dtype=np.int64)
        signals = query_signals(view, cat, REFERENCE_DATE)
        out.append(
            FusionCase(
                parts=fusion_parts(signals, cat, pool),
                gains=grades,
                all_gains=grades,
                signals=signals,
                pool=pool,
                target="",
            )
        )
    return out


def fit_fusion(sources: Mapping[str, Sequence[FusionCase]], fitted_on: str) -> FusionFit:
    """Coordinate ascent over :data:`GRID` from the hand-set weights; the objective is the
    mean over ``sources`` of their mean nDCG@10."""
    start = FusionWeights()
    best, best_score = start, _objective(sources, start)
    untrained = best_score
    for _ in range(ROUNDS):
        improved = False
        for name in FusionWeights.model_fields:
            for value in GRID:
                trial = best.model_copy(update={name: value})
                score = _objective(sources, trial)
                if score > best_score + 1e-6:
                    best, best_score, improved = trial, score, True
        if not improved:
            break
    return FusionFit(
        weights=best,
        dev_ndcg_at_10=round(best_score, 4),
        untrained_dev_ndcg_at_10=round(untrained, 4),
        by_source={k: round(mean_ndcg(v, best), 4) for k, v in sources.items()},
        cases={k: len(v) for k, v in sources.items()},
        fitted_on=fitted_on,
    )


def save_fusion(fit: FusionFit, path: Path = FITTED_WEIGHTS) -> None:
    """Write the fitted weights where :func:`~matching.shortlist.fitted_weights` reads them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fit.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")

"""The external shortlist recipes in the re-ranker's training loop.

Outcomes alone teach a re-ranker the world that produced them — on the sample, the
generator's formula. The recipes' dev people, graded by ROME's structure, are added to its
training pairs (folds :data:`TRAIN_FOLDS`), and its gate checks, on the dev folds it did not
learn from (:data:`GUARD_FOLDS`), that it ranks them no worse than the fusion. Test people are
never used here; ``tremplin evaluate --suite external`` reports them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from pydantic import BaseModel

from matching.ad_coding import AdCoder
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder
from matching.features import feature_matrix
from matching.fusion import fitted_weights
from matching.occupations import OccupationLinker
from matching.reranker import Reranker
from training.suites.evaluation_vectors import seed as seed_evaluation_vectors
from training.suites.shortlist_eval import (
    SuiteEngine,
    evaluate_shortlist_suite,
    fusion_cases,
    suite_engine,
)
from training.suites.shortlists import shortlist_suites
from training.suites.split import fold_of
from training.suites.titles import FOLDS
from tremplin.taxonomy import load_taxonomy

TRAIN_FOLDS = frozenset({0, 1, 2})
GUARD_FOLDS = frozenset({3, 4})
PAIRS_PER_PERSON = 50  # the fusion's best candidates of each person (where order matters)
STAGE_OF_GAIN = {3.0: 4, 2.0: 3, 1.0: 1, 0.0: 0}  # ROME grade -> funnel stage


class ExternalPairs(BaseModel):
    """Training rows from the recipes (features as the engine computes them)."""

    model_config = {"arbitrary_types_allowed": True}

    features: np.ndarray
    grades: np.ndarray
    people: int


class ExternalGuard(BaseModel):
    """The fusion's and a re-ranker's nDCG@10 on the guard folds, per recipe."""

    fusion: dict[str, float]
    reranker: dict[str, float]

    def mean(self, which: str) -> float:
        """The mean over recipes of ``fusion`` or ``reranker``."""
        values = list((self.fusion if which == "fusion" else self.reranker).values())
        return float(np.mean(values)) if values else 0.0


_DEV_ENGINES: dict[tuple[object, ...], tuple[object, object, list[SuiteEngine]]] = {}


def _dev_engines(
    encoder: Encoder | None,
    cache: EmbeddingCache | None,
    linker: OccupationLinker | None,
    seeds: int,
    coder: AdCoder | None,
) -> list[SuiteEngine]:
    """The recipes' engines over every dev person, built once per process for these models: a
    training run reads them twice (its pairs, then its guard) and a process may train more
    than once (a promotion re-checked from the pages); the catalogues depend on neither the
    folds nor the outcomes. Only the latest models' engines are kept."""
    key = (encoder.version if encoder is not None else None, id(linker), id(coder), seeds)
    found = _DEV_ENGINES.get(key)
    if found is None:
        tax = load_taxonomy()
        if cache is not None and encoder is not None:
            seed_evaluation_vectors(cache, encoder.version)  # the recipes' texts, shipped
        engines = []
        for suite in shortlist_suites(tax, seeds=seeds).values():
            suite.profiles = [p for p in suite.profiles if suite.split[p.id] == "dev"]
            # training reads the engine's fusion and re-ranker only: no dense baseline to embed
            engines.append(
                suite_engine(suite, tax, encoder, cache, linker, coder, dense_baseline=False)
            )
        _DEV_ENGINES.clear()
        # the models are kept with their engines, so that their ids in the key stay theirs
        found = _DEV_ENGINES[key] = (linker, coder, engines)
    return found[2]


def _engines(
    encoder: Encoder | None,
    cache: EmbeddingCache | None,
    linker: OccupationLinker | None,
    seeds: int,
    folds: frozenset[int],
    coder: AdCoder | None = None,
) -> list[SuiteEngine]:
    """The recipes' engines over their dev people of ``folds`` only."""
    out = []
    for engine in _dev_engines(encoder, cache, linker, seeds, coder):
        suite = engine.suite
        people = [p for p in suite.profiles if fold_of(suite.target[p.id], FOLDS) in folds]
        out.append(replace(engine, suite=replace(suite, profiles=people)))
    return out


def external_pairs(
    encoder: Encoder | None,
    cache: EmbeddingCache | None,
    linker: OccupationLinker | None,
    seeds: int,
    coder: AdCoder | None = None,
) -> ExternalPairs:
    """Rows of the recipes' dev people in :data:`TRAIN_FOLDS`: each person's
    :data:`PAIRS_PER_PERSON` best fusion candidates, graded by :data:`STAGE_OF_GAIN`."""
    blocks: list[np.ndarray] = []
    grades: list[np.ndarray] = []
    people = 0
    weights = fitted_weights(getattr(encoder, "path", None))
    for engine in _engines(encoder, cache, linker, seeds, TRAIN_FOLDS, coder):
        for case in fusion_cases(engine):
            best = np.argsort(-case.parts.total(weights), kind="stable")[:PAIRS_PER_PERSON]
            blocks.append(
                feature_matrix(
                    case.signals, engine.catalogue, case.pool[best], dense=case.parts.cosine[best]
                )
            )
            grades.append(np.asarray([STAGE_OF_GAIN[g] for g in case.gains[best]], dtype=np.int64))
            people += 1
    if not blocks:
        return ExternalPairs(
            features=np.zeros((0, 0), dtype=np.float32),
            grades=np.zeros(0, dtype=np.int64),
            people=0,
        )
    return ExternalPairs(features=np.vstack(blocks), grades=np.concatenate(grades), people=people)


def external_guard(
    encoder: Encoder | None,
    cache: EmbeddingCache | None,
    linker: OccupationLinker | None,
    reranker: Reranker,
    seeds: int,
    coder: AdCoder | None = None,
) -> ExternalGuard:
    """The fusion and ``reranker`` on the recipes' dev people in :data:`GUARD_FOLDS`."""
    fusion: dict[str, float] = {}
    ranked: dict[str, float] = {}
    for engine in _engines(encoder, cache, linker, seeds, GUARD_FOLDS, coder):
        for row in evaluate_shortlist_suite(engine, encoder, reranker):
            target = (
                fusion if row.method == "fusion" else ranked if row.method == "champion" else None
            )
            if target is not None:
                target[row.suite] = row.value("ndcg_at_10")
    return ExternalGuard(fusion=fusion, reranker=ranked)

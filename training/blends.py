"""``tremplin fit-matching``: fit the title linkers' blends and the fusion weights on dev.

Both are fitted for one encoder on the dev side of the external suites (never test): the
linkers on the title suites (:mod:`training.linker`), then — with those linkers serving — the
fusion on the shortlist recipes (:mod:`training.fusion`). The results go to the shipped folder
``matching/fitted/`` for the bundled encoder, or beside a fine-tuned encoder's weights, and the
fit is logged to MLflow (experiment ``tremplin-matching``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder
from matching.engine import ad_coder, cache_path
from matching.fusion import fitted_weights
from matching.occupations import FITTED_DIR, OccupationLinker
from training.fusion import OUTCOME_SEED, FusionFit, fit_fusion, outcome_cases, save_fusion
from training.linker import ALL_FOLDS, LinkFit, fit_linkers
from training.suites.shortlist_eval import fusion_cases, suite_engine
from training.suites.shortlists import shortlist_suites, slice_targets
from training.suites.split import fold_of
from training.suites.titles import FOLDS
from tremplin.settings import Settings
from tremplin.taxonomy import load_taxonomy

MATCHING_EXPERIMENT = "tremplin-matching"
FIT_SEEDS = 60  # target métiers per shortlist recipe when fitting the fusion


class MatchingFit(BaseModel):
    """What one fit produced."""

    encoder_version: str
    folder: str
    links: dict[str, LinkFit]
    fusion: FusionFit
    run_id: str | None = None


def fit_matching(
    settings: Settings,
    encoder: Encoder,
    linker: OccupationLinker,
    out_dir: Path = FITTED_DIR,
    folds: frozenset[int] = ALL_FOLDS,
    size: int | None = None,
    progress: bool = False,
    log_to_mlflow: bool = True,
) -> MatchingFit:
    """Fit, install in ``linker`` and save both blends for ``encoder`` (dev ``folds`` only)."""
    tax = load_taxonomy()
    links = fit_linkers(linker.linkers, out_dir, size, progress, folds)
    cache = EmbeddingCache(cache_path(settings))
    coder = ad_coder(settings, encoder).with_linker(linker)
    try:
        seeds = FIT_SEEDS if size is None else slice_targets(size)
        cases = []
        for suite in shortlist_suites(tax, seeds=seeds).values():
            engine = suite_engine(suite, tax, encoder, cache, linker, coder)
            cases += [c for c in fusion_cases(engine) if fold_of(c.target, FOLDS) in folds]
        outcomes = outcome_cases(encoder, cache, linker, coder=coder)
    finally:
        cache.close()
    fusion = fit_fusion(
        {"external": cases, "outcomes": outcomes},
        f"dev side of the shortlist recipes ({len(cases)} people) and the logged outcomes of "
        f"a generated sample (seed {OUTCOME_SEED}, {len(outcomes)} people)",
    )
    fusion.encoder_version = encoder.version
    save_fusion(fusion, out_dir / "fusion.json")
    fitted_weights.cache_clear()
    result = MatchingFit(
        encoder_version=encoder.version,
        folder=str(out_dir),
        links={k: fit for k, (_, fit) in links.items()},
        fusion=fusion,
    )
    if log_to_mlflow:
        result.run_id = _log(settings, result)
    return result


def _log(settings: Settings, fit: MatchingFit) -> str:
    import mlflow

    from training.registry import tracked_run

    with tracked_run(
        settings, MATCHING_EXPERIMENT, {"encoder_version": fit.encoder_version}
    ) as run:
        params: dict[str, Any] = {
            f"fusion.{k}": v for k, v in fit.fusion.weights.model_dump().items()
        }
        for kind, link in fit.links.items():
            params[f"link_{kind}.penalty"] = link.penalty
        mlflow.log_params(params)
        metrics = {
            "fusion.dev_ndcg_at_10": fit.fusion.dev_ndcg_at_10,
            "fusion.untrained_dev_ndcg_at_10": fit.fusion.untrained_dev_ndcg_at_10,
            **{f"fusion.{k}.ndcg_at_10": v for k, v in fit.fusion.by_source.items()},
        }
        for kind, link in fit.links.items():
            metrics[f"link_{kind}.cv_success_at_1"] = max(link.cv_success_at_1.values())
        mlflow.log_metrics(metrics)
        mlflow.log_artifacts(fit.folder, "fitted")
    return str(run.info.run_id)

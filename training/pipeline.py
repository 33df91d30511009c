"""One training run: dataset → re-ranker → evaluation beside the fusion and the champion →
MLflow run with metrics, artifacts and the registered model → gate → (promotion).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from matching.champion import load_version
from matching.embedding_cache import EmbeddingCache
from matching.encoder import served_encoder
from matching.engine import cache_path, title_linker
from matching.features import FEATURE_NAMES
from matching.ranker_model import TRUSTED_TYPES, OrdinalBoostingRanker
from matching.reranker import Reranker, SklearnReranker
from training import registry
from training.datasets import Dataset, OutcomeData, build_dataset
from training.evaluation import Truth, TruthTable, evaluate_logged, evaluate_truth
from training.external import external_guard, external_pairs
from training.fairness import FairnessReport, fairness_report
from training.registry import GateDecision, GatePolicy
from tremplin.settings import Settings

log = logging.getLogger(__name__)
EXTERNAL_SEEDS = 30  # target métiers per external recipe in a training run


class MethodFigures(BaseModel):
    """One ranker's held-out figures (primary grading) and fairness."""

    method: str
    metrics: dict[str, float]
    logged: dict[str, float]
    fairness: FairnessReport


class TrainReport(BaseModel):
    """What a run did and found."""

    run_id: str
    version: str  # the registered version, e.g. tremplin-reranker/v3
    dataset: dict[str, Any]
    grading: str  # "hidden_truth" or "logged"
    methods: list[MethodFigures]
    gate: GateDecision
    promoted: bool
    gain_over_fusion: dict[str, float]

    def markdown(self) -> str:
        """A short report for people (and the run's artifacts)."""
        keys = ("ndcg_at_10", "ndcg_exp_at_10", "ndcg_binary_at_10", "recall_at_10", "mrr")
        lines = [
            f"# Entraînement {self.version} (run {self.run_id})",
            "",
            f"Données : {self.dataset.get('dataset_digest')} — "
            f"{self.dataset.get('n_train_pairs')} paires d'entraînement, "
            f"{self.dataset.get('n_held_out_people')} personnes tenues à l'écart "
            f"(après {self.dataset.get('cutoff')}). Notation : {self.grading}.",
            "",
            "| méthode | " + " | ".join(keys) + " | coverage | exposure ratio min |",
            "|---" * (len(keys) + 3) + "|",
        ]
        for m in self.methods:
            cells = " | ".join(f"{m.metrics.get(k, 0):.4f}" for k in keys)
            lines.append(
                f"| {m.method} | {cells} | {m.metrics.get('coverage', 0):.3f} | "
                f"{m.fairness.exposure_ratio_min:.3f} |"
            )
        gains = ", ".join(f"{k} {v:+.1%}" for k, v in self.gain_over_fusion.items())
        verdict = "acceptée" if self.gate.accepted else "refusée : " + "; ".join(self.gate.reasons)
        lines += [
            "",
            f"Gain sur la fusion : {gains}.",
            f"Porte (contre {self.gate.incumbent}) : {verdict}.",
            f"Promu champion : {'oui' if self.promoted else 'non'}.",
        ]
        return "\n".join(lines) + "\n"


def _figures(
    ds: Dataset, name: str, ranker: Reranker | None, truth: TruthTable | None
) -> MethodFigures:
    logged = evaluate_logged(ds, ranker)
    primary = evaluate_truth(ds, ranker, truth) if truth is not None else logged
    fairness = fairness_report(primary, ds.data.groups)
    metrics = {**primary.metrics(), **fairness.metrics()}
    return MethodFigures(method=name, metrics=metrics, logged=logged.metrics(), fairness=fairness)


def _plots(methods: list[MethodFigures], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["ndcg_at_10", "ndcg_exp_at_10", "ndcg_binary_at_10", "recall_at_10", "mrr"]
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(methods)
    for i, m in enumerate(methods):
        ax.bar(
            np.arange(len(keys)) + i * width,
            [m.metrics.get(k, 0) for k in keys],
            width,
            label=m.method,
        )
    ax.set_xticks(np.arange(len(keys)) + 0.4 - width / 2, keys, rotation=15)
    ax.set_ylim(0, 1)
    ax.set_title("Held-out ranking quality")
    ax.legend()
    fig.tight_layout()
    metrics_png = out / "metrics.png"
    fig.savefig(metrics_png, dpi=100)
    plt.close(fig)
    fig, axes = plt.subplots(1, 3, figsize=(12, 4), sharey=True)
    for ax, attribute in zip(axes, ("gender", "age_band", "origin"), strict=True):
        for i, m in enumerate(methods):
            groups = [g for g in m.fairness.groups if g.attribute == attribute]
            xs = np.arange(len(groups)) + i * width
            ax.bar(xs, [g.exposure for g in groups], width, label=m.method)
            ax.set_xticks(
                np.arange(len(groups)) + 0.4 - width / 2, [g.group for g in groups], rotation=30
            )
        ax.set_title(f"exposure by {attribute}")
    axes[0].legend()
    fig.tight_layout()
    fairness_png = out / "exposure_by_group.png"
    fig.savefig(fairness_png, dpi=100)
    plt.close(fig)
    return [metrics_png, fairness_png]


def _tables(methods: list[MethodFigures], out: Path) -> list[Path]:
    import pandas as pd

    evaluation = pd.DataFrame(
        [{"method": m.method, **m.metrics} for m in methods]
        + [{"method": f"{m.method} (logged)", **m.logged} for m in methods]
    )
    groups = pd.DataFrame(
        [{"method": m.method, **g.model_dump()} for m in methods for g in m.fairness.groups]
    )
    paths = [out / "evaluation.csv", out / "fairness_groups.csv"]
    evaluation.to_csv(paths[0], index=False)
    groups.to_csv(paths[1], index=False)
    return paths


def train(
    settings: Settings,
    data: OutcomeData,
    truth: Truth | None = None,
    policy: GatePolicy | None = None,
    auto_promote: bool = True,
    params: dict[str, Any] | None = None,
    use_encoder: bool = True,
    external_seeds: int = EXTERNAL_SEEDS,
) -> TrainReport:
    """Fit, evaluate, log, register and gate a re-ranker on ``data`` — and on the external
    recipes' dev people (``external_seeds`` target métiers per recipe; 0: outcomes only)."""
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    policy = policy or GatePolicy()
    encoder = served_encoder(settings) if use_encoder else None
    linker = title_linker(settings, encoder) if settings.link_titles else None
    cache = EmbeddingCache(cache_path(settings)) if use_encoder else None
    try:
        ds = build_dataset(data, encoder, cache, linker=linker)
        extra = external_pairs(encoder, cache, linker, external_seeds) if external_seeds else None
        model = OrdinalBoostingRanker(**(params or {}))
        if extra is not None and len(extra.grades):
            model.fit(
                np.vstack([ds.train.features, extra.features]),
                np.concatenate([ds.train.grades, extra.grades]),
            )
        else:
            model.fit(ds.train.features, ds.train.grades)
        challenger = SklearnReranker(model, "challenger")
        guard = (
            external_guard(encoder, cache, linker, challenger, external_seeds)
            if external_seeds
            else None
        )
    finally:
        if cache is not None:
            cache.close()
    c = registry.client(settings)
    incumbent_version = registry.champion(c)
    table = TruthTable(ds, truth) if truth is not None else None
    fusion = _figures(ds, "fusion", None, table)
    methods = [fusion]
    new = _figures(ds, "challenger", challenger, table)
    methods.append(new)
    incumbent = fusion
    if incumbent_version is not None:
        try:
            champ = load_version(c, incumbent_version)
            incumbent = _figures(ds, registry.version_label(incumbent_version), champ, table)
            methods.append(incumbent)
        except Exception as error:  # a champion trained on other features: compare to fusion
            log.warning("champion could not be evaluated (%s); comparing with the fusion", error)
    decision = registry.gate(new.metrics, incumbent.metrics, incumbent.method, policy)
    if (
        guard is not None
        and guard.mean("reranker") < guard.mean("fusion") - policy.external_tolerance
    ):
        decision.accepted = False
        decision.reasons.append(
            f"recettes externes (dev) : nDCG@10 {guard.mean('reranker'):.4f} < fusion "
            f"{guard.mean('fusion'):.4f} - {policy.external_tolerance}"
        )
    gains = {
        k: round(new.metrics[k] / fusion.metrics[k] - 1, 4)
        for k in ("ndcg_at_10", "ndcg_exp_at_10", "ndcg_binary_at_10", "recall_at_10")
        if fusion.metrics.get(k)
    }
    tags = {
        "grading": "hidden_truth" if truth is not None else "logged",
        "encoder": encoder.version if encoder else "none",
        "gate": "accepted" if decision.accepted else "rejected",
        "gate_reason": "; ".join(decision.reasons) or "ok",
        "gate_incumbent": decision.incumbent,
    }
    with registry.tracked_run(settings, registry.EXPERIMENT, tags) as run:
        mlflow.log_params(
            {**{f"model.{k}": v for k, v in model.get_params().items()}, **ds.params()}
        )
        mlflow.log_params({f"gate.{k}": v for k, v in policy.model_dump().items()})
        for m in methods:
            prefix = "" if m is new else f"{m.method.replace('/', '_')}."
            mlflow.log_metrics({f"{prefix}{k}": v for k, v in m.metrics.items() if v == v})
            mlflow.log_metrics({f"{prefix}logged.{k}": v for k, v in m.logged.items() if v == v})
        mlflow.log_metrics({f"gain_over_fusion.{k}": v for k, v in gains.items()})
        if guard is not None:
            mlflow.log_metrics({f"external.fusion.{k}": v for k, v in guard.fusion.items()})
            mlflow.log_metrics({f"external.challenger.{k}": v for k, v in guard.reranker.items()})
        if extra is not None:
            mlflow.log_params(
                {"external_seeds": external_seeds, "external_pairs": len(extra.grades)}
            )
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            (out / "features.json").write_text(json.dumps(list(FEATURE_NAMES)), "utf-8")
            for path in [*_tables(methods, out), *_plots(methods, out), out / "features.json"]:
                mlflow.log_artifact(str(path))
        example = ds.held_out.features[:5] if len(ds.held_out) else ds.train.features[:5]
        info = mlflow.sklearn.log_model(
            model,
            name="reranker",
            signature=infer_signature(example, model.predict(example)),
            input_example=example,
            registered_model_name=registry.MODEL_NAME,
            skops_trusted_types=TRUSTED_TYPES,
        )
        version = c.get_model_version(registry.MODEL_NAME, str(info.registered_model_version))
        for key, value in {
            "gate": "accepted" if decision.accepted else "rejected",
            "gate_reason": "; ".join(decision.reasons) or "ok",
            "dataset_digest": ds.digest,
            registry.GATE_METRIC_TAG: str(new.metrics.get(policy.metric, 0.0)),
        }.items():
            c.set_model_version_tag(registry.MODEL_NAME, version.version, key, value)
        promoted = False
        if decision.accepted and auto_promote:
            registry.promote(c, version, f"gate passed against {decision.incumbent}")
            promoted = True
        report = TrainReport(
            run_id=run.info.run_id,
            version=registry.version_label(version),
            dataset=ds.params(),
            grading="hidden_truth" if truth is not None else "logged",
            methods=[m.model_copy(update={"method": _name(m, new, version)}) for m in methods],
            gate=decision,
            promoted=promoted,
            gain_over_fusion=gains,
        )
        mlflow.log_text(report.markdown(), "report.md")
    reports = settings.data_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    (reports / f"train-{stamp}.md").write_text(report.markdown(), encoding="utf-8")
    return report


def _name(m: MethodFigures, new: MethodFigures, version: Any) -> str:
    return registry.version_label(version) + " (challenger)" if m is new else m.method

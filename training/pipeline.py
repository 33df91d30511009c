"""One training run: dataset → re-ranker → evaluation beside the fusion and the champion →
fairness at every stage, label audit, proxy report → gate (:mod:`training.gate`) → MLflow run
with metrics, artifacts and the registered model → (audited promotion).
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

from matching.champion import FEATURES_ARTIFACT
from matching.engine import ad_coder
from matching.features import FEATURE_NAMES
from matching.ranker_model import TRUSTED_TYPES, OrdinalBoostingRanker
from matching.reranker import SklearnReranker
from training import registry
from training.assessment import MethodFigures, assess, prepare_dataset
from training.datasets import OutcomeData
from training.evaluation import Truth, TruthTable
from training.external import external_guard, external_pairs
from training.fairness import (
    RANKER_MEASURES,
    FairnessReport,
)
from training.gate import (
    VERDICT_LABELS,
    GateDecision,
    GatePolicy,
    Verdict,
)
from training.groups import ATTRIBUTES
from training.labels import TOP_STAGE
from training.promotion import promote_version
from training.proxies import ProxyReport
from training.suites.shortlists import EXTERNAL_SEEDS
from tremplin.settings import Settings

log = logging.getLogger(__name__)


GATE_ARTIFACT = "gate.json"


class TrainReport(BaseModel):
    """What a run did and found."""

    run_id: str
    version: str  # the registered version, e.g. tremplin-reranker/v3
    dataset: dict[str, Any]
    grading: str  # "hidden_truth" or "logged"
    labels_up_to: int
    methods: list[MethodFigures]
    gate: GateDecision
    labels: FairnessReport
    proxies: ProxyReport
    promoted: bool
    gain_over_fusion: dict[str, float]

    def markdown(self) -> str:
        """A short report for people (and the run's artifacts)."""
        return report_markdown(self)


def report_markdown(report: TrainReport) -> str:
    """The run's report in French (Markdown)."""
    keys = ("ndcg_at_10", "ndcg_exp_at_10", "ndcg_binary_at_10", "recall_at_10", "mrr")
    lines = [
        f"# Entraînement {report.version} (run {report.run_id})",
        "",
        f"Données : {report.dataset.get('dataset_digest')} — "
        f"{report.dataset.get('n_train_pairs')} paires d'entraînement, "
        f"{report.dataset.get('n_held_out_people')} personnes tenues à l'écart "
        f"(après {report.dataset.get('cutoff')}). Notation : {report.grading}. "
        f"Étiquettes jusqu'à l'étape {report.labels_up_to}.",
        "",
        "| méthode | " + " | ".join(keys) + " | coverage |",
        "|---" * (len(keys) + 2) + "|",
    ]
    for m in report.methods:
        cells = " | ".join(f"{m.metrics.get(k, 0):.4f}" for k in keys)
        lines.append(f"| {m.method} | {cells} | {m.metrics.get('coverage', 0):.3f} |")
    gains = ", ".join(f"{k} {v:+.1%}" for k, v in report.gain_over_fusion.items())
    lines += [
        "",
        f"Gain sur la fusion : {gains}.",
        "",
        f"## Porte (contre {report.gate.incumbent}) : {VERDICT_LABELS[report.gate.verdict]}",
        "",
        "| contrôle | verdict | détail |",
        "|---|---|---|",
    ]
    for check in report.gate.checks:
        lines.append(f"| {check.name} | {check.verdict.value} | {check.detail} |")
    lines += ["", "Fusion (non entraînée), planchers :", ""]
    lines += [f"- {c.name} : {c.verdict.value} — {c.detail}" for c in report.gate.fusion_checks]
    lines += ["", "## Variables indicatrices (proxies) les plus fortes", ""]
    lines += [
        f"- {r.feature} → {r.attribute} ({r.group}) : AUC {r.auc:.3f}"
        for r in report.proxies.top(3)
    ]
    lines += [
        f"- toutes les variables → {r.attribute} ({r.group}) : AUC {r.auc:.3f}"
        for r in report.proxies.top(3, classifier=True)
    ]
    lines += ["", f"Promu champion : {'oui' if report.promoted else 'non'}."]
    return "\n".join(lines) + "\n"


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
    fairness_png = out / "fairness_ratios.png"
    plot_ratios([m.fairness for m in methods], fairness_png)
    return [metrics_png, fairness_png]


def plot_ratios(reports: list[FairnessReport], path: Path) -> None:
    """Each measure's group-over-rest ratio per attribute, with intervals, one bar per
    report; the four-fifths line drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measures = [m for m in RANKER_MEASURES if reports and reports[0].measure(m)]
    fig, axes = plt.subplots(1, len(ATTRIBUTES), figsize=(14, 4), sharey=True)
    width = 0.8 / max(len(reports), 1)
    for ax, attribute in zip(axes, ATTRIBUTES, strict=True):
        for i, report in enumerate(reports):
            ratios = [report.measure(m).ratio(attribute) for m in measures]  # type: ignore[union-attr]
            values = [r.ratio.value if r and r.ratio else np.nan for r in ratios]
            low = [r.ratio.value - r.ratio.low if r and r.ratio else 0 for r in ratios]
            high = [r.ratio.high - r.ratio.value if r and r.ratio else 0 for r in ratios]
            ax.bar(
                np.arange(len(measures)) + i * width,
                values,
                width,
                yerr=[low, high],
                capsize=2,
                label=report.subject,
            )
        ax.axhline(0.8, color="grey", linestyle="--", linewidth=1)
        ax.set_xticks(np.arange(len(measures)) + 0.4 - width / 2, measures, rotation=30)
        ax.set_ylim(0, 1.2)
        ax.set_title(f"ratio groupe / reste — {attribute}")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _tables(
    methods: list[MethodFigures], labels: FairnessReport, proxies: ProxyReport, out: Path
) -> list[Path]:
    import pandas as pd

    evaluation = pd.DataFrame(
        [{"method": m.method, **m.metrics} for m in methods]
        + [{"method": f"{m.method} (logged)", **m.logged} for m in methods]
    )
    groups = pd.DataFrame(
        [row for m in [*(x.fairness for x in methods), labels] for row in m.rows()]
    )
    proxy_rows = pd.DataFrame([r.model_dump() for r in proxies.rows])
    paths = [out / "evaluation.csv", out / "fairness_groups.csv", out / "proxies.csv"]
    evaluation.to_csv(paths[0], index=False)
    groups.to_csv(paths[1], index=False)
    proxy_rows.to_csv(paths[2], index=False)
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
    labels_up_to: int = TOP_STAGE,
) -> TrainReport:
    """Fit, evaluate, log, register and gate a re-ranker on ``data`` — and on the external
    recipes' dev people (``external_seeds`` target métiers per recipe; 0: outcomes only).
    ``labels_up_to`` caps the grades learnt at a funnel stage (a stage whose labels show a
    group gap is then not learnt)."""
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    policy = policy or GatePolicy()
    if not 1 <= labels_up_to <= TOP_STAGE:
        raise ValueError(f"labels_up_to doit être entre 1 et {TOP_STAGE}")
    ds, encoder, cache, linker = prepare_dataset(settings, data, use_encoder)
    coder = ad_coder(settings, encoder) if settings.link_titles else None
    try:
        extra = (
            external_pairs(encoder, cache, linker, external_seeds, coder)
            if external_seeds
            else None
        )
        model = OrdinalBoostingRanker(**(params or {}))
        features, grades = ds.train.features, ds.train.grades
        if extra is not None and len(extra.grades):
            features = np.vstack([features, extra.features])
            grades = np.concatenate([grades, extra.grades])
        model.fit(features, np.minimum(grades, labels_up_to))
        challenger = SklearnReranker(model, "challenger")
        guard = (
            external_guard(encoder, cache, linker, challenger, external_seeds, coder)
            if external_seeds
            else None
        )
    finally:
        if cache is not None:
            cache.close()
    table = TruthTable(ds, truth) if truth is not None else None
    assessment = assess(settings, ds, challenger, table, policy, labels_up_to, guard)
    decision, fusion, new = assessment.decision, assessment.fusion, assessment.challenger
    c = registry.client(settings)
    gains = {
        k: round(new.metrics[k] / fusion.metrics[k] - 1, 4)
        for k in ("ndcg_at_10", "ndcg_exp_at_10", "ndcg_binary_at_10", "recall_at_10")
        if fusion.metrics.get(k)
    }
    grading = "hidden_truth" if truth is not None else "logged"
    gate_tags = {
        "gate": decision.verdict.value,
        "gate_reason": decision.summary()[:4000],
        "gate_incumbent": decision.incumbent,
    }
    tags = {"grading": grading, "encoder": encoder.version if encoder else "none", **gate_tags}
    with registry.tracked_run(settings, registry.EXPERIMENT, tags) as run:
        mlflow.log_params(
            {**{f"model.{k}": v for k, v in model.get_params().items()}, **ds.params()}
        )
        mlflow.log_params({f"gate.{k}": v for k, v in policy.model_dump().items()})
        mlflow.log_param("labels_up_to", labels_up_to)
        for m in assessment.methods:
            prefix = "" if m is new else f"{m.method.replace('/', '_')}."
            mlflow.log_metrics({f"{prefix}{k}": v for k, v in m.metrics.items() if v == v})
            mlflow.log_metrics({f"{prefix}logged.{k}": v for k, v in m.logged.items() if v == v})
        mlflow.log_metrics(
            {f"labels.{k}": v for k, v in assessment.labels.metrics().items() if v == v}
        )
        mlflow.log_metrics(assessment.proxies.metrics())
        mlflow.log_metrics({f"gain_over_fusion.{k}": v for k, v in gains.items()})
        mlflow.log_metrics(
            {
                f"gate.{v.value}": float(sum(c.verdict is v for c in decision.checks))
                for v in Verdict
            }
        )
        if guard is not None:
            mlflow.log_metrics({f"external.fusion.{k}": v for k, v in guard.fusion.items()})
            mlflow.log_metrics({f"external.challenger.{k}": v for k, v in guard.reranker.items()})
        if extra is not None:
            mlflow.log_params(
                {"external_seeds": external_seeds, "external_pairs": len(extra.grades)}
            )
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            (out / FEATURES_ARTIFACT).write_text(json.dumps(list(FEATURE_NAMES)), "utf-8")
            (out / GATE_ARTIFACT).write_text(decision.model_dump_json(indent=1), "utf-8")
            paths = [
                *_tables(assessment.methods, assessment.labels, assessment.proxies, out),
                *_plots(assessment.methods, out),
                out / FEATURES_ARTIFACT,
                out / GATE_ARTIFACT,
            ]
            for path in paths:
                mlflow.log_artifact(str(path))
        example = ds.held_out.features[:5] if len(ds.held_out) else ds.train.features[:5]
        info = mlflow.sklearn.log_model(
            model,
            name="reranker",
            signature=infer_signature(example, model.predict(example)),
            input_example=example,
            registered_model_name=registry.MODEL_NAME,
            skops_trusted_types=TRUSTED_TYPES,
            pip_requirements=registry.model_requirements(),
        )
        version = c.get_model_version(registry.MODEL_NAME, str(info.registered_model_version))
        for key, value in {
            **gate_tags,
            "grading": grading,
            "labels_up_to": str(labels_up_to),
            "dataset_digest": ds.digest,
            registry.GATE_METRIC_TAG: str(new.metrics.get(policy.metric, 0.0)),
        }.items():
            c.set_model_version_tag(registry.MODEL_NAME, version.version, key, value)
        promoted = False
        if decision.accepted and auto_promote:
            promote_version(settings, c, version, decision, actor="training")
            promoted = True
        report = TrainReport(
            run_id=run.info.run_id,
            version=registry.version_label(version),
            dataset=ds.params(),
            grading=grading,
            labels_up_to=labels_up_to,
            methods=[
                m.model_copy(update={"method": _name(m, new, version)}) for m in assessment.methods
            ],
            gate=decision,
            labels=assessment.labels,
            proxies=assessment.proxies,
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

"""``tremplin evaluate --suite external``: every external suite, every method, one run.

Title linking (MELO France, ESCO alternative labels, ROME appellations, Belgian titles, noisy
variants) and shortlists (five ROME recipes) are evaluated with the served encoder, the title
linker, the fitted fusion and the registry's champion re-ranker, beside TF-IDF, BM25 and the
encoder alone, on both sides of the one concept split. Reported figures are the test side's;
dev is shown because it is what was fitted on. The run is logged to MLflow (experiment
``tremplin-evaluation``): a metric per suite × split × method × measure, the table and the
Markdown report.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from matching.embedding_cache import EmbeddingCache
from matching.encoder import served_encoder
from matching.engine import ad_coder, cache_path, title_linker
from matching.linking import NO_MASK
from training.ad_coding import CodingReport, coded_out_of_fold, evaluate_ad_coding
from training.suites.evaluation_vectors import seed as seed_evaluation_vectors
from training.suites.linking_eval import TITLE_METHODS, evaluate_title_suite
from training.suites.metrics import METRICS, MethodRow
from training.suites.real_ads import real_ads_suites
from training.suites.shortlist_eval import SHORTLIST_METHODS, evaluate_shortlist_suite, suite_engine
from training.suites.shortlists import shortlist_suites, slice_targets
from training.suites.split import fold_of
from training.suites.titles import FOLDS, title_suites
from tremplin.settings import Settings
from tremplin.taxonomy import load_taxonomy

log = logging.getLogger(__name__)

EVALUATION_EXPERIMENT = "tremplin-evaluation"
Task = Literal["titles", "shortlists"]
ENGINE_METHODS = {"titles": ("engine",), "shortlists": ("fusion", "champion")}
BASELINES = {"titles": ("tfidf", "bm25", "dense"), "shortlists": ("tfidf", "bm25", "dense")}
HEADLINE = {"titles": "success_at_1", "shortlists": "ndcg_at_10"}
FULL_SEEDS = 60  # target métiers per shortlist recipe in a full run


class ExternalReport(BaseModel):
    """Everything one external evaluation measured."""

    date: dt.date
    encoder_version: str
    ranker: str
    size: str
    titles: list[MethodRow]
    shortlists: list[MethodRow]
    ad_coding: CodingReport | None = None
    run_id: str | None = None

    def rows(self, task: Task) -> list[MethodRow]:
        """The rows of one task."""
        return self.titles if task == "titles" else self.shortlists

    def best_baseline(self, task: Task, suite: str, split: str) -> MethodRow:
        """The strongest baseline on a suite and split, by the task's headline metric."""
        metric = HEADLINE[task]
        rows = [
            r
            for r in self.rows(task)
            if r.suite == suite and r.split == split and r.method in BASELINES[task]
        ]
        return max(rows, key=lambda r: r.value(metric))

    def shortfalls(self, split: str = "test") -> list[str]:
        """Where an engine method is below a baseline (headline metric): empty when it wins
        everywhere."""
        out = []
        tasks: tuple[Task, ...] = ("titles", "shortlists")
        for task in tasks:
            metric = HEADLINE[task]
            for row in self.rows(task):
                if row.split != split or row.method not in ENGINE_METHODS[task]:
                    continue
                base = self.best_baseline(task, row.suite, split)
                if row.value(metric) < base.value(metric):
                    out.append(
                        f"{row.suite}/{row.method}: {metric} {row.value(metric):.3f} < "
                        f"{base.method} {base.value(metric):.3f}"
                    )
        return out

    def markdown(self) -> str:
        """The report as Markdown tables (one per task and split)."""
        lines = [
            f"# Évaluation externe ({self.date}, encodeur {self.encoder_version}, "
            f"re-classeur {self.ranker}, {self.size})",
            "",
            "Données : ROME 4.0, ESCO, correspondance officielle ROME→ESCO et jeu MELO France ; "
            "619 vraies annonces France Travail (jeux « ads-* », tous dev : le codeur "
            "d'annonces y a été ajusté, plis par métier) ; aucune donnée de l'échantillon. "
            "Séparation dev/test par concept ; intervalle bootstrap à 95 % pour les chiffres "
            "test et les annonces réelles.",
        ]
        tasks: tuple[tuple[Task, str, tuple[str, ...]], ...] = (
            ("titles", "Liaison d'intitulés", TITLE_METHODS),
            ("shortlists", "Shortlists", SHORTLIST_METHODS),
        )
        for task, title, methods in tasks:
            for split in ("test", "dev"):
                lines += ["", f"## {title} — {split}", ""]
                lines.append("| jeu | méthode | n | " + " | ".join(METRICS) + " |")
                lines.append("|---|---|---|" + "---|" * len(METRICS))
                rows = [r for r in self.rows(task) if r.split == split]
                for r in sorted(rows, key=lambda r: (r.suite, methods.index(r.method))):
                    cells = [
                        str(r.metrics[m])
                        if split == "test" or r.suite.startswith("ads-")
                        else f"{r.metrics[m].value:.3f}"
                        for m in METRICS
                    ]
                    lines.append(
                        f"| {r.suite} | {r.method} | {r.queries} | " + " | ".join(cells) + " |"
                    )
        if self.ad_coding is not None:
            lines += [
                "",
                f"## Codage des annonces — dev ({self.ad_coding.metiers} métiers, "
                f"{self.ad_coding.folds} plis par métier)",
                "",
                self.ad_coding.markdown(),
            ]
        gaps = self.shortfalls()
        lines += [
            "",
            "Le moteur bat chaque base sur chaque jeu (test)."
            if not gaps
            else "Écarts : " + "; ".join(gaps),
        ]
        return "\n".join(lines) + "\n"


def run_external(
    settings: Settings,
    size: int | None = None,
    with_champion: bool = True,
    progress: bool = False,
    log_to_mlflow: bool = True,
    dev_folds: frozenset[int] | None = None,
    with_real_ads: bool = True,
) -> ExternalReport:
    """Every external suite with the served engine; ``size`` caps each title suite and sets the
    shortlist recipes' target métiers (None: the full suites); ``dev_folds`` keeps only those
    folds' cases on the dev side (the encoder gate reads the folds nothing learnt from)."""
    tax = load_taxonomy()
    encoder = served_encoder(settings)
    linker = title_linker(settings, encoder)
    reranker = None
    if with_champion:
        from matching.champion import ChampionRefusedError, load_champion

        try:
            reranker = load_champion(settings)
        except ChampionRefusedError as exc:  # measured as served: without it
            log.warning("champion not evaluated: %s", exc)
    titles: list[MethodRow] = []

    def kept(split: str, concept: str) -> bool:
        return dev_folds is None or split == "test" or fold_of(concept, FOLDS) in dev_folds

    for name, cases in title_suites(tax, size).items():
        cases = [c for c in cases if kept(c.split, min(c.gold))]
        titles += evaluate_title_suite(linker.linkers, name, cases, progress)
    cache = EmbeddingCache(cache_path(settings))
    seed_evaluation_vectors(cache, encoder.version)  # the slice's fixed texts, shipped
    shortlists: list[MethodRow] = []
    coding: CodingReport | None = None
    served_coder = ad_coder(settings, encoder) if settings.link_titles else None
    try:
        seeds = FULL_SEEDS if size is None else slice_targets(size)
        for suite in shortlist_suites(tax, seeds=seeds).values():
            suite.profiles = [
                p for p in suite.profiles if kept(suite.split[p.id], suite.target[p.id])
            ]
            engine = suite_engine(suite, tax, encoder, cache, linker, served_coder)
            shortlists += evaluate_shortlist_suite(engine, encoder, reranker, progress=progress)
        if with_real_ads:
            coder = coded_out_of_fold(ad_coder(settings, encoder))  # each ad: its fold's model
            limit = None if size is None else slice_targets(size)
            for suite in real_ads_suites(tax, limit=limit).values():
                engine = suite_engine(suite, tax, encoder, cache, linker, coder, NO_MASK)
                shortlists += evaluate_shortlist_suite(engine, encoder, reranker, progress=progress)
            coding = evaluate_ad_coding(coder)[0]
    finally:
        cache.close()
    report = ExternalReport(
        date=dt.datetime.now(dt.UTC).date(),  # when the run was made (a timestamp)
        encoder_version=encoder.version,
        ranker=reranker.version if reranker is not None else "fusion",
        size="complet" if size is None else f"tranche de {size}",
        titles=titles,
        shortlists=shortlists,
        ad_coding=coding,
    )
    if log_to_mlflow:
        report.run_id = log_report(settings, report)
    return report


def log_report(settings: Settings, report: ExternalReport) -> str:
    """Log a report to MLflow; returns the run id."""
    import mlflow
    import pandas as pd

    from training.registry import tracked_run

    tags = {
        "encoder_version": report.encoder_version,
        "ranker": report.ranker,
        "suite": "external",
    }
    with tracked_run(settings, EVALUATION_EXPERIMENT, tags) as run:
        mlflow.log_params({"size": report.size})
        metrics = {}
        table = []
        for row in [*report.titles, *report.shortlists]:
            for m, fig in row.metrics.items():
                metrics[f"{row.suite}.{row.split}.{row.method}.{m}"] = fig.value
                table.append(
                    {
                        "suite": row.suite,
                        "split": row.split,
                        "method": row.method,
                        "metric": m,
                        "queries": row.queries,
                        **fig.model_dump(),
                    }
                )
        mlflow.log_metrics(metrics)
        mlflow.log_table(pd.DataFrame(table), "external_evaluation.json")
        mlflow.log_text(report.markdown(), "external_evaluation.md")
    return str(run.info.run_id)


def write_report(report: ExternalReport, out: Path) -> None:
    """Write the report as JSON and Markdown under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "external.json").write_text(
        json.dumps(report.model_dump(mode="json"), indent=2), encoding="utf-8"
    )
    (out / "external.md").write_text(report.markdown(), encoding="utf-8")

"""A candidate re-ranker assessed as the gate sees it: the dataset of today's outcomes
(:func:`prepare_dataset`), held-out quality beside the fusion and the champion, fairness at
every stage, the label audit, the external suites, and the gate's decision (:func:`assess`).
Both a training run (:mod:`training.pipeline`) and a promotion's recheck
(:mod:`training.promotion`) assess through here."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import BaseModel

from matching.champion import load_version
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder, served_encoder
from matching.engine import ad_coder, cache_path, title_linker
from matching.occupations import OccupationLinker
from matching.reranker import Reranker
from training import registry
from training.datasets import Dataset, OutcomeData, build_dataset, require_enough_people
from training.evaluation import Evaluation, TruthTable, evaluate_logged, evaluate_truth
from training.external import ExternalGuard
from training.fairness import (
    FairnessContext,
    FairnessReport,
    FairnessSamples,
    label_audit,
)
from training.gate import (
    FLOOR_MEASURES,
    Check,
    GateDecision,
    GatePolicy,
    Verdict,
    floor_checks,
    gap_checks,
    label_checks,
    overall,
    quality_check,
)
from training.labels import TOP_STAGE
from training.proxies import ProxyReport, proxy_report
from tremplin.settings import Settings

log = logging.getLogger(__name__)


class MethodFigures(BaseModel):
    """One ranker's held-out figures (primary grading) and fairness."""

    method: str
    metrics: dict[str, float]
    logged: dict[str, float]
    fairness: FairnessReport


@dataclass
class Assessment:
    """A challenger measured beside the fusion and the champion, and the gate's decision."""

    methods: list[MethodFigures]
    decision: GateDecision
    labels: FairnessReport
    proxies: ProxyReport

    @property
    def challenger(self) -> MethodFigures:
        """The challenger's figures (second: the fusion comes first)."""
        return self.methods[1]

    @property
    def fusion(self) -> MethodFigures:
        """The untrained fusion's figures."""
        return self.methods[0]


PER_PERSON = {
    "ndcg_at_10": "ndcg",
    "ndcg_exp_at_10": "ndcg_exp",
    "ndcg_binary_at_10": "ndcg_binary",
    "recall_at_10": "recall",
    "mrr": "reciprocal_rank",
}


def _per_person(evaluation: Evaluation, metric: str) -> dict[int, float]:
    field = PER_PERSON.get(metric)
    if field is None:
        raise ValueError(
            f"métrique de porte inconnue : {metric} (choisir parmi {', '.join(PER_PERSON)})"
        )
    values = {p.person: float(getattr(p, field)) for p in evaluation.people}
    return {p: v for p, v in values.items() if v == v}


def assess(
    settings: Settings,
    ds: Dataset,
    challenger: Reranker,
    truth: TruthTable | None,
    policy: GatePolicy,
    labels_up_to: int = TOP_STAGE,
    guard: ExternalGuard | None = None,
    name: str = "challenger",
) -> Assessment:
    """Measure ``challenger``, the fusion and the current champion on the held-out people,
    audit the training labels, and run every check of the gate."""
    context = FairnessContext(ds, truth, policy.min_group)

    def measure(
        label: str, ranker: Reranker | None
    ) -> tuple[MethodFigures, FairnessSamples, Evaluation]:
        logged = evaluate_logged(ds, ranker)
        primary = evaluate_truth(ds, ranker, truth) if truth is not None else logged
        samples = context.ranker(label, ranker, primary)
        fairness = samples.report()
        figures = MethodFigures(
            method=label,
            metrics={**primary.metrics(), **fairness.metrics()},
            logged=logged.metrics(),
            fairness=fairness,
        )
        return figures, samples, primary

    fusion, fusion_samples, fusion_eval = measure("fusion", None)
    new, new_samples, new_eval = measure(name, challenger)
    methods = [fusion, new]
    checks: list[Check] = []
    c = registry.client(settings)
    current = registry.champion(c)
    incumbent, incumbent_eval = "fusion", fusion_eval
    champion_samples: FairnessSamples | None = None
    if current is not None:
        label = registry.version_label(current)
        try:
            figures, champion_samples, incumbent_eval = measure(label, load_version(c, current))
            methods.append(figures)
            incumbent = label
        except Exception as error:  # nothing can be said against a champion not measured
            log.warning("champion %s could not be evaluated: %s", label, error)
            checks.append(
                Check(
                    name="champion",
                    kind="champion",
                    verdict=Verdict.NOT_MEASURABLE,
                    reference=label,
                    detail=f"le champion {label} n'a pas pu être évalué sur les mêmes personnes "
                    f"({type(error).__name__}: {str(error)[:200]}) : rien ne dit que le nouveau "
                    "fait mieux ; retirez-le (tremplin rollback) ou forcez la promotion (auditée)",
                )
            )
    checks.append(
        quality_check(
            _per_person(new_eval, policy.metric),
            _per_person(incumbent_eval, policy.metric),
            incumbent,
            policy,
        )
    )
    checks += floor_checks(new_samples, FLOOR_MEASURES, policy)
    references = 1 + (champion_samples is not None)
    checks += gap_checks(new_samples, fusion_samples, policy, references)
    if champion_samples is not None:
        checks += gap_checks(new_samples, champion_samples, policy, references)
    labels = label_audit(ds, policy.min_group)
    checks += label_checks(labels, labels_up_to, policy)
    if guard is not None:
        checks.append(external_check(guard, policy))
    decision = GateDecision(
        verdict=overall(checks),
        checks=checks,
        incumbent=incumbent,
        fusion_checks=floor_checks(fusion_samples, FLOOR_MEASURES, policy),
    )
    return Assessment(methods, decision, labels.report(), proxy_report(ds, policy.min_group))


def external_check(guard: ExternalGuard, policy: GatePolicy) -> Check:
    """The external recipes' guard people: not ranked worse than by the fusion."""
    mine, theirs = guard.mean("reranker"), guard.mean("fusion")
    ok = mine >= theirs - policy.external_tolerance
    return Check(
        name="external.ndcg_at_10",
        kind="external",
        verdict=Verdict.PASS if ok else Verdict.FAIL,
        reference="fusion",
        threshold=round(theirs - policy.external_tolerance, 4),
        detail=f"recettes externes (dev) : nDCG@10 {mine:.4f} "
        f"{'≥' if ok else '<'} fusion {theirs:.4f} - {policy.external_tolerance}",
    )


def prepare_dataset(
    settings: Settings, data: OutcomeData, use_encoder: bool = True
) -> tuple[Dataset, Encoder | None, EmbeddingCache | None, OccupationLinker | None]:
    """The split dataset with the served encoder's features (the cache is the caller's to
    close)."""
    require_enough_people(data)  # before loading the encoder and building the linker
    encoder = served_encoder(settings) if use_encoder else None
    linker = title_linker(settings, encoder) if settings.link_titles else None
    coder = ad_coder(settings, encoder) if settings.link_titles else None
    cache = EmbeddingCache(cache_path(settings)) if use_encoder else None
    try:
        ds = build_dataset(data, encoder, cache, linker=linker, coder=coder)
        return ds, encoder, cache, linker
    except Exception:
        if cache is not None:
            cache.close()
        raise

"""The promotion gate: checks with three verdicts — pass, fail, not measurable.

"Not measurable" blocks an automatic promotion exactly like a fail; only a forced promotion
(audited, with its reason) goes past either. The checks (``docs/fairness.md`` says why each):

* ``quality`` — the held-out metric beats the incumbent's by the margin (not measurable with
  fewer than ``min_people`` held-out people); the paired bootstrap interval of the difference
  is reported;
* ``floor`` — the challenger's exposure, recall and candidate-rank ratios reach the floor
  (four fifths) with confidence: pass when the interval's low end is over it, fail when its
  high end is under it, not measurable in between;
* ``gap`` — on every measure, the challenger does not widen a group gap beyond the tolerance
  against the untrained fusion and against the champion: for the group whose group-over-rest
  ratio fell most (same people, same resamples), fail when it fell by more than
  ``tolerance`` and the fall's upper bound stays under 0 (evidence of harm; the bound is the
  normal bound at 5% Bonferroni-corrected over the run's gap checks, from the bootstrap
  standard error: 36 checks at 5% each would fail an unchanged model more often than not), not
  measurable when that interval is wider than ``max_interval`` (the check could not have seen
  a harm several tolerances wide), pass otherwise;
* ``labels`` — the training labels of every funnel stage the model learnt from show no group
  gap below the floor among comparable opportunities (same rule as ``floor``): a model learns
  what its labels teach, even when held-out figures are too few to show it yet;
* ``champion`` — the current champion could be evaluated on the same people (else nothing can
  be said about the comparison);
* ``external`` — the external recipes' guard people are not ranked worse than by the fusion.
"""

from __future__ import annotations

from enum import StrEnum
from statistics import NormalDist
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from training.bootstrap import Interval, difference, resample_weights
from training.fairness import (
    LABEL_STAGES,
    MEASURE_LABELS,
    RANKER_MEASURES,
    FairnessSamples,
)
from training.groups import ATTRIBUTE_LABELS, ATTRIBUTES, MIN_GROUP, group_label

FLOOR_MEASURES = ("exposure", "recall", "candidate")
ALPHA = 0.05


class Verdict(StrEnum):
    """A check's or a gate's outcome."""

    PASS = "pass"
    FAIL = "fail"
    NOT_MEASURABLE = "not_measurable"


VERDICT_LABELS = {
    Verdict.PASS: "franchie",
    Verdict.FAIL: "refusée",
    Verdict.NOT_MEASURABLE: "non mesurable",
}


class GatePolicy(BaseModel):
    """When a challenger may replace the champion."""

    metric: str = Field(default="ndcg_at_10", description="Held-out metric the gate compares.")
    margin: float = Field(
        default=0.01, ge=0, description="Relative gain over the incumbent required (0.01 = 1%)."
    )
    fairness_floor: float = Field(
        default=0.8, ge=0, le=1, description="Lowest group-over-rest ratio accepted."
    )
    fairness_tolerance: float = Field(
        default=0.05,
        ge=0,
        description="How far a ratio may fall below the fusion's or the champion's.",
    )
    external_tolerance: float = Field(
        default=0.01,
        ge=0,
        description="How far below the fusion a re-ranker may rank the external recipes' "
        "guard people (nDCG@10, mean over recipes).",
    )
    max_interval: float = Field(
        default=0.3,
        gt=0,
        description="Widest interval of a ratio's fall that still counts as a measurement "
        "(wider: the check could not see a gap widened by several tolerances).",
    )
    min_group: int = Field(default=MIN_GROUP, ge=2, description="Smallest group compared.")
    min_people: int = Field(
        default=60, ge=1, description="Fewest held-out people for the quality check."
    )


class Check(BaseModel):
    """One check of the gate."""

    name: str
    kind: str  # quality, floor, gap, labels, champion, external
    verdict: Verdict
    detail: str  # a French sentence with the figures
    measure: str | None = None
    attribute: str | None = None
    reference: str | None = None
    value: Interval | None = None
    reference_value: Interval | None = None
    difference: Interval | None = None
    threshold: float | None = None


class GateDecision(BaseModel):
    """The gate's verdict, every check, and the fusion's own floor checks."""

    verdict: Verdict
    checks: list[Check]
    incumbent: str  # "fusion" or the champion's version
    fusion_checks: list[Check] = Field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """Whether an automatic promotion may follow."""
        return self.verdict is Verdict.PASS

    @property
    def reasons(self) -> list[str]:
        """The sentences of the checks that did not pass."""
        return [c.detail for c in self.checks if c.verdict is not Verdict.PASS]

    def summary(self) -> str:
        """One line: the verdict and the first reasons."""
        head = VERDICT_LABELS[self.verdict]
        reasons = self.reasons
        if not reasons:
            return head
        more = f" (+{len(reasons) - 3})" if len(reasons) > 3 else ""
        return f"{head} : " + " ; ".join(reasons[:3]) + more


def overall(checks: list[Check]) -> Verdict:
    """Fail if any check fails, else not measurable if any is, else pass."""
    verdicts = {c.verdict for c in checks}
    if Verdict.FAIL in verdicts:
        return Verdict.FAIL
    if Verdict.NOT_MEASURABLE in verdicts or not checks:
        return Verdict.NOT_MEASURABLE
    return Verdict.PASS


def quality_check(
    challenger: dict[int, float],
    incumbent: dict[int, float],
    incumbent_name: str,
    policy: GatePolicy,
) -> Check:
    """The held-out metric per person (``challenger``, ``incumbent``) against the margin."""
    people = sorted(set(challenger) & set(incumbent))
    name = f"quality.{policy.metric}"
    if len(people) < policy.min_people:
        return Check(
            name=name,
            kind="quality",
            verdict=Verdict.NOT_MEASURABLE,
            reference=incumbent_name,
            detail=f"{policy.metric} : {len(people)} personne(s) tenue(s) à l'écart, il en faut "
            f"{policy.min_people} pour comparer",
        )
    a = np.asarray([challenger[p] for p in people])
    b = np.asarray([incumbent[p] for p in people])
    w = resample_weights(len(people))
    draws_a, draws_b = (w @ a) / len(people), (w @ b) / len(people)
    old_mean = float(b.mean())
    diff = difference(draws_a, draws_b, float(a.mean()), old_mean)
    new = _interval_of(draws_a, float(a.mean()))
    old = _interval_of(draws_b, old_mean)
    needed = old_mean * (1 + policy.margin)
    ok = new.value >= needed
    return Check(
        name=name,
        kind="quality",
        verdict=Verdict.PASS if ok else Verdict.FAIL,
        reference=incumbent_name,
        value=new,
        reference_value=old,
        difference=diff,
        threshold=round(needed, 4),
        detail=f"{policy.metric} {new.text()} {'≥' if ok else '<'} {needed:.4f} "
        f"({incumbent_name} {old_mean:.4f} + marge {policy.margin:.0%})",
    )


def _interval_of(draws: np.ndarray, point: float) -> Interval:
    low, high = np.percentile(draws, [2.5, 97.5])
    return Interval(value=round(point, 4), low=round(float(low), 4), high=round(float(high), 4))


def _floor_verdict(ratio: Interval, floor: float) -> Verdict:
    if ratio.low >= floor:
        return Verdict.PASS
    if ratio.high < floor:
        return Verdict.FAIL
    return Verdict.NOT_MEASURABLE


def floor_checks(
    subject: FairnessSamples, measures: tuple[str, ...], policy: GatePolicy, kind: str = "floor"
) -> list[Check]:
    """Each ratio of ``measures`` against the floor, with confidence."""
    checks = []
    for measure in measures:
        for attribute in ATTRIBUTES:
            samples = subject.samples.get((measure, attribute))
            name = f"{kind}.{measure}.{attribute}"
            label = f"{MEASURE_LABELS[measure]} par {ATTRIBUTE_LABELS[attribute]}"
            if samples is None or samples.report.ratio is None:
                why = samples.report.why_not if samples is not None else "non calculé"
                checks.append(
                    Check(
                        name=name,
                        kind=kind,
                        verdict=Verdict.NOT_MEASURABLE,
                        measure=measure,
                        attribute=attribute,
                        threshold=policy.fairness_floor,
                        detail=f"{label} : non mesurable ({why})",
                    )
                )
                continue
            ratio = samples.report.ratio
            verdict = _floor_verdict(ratio, policy.fairness_floor)
            checks.append(
                Check(
                    name=name,
                    kind=kind,
                    verdict=verdict,
                    measure=measure,
                    attribute=attribute,
                    value=ratio,
                    threshold=policy.fairness_floor,
                    detail=f"{label} : ratio {ratio.text()} (groupe le moins servi : {group_label(samples.report.worst)}) "
                    + {
                        Verdict.PASS: "au-dessus du",
                        Verdict.FAIL: "sous le",
                        Verdict.NOT_MEASURABLE: "ne peut être situé par rapport au",
                    }[verdict]
                    + f" plancher {policy.fairness_floor:.2f}",
                )
            )
    return checks


def gap_checks(
    challenger: FairnessSamples,
    reference: FairnessSamples,
    policy: GatePolicy,
    references: int = 1,
) -> list[Check]:
    """Every measure's ratio against ``reference``'s on the same resamples; ``references``:
    how many references the run compares with (the family of its gap checks)."""
    checks = []
    tol = policy.fairness_tolerance
    family = len(RANKER_MEASURES) * len(ATTRIBUTES) * max(references, 1)
    z = NormalDist().inv_cdf(1 - ALPHA / (2 * family))  # Bonferroni over the run's gap checks
    for measure in RANKER_MEASURES:
        for attribute in ATTRIBUTES:
            name = f"gap.{measure}.{attribute}.{reference.subject}"
            label = (
                f"{MEASURE_LABELS[measure]} par {ATTRIBUTE_LABELS[attribute]} "
                f"contre {reference.subject}"
            )
            mine = challenger.samples.get((measure, attribute))
            theirs = reference.samples.get((measure, attribute))
            widened = challenger.compare(reference, measure, attribute)
            common: dict[str, Any] = dict(
                name=name,
                kind="gap",
                measure=measure,
                attribute=attribute,
                reference=reference.subject,
                threshold=-tol,
            )
            if widened is None or mine is None or theirs is None:
                why = next(
                    (
                        s.report.why_not
                        for s in (mine, theirs)
                        if s is not None and s.report.why_not
                    ),
                    "non calculé",
                )
                checks.append(
                    Check(
                        **common,
                        verdict=Verdict.NOT_MEASURABLE,
                        detail=f"{label} : non mesurable ({why})",
                    )
                )
                continue
            group, diff, se = widened
            bound = diff.value + z * se  # the fall's upper bound, corrected for the family
            if diff.high - diff.low > policy.max_interval or se != se:
                verdict = Verdict.NOT_MEASURABLE
            elif diff.value < -tol and bound < 0:
                verdict = Verdict.FAIL
            else:
                verdict = Verdict.PASS
            words = {
                Verdict.PASS: "pas d'écart creusé au-delà de la tolérance",
                Verdict.FAIL: "écart creusé au-delà de la tolérance",
                Verdict.NOT_MEASURABLE: f"intervalle plus large que {policy.max_interval} : "
                "la mesure ne verrait pas un écart creusé",
            }[verdict]
            checks.append(
                Check(
                    **common,
                    verdict=verdict,
                    value=mine.report.ratio,
                    reference_value=theirs.report.ratio,
                    difference=diff,
                    detail=f"{label} : {words} (ratio {mine.report.ratio.text()} contre "  # type: ignore[union-attr]
                    f"{theirs.report.ratio.text()} ; groupe {group} : différence "  # type: ignore[union-attr]
                    f"{diff.text()}, borne corrigée {bound:+.3f}, tolérance {tol})",
                )
            )
    return checks


def label_checks(audit: FairnessSamples, used_up_to: int, policy: GatePolicy) -> list[Check]:
    """The training labels' stage rates against the floor, for the stages the model learnt."""
    used = tuple(s for s, (reached, _) in LABEL_STAGES.items() if reached <= used_up_to)
    checks = floor_checks(audit, used, policy, kind="labels")
    for stage, (reached, _) in LABEL_STAGES.items():
        if reached > used_up_to:
            checks.append(
                Check(
                    name=f"labels.{stage}",
                    kind="labels",
                    verdict=Verdict.PASS,
                    measure=stage,
                    detail=f"{MEASURE_LABELS[stage]} : étape non apprise (étiquettes "
                    "plafonnées avant elle)",
                )
            )
    for c in checks:
        if c.verdict is not Verdict.PASS:
            c.detail += (
                " — les étiquettes de cette étape enseigneraient l'écart : ré-entraînez avec "
                "--labels-up-to sur une étape antérieure, ou corrigez les données"
            )
    return checks

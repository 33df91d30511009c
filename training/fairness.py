"""Fairness figures at each stage where harm can occur, by monitoring group, with intervals.

Per ranker (the untrained fusion, the champion, the challenger), on the held-out people:

* ``exposure`` — shortlists: the position-weighted share of the top-10 slots that hold a
  suitable opportunity, over the best share the person's suitable opportunities allow;
* ``recall`` — shortlists: the share of the person's suitable opportunities in the top 10;
* ``candidate`` — the other side, where people are ranked for an offer (the employers' pool,
  the job-day planner): where the ranker's score places each suitable (person, opportunity)
  pair among every candidate pair, as a percentile (1 = above every other), per person;
* ``shown_proposal``, ``shown_interview``, ``shown_hire`` — outcomes: of the opportunities the
  ranker puts first among those each person was actually shown (top 10, position-weighted),
  the share that led to a proposal, an interview, a hire.

And on the training labels themselves (Art. 10 of the AI Act: examine the data for bias), the
rates of ``proposal`` (given shown), ``interview`` (given applied) and ``hire`` (given
interview) per group **among comparable opportunities**: pairs that pass the person's hard
constraints, standardised over five strata of the fusion's score, so a group is not judged
worse for being shown harder offers.

"Suitable" is the hidden suitability with ``--hidden-truth`` (sample data), else a logged
application or better (a stage before the employer's decisions, where the employers' biases
act). Each figure gets per-group rates and the lowest group-over-rest ratio, with bootstrap
intervals over people (:mod:`training.bootstrap`); groups are pooled by the rule of
:mod:`training.groups`. The monitoring attributes are read from their own table, only here:
the ranker never sees them (see ``docs/fairness.md``).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from pydantic import BaseModel

from data_contracts.enums import OpportunityKind
from matching.filters import apply_filters
from matching.fusion import FusionWeights
from matching.reranker import Reranker
from matching.shortlist import fusion_parts
from training.bootstrap import (
    AttributeRatio,
    Interval,
    PersonCounts,
    RatioSamples,
    attribute_ratio,
    resample_weights,
)
from training.datasets import Dataset
from training.evaluation import Evaluation, TruthTable, held_out_scores, pair_scores
from training.groups import ATTRIBUTES, MIN_GROUP
from training.labels import GOOD_STAGE
from training.metrics import discounts
from training.suites.sample import RELEVANT

RANKER_MEASURES = (
    "exposure",
    "recall",
    "candidate",
    "shown_proposal",
    "shown_interview",
    "shown_hire",
)
LABEL_STAGES: dict[str, tuple[int, int]] = {  # stage: (reached grade, given grade)
    "proposal": (1, 0),
    "interview": (3, 2),
    "hire": (4, 3),
}
SHOWN_STAGES = {"shown_proposal": 1, "shown_interview": 3, "shown_hire": 4}
SHOWN_TOP = 10
STRATA = 5
MEASURE_LABELS = {
    "exposure": "exposition dans les shortlists",
    "recall": "rappel des offres adaptées",
    "candidate": "rang parmi les candidats",
    "shown_proposal": "propositions parmi ce qui est montré",
    "shown_interview": "entretiens parmi ce qui est montré",
    "shown_hire": "embauches parmi ce qui est montré",
    "proposal": "taux de proposition (données)",
    "interview": "taux d'entretien (données)",
    "hire": "taux d'embauche (données)",
}


class MeasureReport(BaseModel):
    """One figure's groups and ratios, per attribute."""

    measure: str
    attributes: list[AttributeRatio]

    def ratio(self, attribute: str) -> AttributeRatio | None:
        """The ratio of ``attribute`` (None if it was not computed)."""
        return next((a for a in self.attributes if a.attribute == attribute), None)


class FairnessReport(BaseModel):
    """One ranker's (or the labels') figures per measure."""

    subject: str  # "fusion", a version label, "challenger" or "labels"
    measures: list[MeasureReport]

    def measure(self, name: str) -> MeasureReport | None:
        """The figures of measure ``name``."""
        return next((m for m in self.measures if m.measure == name), None)

    @property
    def exposure_ratio_min(self) -> float:
        """The lowest measurable exposure ratio (NaN when none is measurable)."""
        m = self.measure("exposure")
        values = [a.ratio.value for a in m.attributes if a.ratio] if m else []
        return min(values) if values else float("nan")

    def metrics(self) -> dict[str, float]:
        """Flat figures for the experiment log (ratio, low, high per measure and attribute)."""
        out: dict[str, float] = {}
        for m in self.measures:
            for a in m.attributes:
                if a.ratio is not None:
                    key = f"fairness.{m.measure}.{a.attribute}"
                    out[key] = a.ratio.value
                    out[f"{key}.low"] = a.ratio.low
                    out[f"{key}.high"] = a.ratio.high
        return out

    def rows(self) -> list[dict[str, object]]:
        """One row per (measure, attribute, group), for the run's CSV and the notebook."""
        return [
            {
                "subject": self.subject,
                "measure": m.measure,
                "attribute": a.attribute,
                "group": g.group,
                "people": g.people,
                "rate": g.rate.value,
                "rate_low": g.rate.low,
                "rate_high": g.rate.high,
                "ratio": a.ratio.value if a.ratio else None,
                "ratio_low": a.ratio.low if a.ratio else None,
                "ratio_high": a.ratio.high if a.ratio else None,
                "worst": a.worst,
            }
            for m in self.measures
            for a in m.attributes
            for g in a.groups
        ]


class FairnessSamples:
    """A report with its bootstrap draws, so that rankers can be compared on the same
    resamples."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self.samples: dict[tuple[str, str], RatioSamples] = {}

    def add(self, measure: str, samples: RatioSamples) -> None:
        """Record one attribute's ratio of ``measure``."""
        self.samples[(measure, samples.report.attribute)] = samples

    def report(self) -> FairnessReport:
        """The figures without the draws."""
        by_measure: dict[str, list[AttributeRatio]] = defaultdict(list)
        for (measure, _), s in self.samples.items():
            by_measure[measure].append(s.report)
        return FairnessReport(
            subject=self.subject,
            measures=[MeasureReport(measure=m, attributes=a) for m, a in by_measure.items()],
        )

    def compare(
        self, other: FairnessSamples, measure: str, attribute: str
    ) -> tuple[str, Interval, float] | None:
        """The group whose ratio fell most against ``other``'s (same resamples), this ratio
        minus ``other``'s for it, and its standard error; None when either is not
        measurable."""
        a, b = self.samples.get((measure, attribute)), other.samples.get((measure, attribute))
        if a is None or b is None:
            return None
        return a.widening(b)


class FairnessContext:
    """What every ranker's figures share: the people, their groups, the resamples."""

    def __init__(self, ds: Dataset, truth: TruthTable | None, min_group: int = MIN_GROUP) -> None:
        self.ds = ds
        self.truth = truth
        self.min_group = min_group
        self.people = np.asarray(sorted(set(ds.held_out_people)), dtype=np.int64)
        self.weights = resample_weights(len(self.people))
        self.groups = ds.data.groups

    def _ratios(self, out: FairnessSamples, measure: str, counts: PersonCounts) -> None:
        counts = counts.restricted(self.people)
        for attribute in ATTRIBUTES:
            values = {int(p): self.groups.get(int(p), {}).get(attribute, "?") for p in self.people}
            out.add(
                measure,
                attribute_ratio(counts, attribute, values, self.weights, self.min_group),
            )

    def ranker(self, name: str, ranker: Reranker | None, evaluation: Evaluation) -> FairnessSamples:
        """The ranker's figures on every measure (``evaluation``: its primary grading)."""
        out = FairnessSamples(name)
        self._ratios(
            out,
            "exposure",
            PersonCounts.of_means({r.person: r.exposure for r in evaluation.people}),
        )
        self._ratios(
            out, "recall", PersonCounts.of_means({r.person: r.recall for r in evaluation.people})
        )
        self._ratios(out, "candidate", self._candidate(ranker))
        scores = held_out_scores(self.ds, ranker)
        for measure, stage in SHOWN_STAGES.items():
            self._ratios(out, measure, self._shown(scores, stage))
        return out

    def _candidate(self, ranker: Reranker | None) -> PersonCounts:
        """Per person, the mean percentile of their suitable pairs among all candidate pairs."""
        owners: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        suitable: list[np.ndarray] = []
        if self.truth is not None:
            for person, gains in self.truth.gains.items():
                positions = np.asarray(sorted(gains), dtype=np.int64)
                owners.append(np.full(len(positions), person))
                scores.append(pair_scores(self.ds, ranker, person, positions))
                suitable.append(np.asarray([gains[int(p)] >= RELEVANT for p in positions]))
        else:
            table = self.ds.held_out
            owners.append(table.person)
            scores.append(held_out_scores(self.ds, ranker))
            suitable.append(table.grades >= GOOD_STAGE)
        if not owners:
            return PersonCounts.of_means({})
        owner = np.concatenate(owners)
        score = np.concatenate(scores)
        good = np.concatenate(suitable)
        order = np.argsort(score, kind="stable")
        percentile = np.empty(len(score))
        percentile[order] = np.arange(len(score)) / max(len(score) - 1, 1)
        values: dict[int, list[float]] = defaultdict(list)
        for p, pct, ok in zip(owner, percentile, good, strict=True):
            if ok:
                values[int(p)].append(float(pct))
        return PersonCounts.of_means(
            {
                int(p): float(np.mean(values[int(p)])) if values.get(int(p)) else float("nan")
                for p in np.unique(owner)
            }
        )

    def _shown(self, scores: np.ndarray, stage: int) -> PersonCounts:
        """Per person, the position-weighted share of the ranker's top pairs reaching ``stage``."""
        table = self.ds.held_out
        weights = discounts(SHOWN_TOP)
        num: dict[int, float] = {}
        for person in np.unique(table.person):
            rows = np.flatnonzero(table.person == person)
            order = rows[np.lexsort((table.position[rows], -scores[rows]))][:SHOWN_TOP]
            w = weights[: len(order)]
            num[int(person)] = float((w * (table.grades[order] >= stage)).sum() / w.sum())
        return PersonCounts.of_means(num)


def label_audit(ds: Dataset, min_group: int = MIN_GROUP) -> FairnessSamples:
    """The training labels' stage rates per group among comparable opportunities."""
    table, cat = ds.train, ds.catalogue
    kinds = frozenset(OpportunityKind)
    eligible = np.zeros(len(table), dtype=bool)
    fusion = np.zeros(len(table))
    for person in np.unique(table.person):
        rows = np.flatnonzero(table.person == person)
        profile = ds.data.profiles[int(person)]
        positions = table.position[rows]
        signals = ds.end_signals(int(person))
        fusion[rows] = fusion_parts(signals, cat, positions).total(FusionWeights())
        eligible[rows] = apply_filters(profile, cat.columns, ds.as_of, kinds).eligible[positions]
    people = np.asarray(sorted(set(table.person.tolist())), dtype=np.int64)
    index = {int(p): i for i, p in enumerate(people)}
    weights = resample_weights(len(people))
    out = FairnessSamples("labels")
    for stage, (reached, given) in LABEL_STAGES.items():
        at_risk = table.grades >= given
        num = np.zeros((len(people), 2 * STRATA))
        den = np.zeros((len(people), 2 * STRATA))
        if at_risk.any():
            cuts = np.quantile(fusion[at_risk], np.linspace(0, 1, STRATA + 1)[1:-1])
            stratum = np.searchsorted(cuts, fusion, side="right") + STRATA * eligible
            for row in np.flatnonzero(at_risk):
                i = index[int(table.person[row])]
                den[i, stratum[row]] += 1
                num[i, stratum[row]] += float(table.grades[row] >= reached)
        counts = PersonCounts(people, num, den)
        for attribute in ATTRIBUTES:
            values = {int(p): ds.data.groups.get(int(p), {}).get(attribute, "?") for p in people}
            out.add(stage, attribute_ratio(counts, attribute, values, weights, min_group))
    return out

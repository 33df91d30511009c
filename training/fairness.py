"""Fairness figures by monitoring group (gender, age band, origin).

For each held-out person the evaluation gives *exposure* — the position-weighted share of the
top-10 slots that hold a good opportunity for them, over the best share their good
opportunities allow — and *recall* of their good opportunities. The raw share (not divided by
what is attainable) is reported too: it also shows how many good opportunities the hard
constraints leave a group, which is a policy question rather than the ranker's doing.
Here they are averaged per group, and each attribute gets the ratio between its worst- and
best-served groups (1 is parity). Groups smaller than :data:`MIN_GROUP` people are reported
but left out of the ratios, where one person would swing them.

The monitoring attributes are read from their own table, only here; the ranker never sees
them (see ``docs/fairness.md``).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from pydantic import BaseModel

from training.evaluation import Evaluation

ATTRIBUTES = ("gender", "age_band", "origin")
MIN_GROUP = 10
EXCLUDED_VALUES = frozenset({"?", "undisclosed", "unknown"})


class GroupFigures(BaseModel):
    """One group's size and means."""

    attribute: str
    group: str
    people: int
    exposure: float
    exposure_raw: float
    recall: float
    ndcg: float


class FairnessReport(BaseModel):
    """Per-group figures and worst/best ratios per attribute."""

    groups: list[GroupFigures]
    exposure_ratio: dict[str, float]
    exposure_raw_ratio: dict[str, float]
    recall_ratio: dict[str, float]

    @property
    def exposure_ratio_min(self) -> float:
        """The lowest exposure ratio over the attributes (1.0 when none could be computed)."""
        return min(self.exposure_ratio.values(), default=1.0)

    @property
    def recall_ratio_min(self) -> float:
        """The lowest recall ratio over the attributes."""
        return min(self.recall_ratio.values(), default=1.0)

    def metrics(self) -> dict[str, float]:
        """Flat figures for the experiment log."""
        out = {
            "exposure_ratio_min": round(self.exposure_ratio_min, 4),
            "recall_ratio_min": round(self.recall_ratio_min, 4),
        }
        out.update({f"exposure_ratio.{k}": round(v, 4) for k, v in self.exposure_ratio.items()})
        out.update({f"recall_ratio.{k}": round(v, 4) for k, v in self.recall_ratio.items()})
        out.update(
            {f"exposure_raw_ratio.{k}": round(v, 4) for k, v in self.exposure_raw_ratio.items()}
        )
        return out


def _ratio(values: list[float]) -> float:
    best = max(values)
    return min(values) / best if best > 0 else 1.0


def _mean(values: list[float]) -> float:
    kept = [v for v in values if v == v]  # NaN: nothing good to expose or recall
    return round(float(np.mean(kept)), 4) if kept else float("nan")


def fairness_report(evaluation: Evaluation, groups: dict[int, dict[str, str]]) -> FairnessReport:
    """Group means and worst/best ratios of exposure and recall."""
    rows: list[GroupFigures] = []
    ratios: dict[str, dict[str, float]] = {"exposure": {}, "exposure_raw": {}, "recall": {}}
    for attribute in ATTRIBUTES:
        members: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(evaluation.people):
            value = groups.get(r.person, {}).get(attribute)
            if value is not None:
                members[value].append(i)
        usable: dict[str, list[float]] = {k: [] for k in ratios}
        for value, idx in sorted(members.items()):
            people = [evaluation.people[i] for i in idx]
            figures = GroupFigures(
                attribute=attribute,
                group=value,
                people=len(people),
                exposure=_mean([p.exposure for p in people]),
                exposure_raw=_mean([p.exposure_raw for p in people]),
                recall=_mean([p.recall for p in people]),
                ndcg=_mean([p.ndcg for p in people]),
            )
            rows.append(figures)
            if len(people) >= MIN_GROUP and value not in EXCLUDED_VALUES:
                for key in ratios:
                    v = getattr(figures, key)
                    if v == v:
                        usable[key].append(v)
        for key, values in usable.items():
            if len(values) >= 2:
                ratios[key][attribute] = _ratio(values)
    return FairnessReport(
        groups=rows,
        exposure_ratio=ratios["exposure"],
        exposure_raw_ratio=ratios["exposure_raw"],
        recall_ratio=ratios["recall"],
    )

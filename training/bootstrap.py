"""Group rates, their worst ratio and its confidence interval, by bootstrap over people.

Every fairness figure is written as per-person counts: ``num[p, k]`` and ``den[p, k]`` for
person ``p`` and comparability stratum ``k`` (one stratum when the figure needs none). A
group's rate is ``sum(num) / sum(den)`` over its people, stratum by stratum, then averaged with
the strata's weights in the whole population (direct standardisation: two groups are compared
as if they had been shown the same mix of opportunities). A per-person mean (exposure, recall)
is the case ``num = value, den = 1``.

The **ratio** of an attribute is the lowest, over its groups, of a group's rate over the rate
of everyone else (1 = parity; 0.8 = the group gets four fifths of what the others get); its
interval is that of the worst-served group's ratio (the minimum over groups of each resample
would be biased low, a minimum of noisy figures).
Intervals are percentile intervals of the bootstrap over people (:data:`RESAMPLES` resamples
with a fixed seed, so a run is reproducible); two rankers evaluated on the same people are
compared on the *same* resamples, which makes the interval of their difference narrow.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel

from training.groups import pooled_groups
from training.suites.metrics import Figure

RESAMPLES = 400
LEVEL = 0.95
SEED = 20261202


Interval = Figure  # an estimate with its bootstrap interval, as the external suites report


@dataclass
class PersonCounts:
    """One figure as per-person counts over comparability strata."""

    people: np.ndarray  # int64 person ids, shape (P,)
    num: np.ndarray  # float64, shape (P, K)
    den: np.ndarray  # float64, shape (P, K)

    @classmethod
    def of_means(cls, values: dict[int, float]) -> PersonCounts:
        """A per-person value (NaN: the person has none) as counts."""
        people = np.asarray(sorted(values), dtype=np.int64)
        v = np.asarray([values[int(p)] for p in people], dtype=np.float64)
        known = v == v
        return cls(people, np.where(known, v, 0.0)[:, None], known.astype(np.float64)[:, None])

    def restricted(self, people: np.ndarray) -> PersonCounts:
        """The same figure over ``people`` (absent people count zero)."""
        index = {int(p): i for i, p in enumerate(self.people)}
        rows = np.asarray([index.get(int(p), -1) for p in people])
        num = np.zeros((len(people), self.num.shape[1]))
        den = np.zeros_like(num)
        hit = rows >= 0
        num[hit], den[hit] = self.num[rows[hit]], self.den[rows[hit]]
        return PersonCounts(np.asarray(people, dtype=np.int64), num, den)


def resample_weights(n_people: int, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """How many times each person is drawn in each resample, shape (resamples, n_people)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_people, size=(resamples, n_people))
    weights = np.zeros((resamples, n_people))
    for b in range(resamples):
        weights[b] = np.bincount(draws[b], minlength=n_people)
    return weights


def _standardised(
    counts: PersonCounts, member: np.ndarray, weights: np.ndarray, strata: np.ndarray
) -> np.ndarray:
    """Standardised rate of the people in ``member`` under each row of ``weights``."""
    w = weights * member[None, :]
    num, den = w @ counts.num, w @ counts.den  # (B, K)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = num / den
    present = den > 0
    share = np.where(present, strata[None, :], 0.0)
    total = share.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.nansum(rate * share, axis=1) / total, np.nan)


class GroupRate(BaseModel):
    """One (pooled) group's rate."""

    group: str
    people: int
    rate: Interval


class AttributeRatio(BaseModel):
    """The groups of one attribute on one figure, and the worst group-over-rest ratio."""

    attribute: str
    groups: list[GroupRate]
    ratio: Interval | None  # None: not measurable
    worst: str | None = None
    why_not: str | None = None


@dataclass
class RatioSamples:
    """An attribute ratio with its bootstrap draws (for paired comparisons)."""

    report: AttributeRatio
    draws: np.ndarray  # shape (B,), NaN when not measurable
    by_group: dict[str, np.ndarray] = field(default_factory=dict)  # each group's (1 + B,)

    def widening(self, reference: RatioSamples) -> tuple[str, Interval, float] | None:
        """The group under parity whose ratio fell most against ``reference`` (same pooled
        groups, same resamples): its name, this ratio minus the reference's with its interval, and the
        bootstrap standard error of that difference; None if either is not measurable."""
        if self.report.ratio is None or reference.report.ratio is None:
            return None
        common = sorted(set(self.by_group) & set(reference.by_group))
        if not common:
            return None
        deltas = {g: self.by_group[g] - reference.by_group[g] for g in common}
        # a gap widens for a group left under parity: a favoured group losing some of its
        # lead (its ratio falling from 1.1 to 1.0 as the worst-served one catches up) is not
        disadvantaged = [g for g in common if self.by_group[g][0] < 1] or common
        group = min(disadvantaged, key=lambda g: (deltas[g][0], g))
        draws = deltas[group][1:]
        se = float(np.nanstd(draws)) if np.isfinite(draws).any() else float("nan")
        return group, _interval(float(deltas[group][0]), draws), se


def attribute_ratio(
    counts: PersonCounts,
    attribute: str,
    values: dict[int, str],
    weights: np.ndarray,
    min_group: int,
) -> RatioSamples:
    """Group rates and the worst group-over-rest ratio of ``attribute``, with intervals."""
    with_value = counts.den.sum(axis=1) > 0
    present = {int(p): values[int(p)] for p, ok in zip(counts.people, with_value, strict=True)}
    present = {p: v for p, v in present.items() if v is not None and ok_value(v)}
    labels = pooled_groups(attribute, present, min_group)
    strata_total = counts.den[with_value].sum(axis=0)
    strata = strata_total / strata_total.sum() if strata_total.sum() > 0 else strata_total
    ones = np.ones((1, len(counts.people)))
    person_label = np.asarray([labels.get(int(p), "") for p in counts.people], dtype=object)
    groups: list[GroupRate] = []
    ratios: list[np.ndarray] = []
    names: list[str] = []
    for group in sorted(set(labels.values())):
        member = (person_label == group).astype(np.float64)
        rest = with_value.astype(np.float64) * (1 - member)
        point = _standardised(counts, member, ones, strata)[0]
        draws = _standardised(counts, member, weights, strata)
        groups.append(
            GroupRate(group=group, people=int(member.sum()), rate=_interval(point, draws))
        )
        rest_point = _standardised(counts, rest, ones, strata)[0]
        rest_draws = _standardised(counts, rest, weights, strata)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratios.append(np.concatenate([[point / rest_point], draws / rest_draws]))
        names.append(group)
    nan = np.full(len(weights), np.nan)
    too_small = [g.group for g in groups if g.people < min_group]
    if len(groups) < 2 or too_small:
        why = (
            f"moins de deux groupes d'au moins {min_group} personnes"
            if len(groups) < 2
            else f"groupe(s) de moins de {min_group} personnes : {', '.join(too_small)}"
        )
        return RatioSamples(
            AttributeRatio(attribute=attribute, groups=groups, ratio=None, why_not=why), nan
        )
    stacked = np.vstack(ratios)  # (G, 1 + B)
    stacked = np.where(np.isfinite(stacked), stacked, np.nan)
    if np.isnan(stacked[:, 0]).any():
        return RatioSamples(
            AttributeRatio(
                attribute=attribute,
                groups=groups,
                ratio=None,
                why_not="un groupe n'a aucune valeur / a group has no value",
            ),
            nan,
        )
    worst = int(np.argmin(stacked[:, 0]))
    low = stacked[worst, 1:]  # the worst-served group's ratio, resampled
    point = float(stacked[worst, 0])
    return RatioSamples(
        AttributeRatio(
            attribute=attribute,
            groups=groups,
            ratio=_interval(point, low),
            worst=names[worst],
        ),
        low,
        dict(zip(names, stacked, strict=True)),
    )


def ok_value(value: str) -> bool:
    """Whether a monitoring value can belong to a group."""
    from training.groups import NOT_A_GROUP

    return value not in NOT_A_GROUP


def _interval(point: float, draws: np.ndarray) -> Interval:
    kept = draws[np.isfinite(draws)]
    tail = (1 - LEVEL) / 2 * 100
    if not len(kept):
        return Interval(value=round(float(point), 4), low=float("nan"), high=float("nan"))
    low, high = np.percentile(kept, [tail, 100 - tail])
    return Interval(
        value=round(float(point), 4), low=round(float(low), 4), high=round(float(high), 4)
    )


def difference(a: np.ndarray, b: np.ndarray, point_a: float, point_b: float) -> Interval:
    """``a - b`` with the interval of the paired draws."""
    return _interval(point_a - point_b, a - b)

"""The promotion gate's rules: group pooling, group-over-rest ratios with bootstrap intervals,
and the three verdicts (pass, fail, not measurable) of every kind of check."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.bootstrap import Interval, PersonCounts, attribute_ratio, resample_weights
from training.fairness import FairnessSamples
from training.gate import (
    Check,
    GatePolicy,
    Verdict,
    floor_checks,
    gap_checks,
    label_checks,
    overall,
    quality_check,
)
from training.groups import NOT_A_GROUP, ORDINAL, SEPARATOR, pooled_groups

AGE = ORDINAL["age_band"]
VALUES = {
    "gender": ["female", "male", "x", "undisclosed"],
    "origin": ["belgian", "eu", "non_eu", "undisclosed"],
    "age_band": [*AGE, "?"],
}


@settings(max_examples=150, deadline=None)
@given(
    attribute=st.sampled_from(sorted(VALUES)),
    data=st.data(),
    min_group=st.integers(2, 40),
)
def test_pooling_leaves_no_group_too_small_and_never_ignores_anyone(
    attribute: str, data: st.DataObject, min_group: int
) -> None:
    people = data.draw(st.lists(st.sampled_from(VALUES[attribute]), max_size=300))
    values = dict(enumerate(people))
    pooled = pooled_groups(attribute, values, min_group)
    in_groups = {p for p, v in values.items() if v not in NOT_A_GROUP}
    assert set(pooled) == in_groups  # everyone with a group value is in a group, no one else
    sizes = Counter(pooled.values())
    if len(sizes) > 1:
        assert min(sizes.values()) >= min_group
    for p, label in pooled.items():  # a pooled label names the values it holds
        assert values[p] in label.split(SEPARATOR)
    if attribute == "age_band":  # pooled bands are contiguous ranges of the bands present
        present = [b for b in AGE if b in set(people)]
        for label in sizes:
            bands = [present.index(b) for b in label.split(SEPARATOR)]
            assert bands == list(range(min(bands), max(bands) + 1))
    # the rule reads sizes only: relabelling people of one value changes nothing else
    assert pooled_groups(attribute, dict(reversed(list(values.items()))), min_group) == pooled


def test_small_nominal_groups_join_the_smallest_group_that_is_big_enough() -> None:
    values = {i: "female" for i in range(50)} | {i: "male" for i in range(50, 90)}
    values |= {90: "x", 91: "x", 92: "undisclosed"}
    pooled = pooled_groups("gender", values, 30)
    assert pooled[90] == pooled[50] == "male/x" and pooled[0] == "female"
    assert 92 not in pooled


def _counts(rates: dict[str, tuple[int, float]]) -> tuple[PersonCounts, dict[int, str]]:
    values: dict[int, float] = {}
    groups: dict[int, str] = {}
    rng = np.random.default_rng(1)
    for group, (n, p) in rates.items():
        for _ in range(n):
            person = len(values)
            values[person] = float(rng.random() < p)
            groups[person] = group
    return PersonCounts.of_means(values), groups


def test_a_group_served_half_as_well_is_measured_with_an_interval() -> None:
    counts, groups = _counts({"belgian": (400, 0.6), "non_eu": (200, 0.3)})
    r = attribute_ratio(counts, "origin", groups, resample_weights(600), 30).report
    assert r.worst == "non_eu" and r.ratio is not None
    assert r.ratio.low <= r.ratio.value <= r.ratio.high
    assert r.ratio.high < 0.8  # clearly under four fifths
    assert 0.35 < r.ratio.value < 0.65


def test_equal_groups_give_a_ratio_near_one_and_tiny_groups_are_not_measurable() -> None:
    counts, groups = _counts({"female": (300, 0.5), "male": (300, 0.5)})
    r = attribute_ratio(counts, "gender", groups, resample_weights(600), 30).report
    assert r.ratio is not None and r.ratio.low < 1 and r.ratio.high > 0.85
    alone, only = _counts({"female": (40, 0.5), "undisclosed": (5, 0.5)})
    nothing = attribute_ratio(alone, "gender", only, resample_weights(45), 30).report
    assert nothing.ratio is None and "deux groupes" in (nothing.why_not or "")


def test_strata_compare_groups_as_if_shown_the_same_opportunities() -> None:
    """Group A is shown mostly hard offers (stratum 1, rate 0.2), group B mostly easy ones
    (stratum 0, rate 0.8), with the same rate in each stratum: standardised, no gap."""
    people = np.arange(200)
    num = np.zeros((200, 2))
    den = np.zeros((200, 2))
    for p in people:
        hard = 9 if p < 100 else 1
        den[p] = [10 - hard, hard]
        num[p] = [0.8 * (10 - hard), 0.2 * hard]
    groups = {int(p): ("a" if p < 100 else "b") for p in people}
    counts = PersonCounts(people, num, den)
    r = attribute_ratio(counts, "origin", groups, resample_weights(200), 30).report
    assert r.ratio is not None and r.ratio.value == pytest.approx(1.0, abs=1e-6)


def _samples(subject: str, rates: dict[str, tuple[int, float]]) -> FairnessSamples:
    counts, groups = _counts(rates)
    out = FairnessSamples(subject)
    weights = resample_weights(len(groups))
    for measure in ("exposure", "recall", "candidate"):
        for attribute in ("gender", "age_band", "origin"):
            labelled = {p: g for p, g in groups.items()} if attribute == "origin" else {}
            values = {p: labelled.get(p, "?") for p in groups}
            if attribute != "origin":  # two equal halves
                values = {p: ("a" if p % 2 else "b") for p in groups}
            out.add(measure, attribute_ratio(counts, attribute, values, weights, 30))
    return out


def test_floor_verdicts_need_the_whole_interval_on_one_side() -> None:
    policy = GatePolicy()
    fair = _samples("c", {"belgian": (400, 0.6), "non_eu": (400, 0.6)})
    unfair = _samples("c", {"belgian": (400, 0.6), "non_eu": (400, 0.25)})
    assert all(
        c.verdict is Verdict.PASS
        for c in floor_checks(fair, ("exposure",), policy)
        if c.attribute == "origin"
    )
    bad = [c for c in floor_checks(unfair, ("exposure",), policy) if c.attribute == "origin"]
    assert bad[0].verdict is Verdict.FAIL and bad[0].value is not None
    assert "plancher" in bad[0].detail and "[" in bad[0].detail  # figures with the interval
    borderline = _samples("c", {"belgian": (60, 0.6), "non_eu": (60, 0.48)})
    middle = [c for c in floor_checks(borderline, ("exposure",), policy) if c.attribute == "origin"]
    assert middle[0].verdict is Verdict.NOT_MEASURABLE


def test_a_challenger_widening_a_gap_fails_and_a_missing_measure_is_not_measurable() -> None:
    policy = GatePolicy(fairness_tolerance=0.05)
    fusion = _samples("fusion", {"belgian": (400, 0.6), "non_eu": (400, 0.6)})
    same = _samples("challenger", {"belgian": (400, 0.6), "non_eu": (400, 0.6)})
    worse = _samples("challenger", {"belgian": (400, 0.6), "non_eu": (400, 0.3)})
    ok = [c for c in gap_checks(same, fusion, policy) if c.measure == "exposure"]
    assert {c.verdict for c in ok} == {Verdict.PASS}
    widened = [
        c
        for c in gap_checks(worse, fusion, policy)
        if c.measure == "exposure" and c.attribute == "origin"
    ]
    assert widened[0].verdict is Verdict.FAIL and widened[0].difference is not None
    assert widened[0].difference.high < -0.05
    # shown_* measures were not computed here: not measurable, never a silent pass
    missing = [c for c in gap_checks(same, fusion, policy) if c.measure == "shown_hire"]
    assert missing and {c.verdict for c in missing} == {Verdict.NOT_MEASURABLE}


def test_no_measurement_is_never_a_pass() -> None:
    policy = GatePolicy(min_people=60)
    assert overall([]) is Verdict.NOT_MEASURABLE
    few = quality_check({1: 0.9, 2: 0.8}, {1: 0.5, 2: 0.4}, "fusion", policy)
    assert few.verdict is Verdict.NOT_MEASURABLE and "60" in few.detail
    empty = FairnessSamples("challenger")
    assert {c.verdict for c in floor_checks(empty, ("exposure",), policy)} == {
        Verdict.NOT_MEASURABLE
    }
    passing = Check(name="a", kind="quality", verdict=Verdict.PASS, detail="")
    nm = passing.model_copy(update={"verdict": Verdict.NOT_MEASURABLE})
    failing = passing.model_copy(update={"verdict": Verdict.FAIL})
    assert overall([passing, nm]) is Verdict.NOT_MEASURABLE
    assert overall([passing, nm, failing]) is Verdict.FAIL
    assert overall([passing]) is Verdict.PASS


def test_quality_needs_the_margin_and_reports_the_paired_interval() -> None:
    policy = GatePolicy(margin=0.05, min_people=10)
    rng = np.random.default_rng(0)
    old = {p: float(rng.random()) for p in range(100)}
    better = {p: min(1.0, v + 0.1) for p, v in old.items()}
    slightly = {p: v * 1.02 for p, v in old.items()}
    up = quality_check(better, old, "v1", policy)
    assert up.verdict is Verdict.PASS and up.difference is not None and up.difference.low > 0
    short = quality_check(slightly, old, "v1", policy)
    assert short.verdict is Verdict.FAIL and "marge" in short.detail


def test_label_stages_not_learnt_are_not_held_against_the_model() -> None:
    audit = _samples("labels", {"belgian": (400, 0.6), "non_eu": (400, 0.2)})
    for measure in ("exposure", "recall", "candidate"):  # rename to the label stages
        for attribute in ("gender", "age_band", "origin"):
            s = audit.samples.pop((measure, attribute))
            stage = {"exposure": "proposal", "recall": "interview", "candidate": "hire"}[measure]
            audit.samples[(stage, attribute)] = s
    policy = GatePolicy()
    everything = label_checks(audit, 4, policy)
    assert overall(everything) is Verdict.FAIL
    assert any("--labels-up-to" in c.detail for c in everything if c.verdict is Verdict.FAIL)
    up_to_proposal = label_checks(audit, 1, policy)
    learnt = [c for c in up_to_proposal if c.measure == "proposal"]
    assert overall(learnt) is Verdict.FAIL  # the proposal stage is still learnt
    skipped = [c for c in up_to_proposal if c.name in ("labels.interview", "labels.hire")]
    assert len(skipped) == 2 and all("non apprise" in c.detail for c in skipped)


def test_interval_text_is_what_people_read() -> None:
    assert Interval(value=0.9123, low=0.87, high=0.95).text() == "0.912 [0.870, 0.950]"


def test_a_gap_measured_too_loosely_to_see_a_harm_is_not_measurable() -> None:
    policy = GatePolicy(fairness_tolerance=0.05, max_interval=0.3, min_group=30)
    fusion = _samples("fusion", {"belgian": (30, 0.5), "non_eu": (30, 0.5)})
    noisy = _samples("challenger", {"belgian": (30, 0.5), "non_eu": (30, 0.3)})
    origin = [
        c
        for c in gap_checks(noisy, fusion, policy)
        if c.measure == "exposure" and c.attribute == "origin"
    ]
    assert origin[0].difference is not None
    assert origin[0].difference.high - origin[0].difference.low > 0.3
    assert origin[0].verdict is Verdict.NOT_MEASURABLE and "0.3" in origin[0].detail


def test_a_favoured_group_losing_its_lead_is_not_a_widened_gap() -> None:
    """The fusion favours Belgians (0.7 vs 0.4); the challenger narrows the gap (0.6 vs
    0.55): the Belgian ratio falls, but no group under parity lost anything."""
    policy = GatePolicy()
    fusion = _samples("fusion", {"belgian": (400, 0.7), "non_eu": (400, 0.4)})
    narrower = _samples("challenger", {"belgian": (400, 0.6), "non_eu": (400, 0.55)})
    origin = [
        c
        for c in gap_checks(narrower, fusion, policy)
        if c.measure == "exposure" and c.attribute == "origin"
    ]
    assert origin[0].verdict is Verdict.PASS and "non_eu" in origin[0].detail

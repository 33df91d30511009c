"""Outcome events to graded labels: how far a (person, opportunity) pair went in the funnel.

shown 0 < proposed 1 < applied or enrolled in training 2 < interview 3 < hired or training
completed 4. A refusal ends the funnel where it happened: the pair keeps the stage it had
reached, so a refusal is a negative for every later stage (the ordinal model learns
"went past stage k" for each k, and a pair refused at stage k is a "no" for k + 1). Refusals
for a hard obstacle (distance, language, schedule, health) also say that the pair should not
have been ranked at all: they count one stage lower.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from data_contracts.enums import OutcomeType, RefusalReason

STAGE: dict[OutcomeType, int] = {
    OutcomeType.SHOWN: 0,
    OutcomeType.OPENED: 0,
    OutcomeType.PROPOSED: 1,
    OutcomeType.APPLIED: 2,
    OutcomeType.TRAINING_ENROLLED: 2,
    OutcomeType.INTERVIEW: 3,
    OutcomeType.HIRED: 4,
    OutcomeType.TRAINING_COMPLETED: 4,
}
TOP_STAGE = 4
STAGE_NAMES = {"proposed": 1, "applied": 2, "interview": 3, "hired": 4}  # for --labels-up-to
GOOD_STAGE = 2  # applied or better: the pair was worth showing
HARD_OBSTACLES = frozenset(
    {
        RefusalReason.DISTANCE,
        RefusalReason.LANGUAGE,
        RefusalReason.SCHEDULE,
        RefusalReason.HEALTH,
    }
)


@dataclass(frozen=True)
class Event:
    """The part of an outcome event the labels need."""

    beneficiary: int
    opportunity: int
    type: OutcomeType
    at: dt.datetime
    refusal_reason: RefusalReason | None = None


@dataclass
class PairLabel:
    """One pair's grade and when it was first put in front of the person."""

    grade: int
    first_at: dt.datetime
    last_at: dt.datetime


def pair_labels(
    events: Iterable[Event], until: dt.datetime | None = None
) -> dict[tuple[int, int], PairLabel]:
    """The grade of every pair from its events that happened before ``until`` (all if None)."""
    labels: dict[tuple[int, int], PairLabel] = {}
    obstacle: set[tuple[int, int]] = set()
    for e in events:
        if until is not None and e.at >= until:
            continue
        key = (e.beneficiary, e.opportunity)
        label = labels.get(key)
        if label is None:
            label = labels[key] = PairLabel(0, e.at, e.at)
        label.first_at = min(label.first_at, e.at)
        label.last_at = max(label.last_at, e.at)
        if e.type is OutcomeType.REFUSED:
            if e.refusal_reason in HARD_OBSTACLES:
                obstacle.add(key)
        else:
            label.grade = max(label.grade, STAGE[e.type])
    for key in obstacle:
        labels[key].grade = max(0, labels[key].grade - 1)
    return labels

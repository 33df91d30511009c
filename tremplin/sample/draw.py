"""The sample's seeded draws and its result: one ``random.Random`` over sorted sequences, so
the same seed gives byte-identical files on any machine (see docs/sample-data.md)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from data_contracts.models import (
    BeneficiaryProfile,
    Employer,
    JobDay,
    Opportunity,
    OutcomeEvent,
    Vacancy,
)

T = TypeVar("T")


REFERENCE_DATE = dt.date(2026, 11, 1)


@dataclass
class SampleData:
    """The generated objects, ready to write or to import."""

    cpas: list[dict[str, Any]]
    employers: list[Employer]
    opportunities: list[Opportunity]
    beneficiaries: list[BeneficiaryProfile]
    job_days: list[JobDay]
    outcomes: list[OutcomeEvent]
    vacancies: list[Vacancy] = field(default_factory=list)
    ground_truth: list[tuple[str, str, float]] = field(default_factory=list)
    biased_employers: list[str] = field(default_factory=list)


class Draw:
    """Seeded draws over sorted sequences."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def one(self, items: Sequence[T]) -> T:
        return items[self.r.randrange(len(items))]

    def weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        return self.r.choices(list(items), weights=list(weights), k=1)[0]

    def some(self, items: Sequence[T], k: int) -> list[T]:
        return self.r.sample(list(items), min(k, len(items)))

    def chance(self, p: float) -> bool:
        return self.r.random() < p

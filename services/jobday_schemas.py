"""Bodies of job days: planning requests, plans, stand lists, convocations."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field

from data_contracts.models import Contract
from data_contracts.types import ExternalId
from services.pool_schemas import PoolCard


class PlanRequest(Contract):
    """Plan (or re-plan) a job day."""

    today: dt.date | None = Field(
        default=None, description="The planning date for the hard filters (default: today)."
    )
    fresh: bool = Field(
        default=False, description="Ignore the current plan (by default, its interviews stay)."
    )
    time_limit_s: float | None = Field(default=None, gt=0, le=600)


class Participation(StrEnum):
    """A coach's word on one beneficiary for one job day."""

    NOMINATED = "nominated"  # invite them (even outside the automatic criteria)
    CANCELLED = "cancelled"  # they will not come: out of the plan, others stay put


class ParticipationIn(Contract):
    """Nominate a beneficiary of the coach's CPAS, or cancel their participation."""

    beneficiary_id: ExternalId
    status: Participation


class StandSlotsIn(Contract):
    """Change a stand's number of interview slots (then re-plan)."""

    interview_slots: int = Field(ge=0, le=200)


class JobDaySummary(BaseModel):
    """A job day as a list shows it."""

    id: str
    title: str
    date: dt.date
    place: str
    organiser: str
    cpas_ids: list[str]
    stands: int
    slots: int
    planned: bool


class PlanFigures(BaseModel):
    """How good a plan is, and what it took (no personal data)."""

    objective: float = Field(description="Total match quality plus the first-interview bonuses.")
    bound: float = Field(description="The relaxation's optimum: no plan can do better.")
    gap: float
    total_quality: float
    interviews: int
    invited: int
    eligible_people: int
    nominated: int
    cancelled: int
    people_with_good_interview: int
    empty_stands_with_suitable: int
    nominated_not_invited: int
    dropped_in_timing: int
    kept: int = Field(description="Interviews of the previous plan kept.")
    moved: int = Field(description="Of those, how many changed time.")
    selection_status: str
    timing_status: str
    seconds: float
    ranker: str
    planning_date: dt.date
    suitable_by_stand: dict[str, int] = Field(
        default_factory=dict, description="Per stand, eligible people rated good for it."
    )


class StandFill(BaseModel):
    """A stand's slots and bookings."""

    employer_id: str
    employer_name: str
    slots: int
    booked: int
    suitable: int = Field(description="Eligible people the engine rates good for the stand.")


class InterviewOut(BaseModel):
    """One interview as the Maison de l'emploi (or the person's coach) sees it."""

    participant: str = Field(description="The person's code for this job day.")
    cpas_id: str
    beneficiary_id: str | None = Field(
        default=None, description="Only for the coach of the person's CPAS."
    )
    employer_id: str
    employer_name: str
    opportunity_id: str | None
    opportunity_title: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    quality: float
    good: bool


class PlanOut(BaseModel):
    """A job day's plan."""

    id: str
    job_day_id: str
    created_at: dt.datetime
    created_by: str
    reason: str
    figures: PlanFigures
    stands: list[StandFill]
    interviews: list[InterviewOut]


class StandInterview(BaseModel):
    """One interview on an employer's stand list: a card until the person accepts contact."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    opportunity_id: str | None
    candidate: PoolCard


class StandList(BaseModel):
    """An employer's list for its stand."""

    job_day_id: str
    title: str
    date: dt.date
    employer_id: str
    employer_name: str
    place: str
    interviews: list[StandInterview]


class ConvocationItem(BaseModel):
    """One interview in a convocation."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    employer_name: str
    stand_offer: str | None


class Convocation(BaseModel):
    """What a beneficiary receives from their coach (French)."""

    beneficiary_id: str
    job_day_id: str
    title: str
    date: dt.date
    place: str
    arrive_by: dt.datetime
    interviews: list[ConvocationItem]
    bring: list[str]
    text: str


class InterviewMove(Contract):
    """Move one interview of the current plan by hand to another start time."""

    participant: str = Field(min_length=1, max_length=64, description="The person's day code.")
    employer_id: ExternalId
    starts_at: dt.time = Field(description="The new local start time (HH:MM).")

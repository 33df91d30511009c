"""Job days: plans, re-planning, stand lists, convocations and their documents.

Routes parse, call :mod:`services.jobdays` (the same service as ``tremplin jobday``) and
present: JSON, CSV, ICS or a printable HTML page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from services import documents, jobdays
from services.jobday_schemas import (
    Convocation,
    InterviewMove,
    JobDaySummary,
    ParticipationIn,
    PlanOut,
    PlanRequest,
    StandList,
    StandSlotsIn,
)
from services.schemas import Message
from serving.compute import Priority
from serving.deps import Caller, State, request_id, roles
from tremplin.actors import Role

router = APIRouter(prefix="/api/v1/jobdays", tags=["journées emploi / job days"])
R404: dict[int | str, dict[str, Any]] = {404: {"model": Message}}
ORGANISER = (Role.MAISON_EMPLOI,)


@router.get(
    "",
    response_model=list[JobDaySummary],
    **roles(Role.MAISON_EMPLOI, Role.COACH, Role.EMPLOYER),
)
def list_job_days(state: State, principal: Caller) -> Any:
    """The job days the caller takes part in (organiser's partners, coach's CPAS, stands)."""
    return jobdays.list_job_days(state, principal)


@router.post("/{job_day_id}/plan", response_model=PlanOut, responses=R404, **roles(*ORGANISER))
async def plan(job_day_id: str, body: PlanRequest, state: State, principal: Caller) -> Any:
    """Plan the job day's interviews (a new version; the current plan's interviews are kept
    where possible unless ``fresh``)."""
    return await state.compute(
        jobdays.plan_job_day,
        state,
        principal,
        job_day_id,
        body,
        request_id(),
        priority=Priority.BATCH,
    )


@router.get(
    "/{job_day_id}/plan",
    response_model=PlanOut,
    responses=R404,
    **roles(Role.MAISON_EMPLOI, Role.COACH),
)
def current_plan(job_day_id: str, state: State, principal: Caller) -> Any:
    """The current plan (a coach sees their CPAS's interviews, with their beneficiaries' ids)."""
    return jobdays.current_plan(state, principal, job_day_id)


@router.get("/{job_day_id}/plan.csv", responses=R404, **roles(*ORGANISER))
def plan_csv(job_day_id: str, state: State, principal: Caller) -> Response:
    """The current plan as CSV (one row per interview)."""
    text = documents.plan_csv(jobdays.current_plan(state, principal, job_day_id))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{job_day_id}.csv"'},
    )


@router.get(
    "/{job_day_id}/plan.html", response_class=HTMLResponse, responses=R404, **roles(*ORGANISER)
)
def plan_page(job_day_id: str, state: State, principal: Caller) -> Any:
    """The current plan as a printable page."""
    found = jobdays.current_plan(state, principal, job_day_id)
    title = next(j.title for j in jobdays.list_job_days(state, principal) if j.id == job_day_id)
    return HTMLResponse(documents.plan_html(found, title))


@router.post(
    "/{job_day_id}/participants",
    response_model=PlanOut | None,
    responses=R404,
    **roles(Role.COACH),
)
async def participation(
    job_day_id: str,
    body: ParticipationIn,
    state: State,
    principal: Caller,
    today: dt.date | None = None,
) -> Any:
    """Nominate a beneficiary or cancel their participation; a planned day is re-planned at
    once and the new plan returned (everyone else keeps their interview where possible)."""
    return await state.compute(
        jobdays.set_participation,
        state,
        principal,
        job_day_id,
        body,
        request_id(),
        today,
        priority=Priority.BATCH,
    )


@router.put(
    "/{job_day_id}/stands/{employer_id}/slots",
    response_model=PlanOut | None,
    responses=R404,
    **roles(*ORGANISER),
)
async def stand_slots(
    job_day_id: str,
    employer_id: str,
    body: StandSlotsIn,
    state: State,
    principal: Caller,
    today: dt.date | None = None,
) -> Any:
    """Change a stand's interview slots; a planned day is re-planned at once."""
    return await state.compute(
        jobdays.set_stand_slots,
        state,
        principal,
        job_day_id,
        employer_id,
        body,
        request_id(),
        today,
        priority=Priority.BATCH,
    )


@router.post(
    "/{job_day_id}/interviews/move",
    response_model=PlanOut,
    responses={**R404, 409: {"model": Message}},
    **roles(*ORGANISER),
)
def move_interview(job_day_id: str, body: InterviewMove, state: State, principal: Caller) -> Any:
    """Move one interview of the current plan by hand to another start time (a new plan
    version; refused when the stand or the person is busy then)."""
    return jobdays.move_interview(state, principal, job_day_id, body, request_id())


@router.get(
    "/{job_day_id}/stands/{employer_id}.html",
    response_class=HTMLResponse,
    responses=R404,
    **roles(Role.EMPLOYER, Role.MAISON_EMPLOI),
)
def stand_page(job_day_id: str, employer_id: str, state: State, principal: Caller) -> Any:
    """A stand's list as a printable page."""
    return HTMLResponse(
        documents.stand_html(jobdays.stand_list(state, principal, job_day_id, employer_id))
    )


@router.get(
    "/{job_day_id}/stands/{employer_id}",
    response_model=StandList,
    responses=R404,
    **roles(Role.EMPLOYER, Role.MAISON_EMPLOI),
)
def stand_list(job_day_id: str, employer_id: str, state: State, principal: Caller) -> Any:
    """A stand's interviews: anonymised cards until each person accepts contact."""
    return jobdays.stand_list(state, principal, job_day_id, employer_id)


@router.get(
    "/{job_day_id}/convocations",
    response_model=list[Convocation],
    responses=R404,
    **roles(Role.COACH),
)
def convocations(
    job_day_id: str, state: State, principal: Caller, beneficiary_id: str | None = None
) -> Any:
    """Convocations of the coach's beneficiaries (one, with ``beneficiary_id``)."""
    return jobdays.convocations(state, principal, job_day_id, beneficiary_id)


@router.get("/{job_day_id}/convocations.ics", responses=R404, **roles(Role.COACH))
def convocations_ics(
    job_day_id: str, state: State, principal: Caller, beneficiary_id: str | None = None
) -> Response:
    """The convocations' interviews as an ICS calendar."""
    found = jobdays.convocations(state, principal, job_day_id, beneficiary_id)
    return Response(
        documents.convocations_ics(found),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{job_day_id}.ics"'},
    )


@router.get(
    "/{job_day_id}/convocations.html",
    response_class=HTMLResponse,
    responses=R404,
    **roles(Role.COACH),
)
def convocations_page(
    job_day_id: str, state: State, principal: Caller, beneficiary_id: str | None = None
) -> Any:
    """The convocations as printable pages (one per person)."""
    found = jobdays.convocations(state, principal, job_day_id, beneficiary_id)
    return HTMLResponse(documents.convocations_html(found))

"""The Maison de l'emploi's pages: opportunities (search, import a file with the row-by-row
report on screen), job days (stands and slots, the planner as a background task with its
progress, the schedule, moving an interview by hand, and every export: CSV, printable plan,
stand lists, convocations by participant code, ICS)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from data_contracts.enums import OpportunityKind
from services import documents, jobdays, opportunities
from services.jobday_schemas import InterviewMove, PlanOut, PlanRequest, StandSlotsIn
from serving.state import ServiceState, request_id_var
from tremplin.actors import Principal
from tremplin.errors import NotFoundError, UnsupportedFormatError
from tremplin.feeds import FeedFormat, detect_format
from web import labels
from web.context import calendar, download, service_state, start_task
from web.forms import EmptyAsNone, checked, parse, text
from web.session import Organiser
from web.tasks import Progress, Retry
from web.templating import render

router = APIRouter(prefix="/maison", include_in_schema=False)
PAGE = 30


@router.get("/opportunites")
def opportunity_list(
    request: Request,
    principal: Organiser,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[OpportunityKind | None, EmptyAsNone] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The opportunities, searchable, and the import form."""
    query = opportunities.OpportunityQuery(q=q or None, kind=kind)
    items, total = opportunities.search_opportunities(
        service_state(request), principal, query, PAGE, (page - 1) * PAGE
    )
    return render(
        request,
        "maison/opportunities.html",
        {"items": items, "total": total, "q": q, "kind": kind.value if kind else "",
         "page": page, "pages": max(1, -(-total // PAGE)), "labels": labels},
    )  # fmt: skip


def _feed_format(value: object) -> FeedFormat | None:
    """The format chosen on the import form (None: recognised from the file)."""
    try:
        return FeedFormat(value) if isinstance(value, str) and value else None
    except ValueError:
        raise UnsupportedFormatError(
            "format d'import inconnu : choisissez Tremplin, France Travail ou Forem",
            f"unknown import format {value!r}",
        ) from None


@router.post("/opportunites/import")
async def import_file(request: Request, principal: Organiser) -> Response:
    """Start an import in the background; the page follows its progress and shows the
    report (every refused row with its line and what to fix)."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render(
            request,
            "_error.html",
            {"status": 422, "message": "Choisissez un fichier CSV, JSON Lines ou Parquet."},
            status_code=422,
        )
    filename = upload.filename
    chosen = _feed_format(form.get("format"))
    suffix = opportunities.check_format(filename, chosen)
    folder = Path(tempfile.mkdtemp(prefix="tremplin-import-"))
    path = folder / f"upload{suffix}"
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out)
    feed = chosen or detect_format(path)
    skip = checked(form, "skip_invalid")
    state, rid = service_state(request), request_id_var.get()

    def work(progress: Progress) -> Any:
        try:
            return opportunities.import_opportunities(
                state, principal, path, filename, skip, rid, progress=progress, feed=feed
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return start_task(
        request,
        principal.user_id,
        f"Import de {filename}",
        work,
        result_template="maison/_import_report.html",
        kept="Un fichier est enregistré entièrement ou pas du tout (ou ses seules lignes valides, "
        "si vous l'avez demandé) : rien n'est importé à moitié. Choisissez à nouveau le fichier.",
        retry=Retry("/maison/opportunites", method="get"),
    )


@router.get("/journees")
def job_days(request: Request, principal: Organiser) -> Response:
    """The job days the Maison de l'emploi organises."""
    days = jobdays.list_job_days(service_state(request), principal)
    return render(request, "maison/jobdays.html", {"days": days})


def _plan(state: ServiceState, principal: Principal, job_day_id: str) -> PlanOut | None:
    try:
        return jobdays.current_plan(state, principal, job_day_id)
    except NotFoundError:
        return None


@router.get("/journees/{job_day_id}")
def job_day(request: Request, job_day_id: str, principal: Organiser) -> Response:
    """A job day: stands and slots, the planner, the schedule, the exports."""
    state = service_state(request)
    summary = next((d for d in jobdays.list_job_days(state, principal) if d.id == job_day_id), None)
    if summary is None:
        raise jobdays.job_day_not_found()
    plan = _plan(state, principal, job_day_id)
    stands = plan.stands if plan else jobdays.job_day_stands(state, principal, job_day_id)
    by_stand: dict[str, list[Any]] = {}
    for interview in plan.interviews if plan else []:
        by_stand.setdefault(interview.employer_id, []).append(interview)
    return render(
        request,
        "maison/jobday.html",
        {"day": summary, "plan": plan, "stands": stands, "by_stand": by_stand,
         "moved": request.query_params.get("deplace") == "1"},
    )  # fmt: skip


@router.post("/journees/{job_day_id}/planifier")
async def plan(request: Request, job_day_id: str, principal: Organiser) -> Response:
    """Run the planner in the background (the page shows its progress, then the schedule)."""
    form = await request.form()
    state, rid = service_state(request), request_id_var.get()
    body = parse(PlanRequest, {"fresh": checked(form, "fresh"), "today": state.settings.today()})

    def work(progress: Progress) -> Any:
        return jobdays.plan_job_day(state, principal, job_day_id, body, rid, progress=progress)

    return start_task(
        request,
        principal.user_id,
        "Planification des entretiens",
        work,
        redirect=lambda _: f"/maison/journees/{job_day_id}",
        kept="Le planning précédent reste en vigueur : un planning n'est enregistré que complet.",
        retry=Retry(
            f"/maison/journees/{job_day_id}/planifier", {"fresh": "1"} if body.fresh else {}
        ),
    )


@router.post("/journees/{job_day_id}/stands/{employer_id}")
async def stand_slots(
    request: Request, job_day_id: str, employer_id: str, principal: Organiser
) -> Response:
    """Change a stand's number of slots (a planned day is re-planned in the background)."""
    form = await request.form()
    body = parse(StandSlotsIn, {"interview_slots": text(form, "interview_slots")})
    state, rid = service_state(request), request_id_var.get()

    def work(progress: Progress) -> Any:
        progress("nouveau nombre de créneaux, re-planification", 0.1)
        return jobdays.set_stand_slots(
            state, principal, job_day_id, employer_id, body, rid, today=state.settings.today()
        )

    return start_task(
        request,
        principal.user_id,
        "Créneaux du stand",
        work,
        redirect=lambda _: f"/maison/journees/{job_day_id}",
        kept="Le nombre de créneaux est enregistré ou non, jamais à moitié ; le planning en "
        "vigueur reste le dernier enregistré complet.",
        retry=Retry(
            f"/maison/journees/{job_day_id}/stands/{employer_id}",
            {"interview_slots": str(body.interview_slots)},
        ),
    )


@router.post("/journees/{job_day_id}/deplacer")
async def move(request: Request, job_day_id: str, principal: Organiser) -> Response:
    """Move one interview by hand to another time (refused, with the reason, when the stand
    or the person is busy then)."""
    form = await request.form()
    body = parse(
        InterviewMove,
        {
            "participant": text(form, "participant"),
            "employer_id": text(form, "employer_id"),
            "starts_at": text(form, "starts_at"),
        },
    )
    jobdays.move_interview(
        service_state(request), principal, job_day_id, body, request_id_var.get()
    )
    target = f"/maison/journees/{job_day_id}?deplace=1"
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/journees/{job_day_id}/plan.csv")
def plan_csv(request: Request, job_day_id: str, principal: Organiser) -> Response:
    """The schedule as CSV."""
    found = jobdays.current_plan(service_state(request), principal, job_day_id)
    return download(documents.plan_csv(found), "text/csv; charset=utf-8", f"{job_day_id}.csv")


@router.get("/journees/{job_day_id}/plan/imprimer")
def plan_print(request: Request, job_day_id: str, principal: Organiser) -> HTMLResponse:
    """The schedule, printable (by stand, then time)."""
    state = service_state(request)
    found = jobdays.current_plan(state, principal, job_day_id)
    title = next(d.title for d in jobdays.list_job_days(state, principal) if d.id == job_day_id)
    return HTMLResponse(documents.plan_html(found, title))


@router.get("/journees/{job_day_id}/stands/{employer_id}/liste")
def stand_print(
    request: Request, job_day_id: str, employer_id: str, principal: Organiser
) -> HTMLResponse:
    """A stand's list of anonymised cards, printable for the employer."""
    found = jobdays.stand_list(service_state(request), principal, job_day_id, employer_id)
    return HTMLResponse(documents.stand_html(found))


@router.get("/journees/{job_day_id}/convocations")
def convocations(request: Request, job_day_id: str, principal: Organiser) -> HTMLResponse:
    """Every convocation by participant code, printable (the CPAS hand them out)."""
    found = jobdays.convocations(service_state(request), principal, job_day_id)
    return HTMLResponse(documents.convocations_html(found))


@router.get("/journees/{job_day_id}/convocations.ics")
def convocations_ics(request: Request, job_day_id: str, principal: Organiser) -> Response:
    """Every interview as a calendar event (ICS)."""
    found = jobdays.convocations(service_state(request), principal, job_day_id)
    return calendar(found, f"{job_day_id}.ics")

"""The coach's pages: the CPAS's beneficiaries, their profile (the three PIIS questions:
project, means, help needed), shortlists with reasons and pathways, outcomes recorded from a
card, printable shortlists, employers' contact requests, and the job days' convocations.

Each page calls the same service as the API route and the command (``services.*``)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from data_contracts.enums import OpportunityKind, TrajectoryPhase
from services import (
    beneficiaries,
    documents,
    jobdays,
    linking,
    opportunities,
    outcomes,
    person_file,
    pool,
    shortlists,
)
from services.batch import fresh
from services.jobday_schemas import ParticipationIn
from services.pool_schemas import ContactDecision
from services.schemas import BeneficiaryIn, OutcomeIn, ShortlistRequest, SkillTextRequest
from serving import searches
from serving.state import request_id_var
from tremplin.errors import InvalidRequestError
from tremplin.taxonomy import load_taxonomy
from web import labels
from web.context import calendar, service_state, start_task
from web.forms import EmptyAsNone, optional, parse, text
from web.profile_form import form_context, profile_body
from web.session import Coach
from web.tasks import Progress, Retry
from web.templating import render

router = APIRouter(prefix="/coach", include_in_schema=False)
PAGE = 25


@router.get("/beneficiaires")
def beneficiary_list(
    request: Request,
    principal: Coach,
    q: Annotated[str, Query(max_length=64)] = "",
    phase: Annotated[TrajectoryPhase | None, EmptyAsNone] = None,
    vivier: Annotated[str, Query(pattern="^(|oui|non)$")] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The CPAS's beneficiaries, searchable by file reference, phase and pool presence."""
    in_pool = {"oui": True, "non": False}.get(vivier)
    items, total = beneficiaries.list_beneficiaries(
        service_state(request),
        principal,
        PAGE,
        (page - 1) * PAGE,
        phase,
        in_pool,
        q.strip() or None,
    )
    return render(
        request,
        "coach/beneficiaries.html",
        {
            "items": items,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE)),
            "q": q,
            "phase": phase.value if phase else "",
            "vivier": vivier,
            "labels": labels,
        },
    )


@router.get("/beneficiaires/nouveau")
def new_profile(request: Request, principal: Coach) -> Response:
    """An empty profile form."""
    return render(request, "coach/profile.html", form_context(None, creating=True))


@router.get("/beneficiaires/{beneficiary_id}")
def profile_page(request: Request, beneficiary_id: str, principal: Coach) -> Response:
    """A beneficiary's profile (editable), earlier shortlists and recorded outcomes."""
    state = service_state(request)
    profile = beneficiaries.read_beneficiary(state, principal, beneficiary_id)
    history = shortlists.shortlist_history(state, principal, beneficiary_id, 10, 0)
    events, _ = outcomes.list_outcomes(state, principal, beneficiary_id, 50, 0)
    news = fresh.new_since_last_visit(state, principal, beneficiary_id, request_id_var.get(), 10)
    return render(
        request,
        "coach/profile.html",
        form_context(
            profile,
            creating=False,
            history=history.items,
            events=events,
            titles=opportunities.opportunity_titles(
                state, principal, [e.opportunity_id for e in events]
            ),
            news=news,
            saved=request.query_params.get("enregistre") == "1",
        ),
    )


def _save(request: Request, principal: Any, form: FormData, beneficiary_id: str | None,
          background: BackgroundTasks) -> Response:  # fmt: skip
    state = service_state(request)
    creating = beneficiary_id is None
    before = (
        None if creating else beneficiaries.read_beneficiary(state, principal, beneficiary_id or "")
    )
    ident = text(form, "id") if creating else beneficiary_id or ""
    try:
        body = parse(BeneficiaryIn, profile_body(form, ident, before, state.settings.today()))
        if creating:
            profile = beneficiaries.create_beneficiary(state, principal, body)
        else:
            profile = beneficiaries.replace_beneficiary(
                state, principal, ident, body, keep_monitoring=True
            )
    except InvalidRequestError as exc:
        context = form_context(before, creating=creating, error=exc.fr, problems=exc.details,
                                form=form)  # fmt: skip
        return render(request, "coach/profile.html", context, status_code=422)
    background.add_task(beneficiaries.prepare_query_vector, state, profile)
    return RedirectResponse(f"/coach/beneficiaires/{profile.id}?enregistre=1", status_code=303)


@router.get("/beneficiaires/{beneficiary_id}/dossier")
def person_file_page(request: Request, beneficiary_id: str, principal: Coach) -> Response:
    """The person's own file, printable, to hand over (GDPR art. 15 and 22); audited."""
    found = person_file.person_file(
        service_state(request), principal, beneficiary_id, request_id_var.get()
    )
    return render(request, "coach/person_file.html",
                  {"file": found, "ref": beneficiary_id, "tax": load_taxonomy()})  # fmt: skip


@router.post("/beneficiaires/nouveau")
async def create_profile(
    request: Request, principal: Coach, background: BackgroundTasks
) -> Response:
    """Record a new beneficiary from the form."""
    return _save(request, principal, await request.form(), None, background)


@router.post("/beneficiaires/{beneficiary_id}")
async def update_profile(
    request: Request, beneficiary_id: str, principal: Coach, background: BackgroundTasks
) -> Response:
    """Save the edited profile (monitoring attributes kept as stored)."""
    return _save(request, principal, await request.form(), beneficiary_id, background)


@router.get("/competences")
def skill_suggestions(
    request: Request,
    principal: Coach,
    terme: Annotated[str, Query(max_length=200)] = "",
    target_rome_codes: Annotated[list[str], Query(max_length=10)] = [],  # noqa: B006
) -> Response:
    """The datalist options for the skill being typed (French ROME and ESCO labels), the
    core items of the ticked métiers first."""
    found = (
        load_taxonomy().suggest_skills(terme, metiers=target_rome_codes)
        if len(terme.strip()) >= 3
        else []
    )
    return render(request, "coach/_skill_options.html", {"skills": found})


@router.post("/metiers")
async def link_aspiration(request: Request, principal: Coach) -> Response:
    """ROME métiers (and ESCO occupations) proposed for the aspiration's words, to tick."""
    state = service_state(request)
    form = await request.form()
    words = text(form, "aspiration_text")
    if len(words) < 3:
        return render(request, "coach/_metiers.html", {"results": None, "words": words})
    skills = [line.strip() for line in text(form, "skills").splitlines() if line.strip()]
    readings = await searches.read_wish(state, principal, words, skills)
    return render(request, "coach/_metiers.html", {"results": readings, "words": words})


@router.post("/competences/lues")
async def skills_in_notes(request: Request, principal: Coach) -> Response:
    """The skills a pasted CV or typed notes name, to add to the profile by a click; the text
    is read, not kept."""
    notes = text(await request.form(), "notes")[:20_000]
    found = linking.suggest_skills(SkillTextRequest(text=notes)) if notes.strip() else []
    return render(request, "coach/_skills_read.html", {"found": found, "asked": bool(notes)})


@router.post("/beneficiaires/{beneficiary_id}/shortlist")
async def ask_shortlist(request: Request, beneficiary_id: str, principal: Coach) -> Response:
    """Compute a shortlist (every kind) and open it."""
    body = ShortlistRequest(beneficiary_id=beneficiary_id, top=10)
    result = await searches.shortlist(service_state(request), principal, body)
    return RedirectResponse(f"/coach/shortlists/{result.id}", status_code=303)


def _shortlist_context(request: Request, principal: Any, shortlist_id: str) -> dict[str, Any]:
    state = service_state(request)
    response = shortlists.read_shortlist(state, principal, shortlist_id)
    result = response.shortlist
    tabs = [
        (kind.value, labels.KINDS[kind.value], result.by_kind.get(kind, []))
        for kind in OpportunityKind
    ]
    if not result.by_kind:  # a shortlist of one kind keeps its items in ``items``
        tabs = [(k, label, [i for i in result.items if i.kind.value == k]) for k, label, _ in tabs]
    return {"response": response, "result": result, "tabs": tabs, "labels": labels}


@router.get("/shortlists/{shortlist_id}")
def shortlist_page(request: Request, shortlist_id: str, principal: Coach) -> Response:
    """A shortlist: tabs for jobs, internships and trainings; cards with reasons, matched and
    missing skills, distance; pathways where a gap blocks the aspiration."""
    return render(
        request, "coach/shortlist.html", _shortlist_context(request, principal, shortlist_id)
    )


@router.get("/shortlists/{shortlist_id}/imprimer")
def shortlist_print(request: Request, shortlist_id: str, principal: Coach) -> Response:
    """The shortlist laid out for the meeting (every kind, printable)."""
    context = _shortlist_context(request, principal, shortlist_id)
    return render(request, "coach/shortlist_print.html", context)


@router.post("/resultats")
async def record_outcome(request: Request, principal: Coach) -> Response:
    """Record what happened with one card's opportunity (from the card)."""
    form = await request.form()
    kind = text(form, "type")
    body = parse(
        OutcomeIn,
        {
            "id": f"web-{uuid.uuid4().hex[:20]}",
            "beneficiary_id": text(form, "beneficiary_id"),
            "opportunity_id": text(form, "opportunity_id"),
            "type": kind,
            "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
            "refusal_reason": optional(form, "refusal_reason") if kind == "refused" else None,
            "shortlist_id": optional(form, "shortlist_id"),
            "rank": optional(form, "rank"),
        },
    )
    event = outcomes.record_outcome(service_state(request), principal, body, request_id_var.get())
    return render(request, "coach/_outcome_saved.html", {"event": event, "labels": labels})


@router.get("/demandes")
def contact_requests(request: Request, principal: Coach) -> Response:
    """Employers' contact requests about the CPAS's beneficiaries."""
    items = pool.coach_requests(service_state(request), principal)
    return render(request, "coach/requests.html", {"items": items, "labels": labels})


@router.post("/demandes/{contact_id}")
async def decide_request(request: Request, contact_id: str, principal: Coach) -> Response:
    """Answer a request after talking with the person: accept (with what they share) or
    decline."""
    form = await request.form()
    accept = text(form, "decision") == "accepter"
    shared = (
        {k: optional(form, k) for k in ("first_name", "phone", "email", "note")} if accept else None
    )
    body = parse(ContactDecision, {"accept": accept, "shared": shared})
    pool.decide(service_state(request), principal, contact_id, body, request_id_var.get())
    return RedirectResponse("/coach/demandes", status_code=303)


@router.get("/journees")
def job_days(request: Request, principal: Coach) -> Response:
    """The job days the CPAS takes part in, with its people's convocations."""
    days = jobdays.list_job_days(service_state(request), principal)
    return render(request, "coach/jobdays.html", {"days": days})


@router.post("/journees/{job_day_id}/participants")
async def participation(request: Request, job_day_id: str, principal: Coach) -> Response:
    """Nominate one of the CPAS's beneficiaries for a job day, or cancel their participation;
    a planned day is re-planned in the background (the others keep their interviews)."""
    form = await request.form()
    body = parse(
        ParticipationIn,
        {"beneficiary_id": text(form, "beneficiary_id"), "status": text(form, "status")},
    )
    state, rid = service_state(request), request_id_var.get()

    def work(progress: Progress) -> Any:
        progress("inscription enregistrée ; re-planification si la journée est planifiée", 0.2)
        plan = jobdays.set_participation(
            state, principal, job_day_id, body, rid, today=state.settings.today()
        )
        return "replanned" if plan is not None else "recorded"

    label = {"nominated": "Inscription", "cancelled": "Désistement"}[body.status.value]
    return start_task(
        request,
        principal.user_id,
        f"{label} de {body.beneficiary_id}",
        work,
        result_template="coach/_participation.html",
        kept="Le choix est enregistré entièrement ou pas du tout ; le planning en vigueur reste "
        "le dernier enregistré complet.",
        retry=Retry(
            f"/coach/journees/{job_day_id}/participants",
            {"beneficiary_id": body.beneficiary_id, "status": body.status.value},
        ),
    )


@router.get("/journees/{job_day_id}/convocations")
def convocations(request: Request, job_day_id: str, principal: Coach) -> HTMLResponse:
    """The printable convocations of the CPAS's people for a job day."""
    found = jobdays.convocations(service_state(request), principal, job_day_id)
    return HTMLResponse(documents.convocations_html(found))


@router.get("/journees/{job_day_id}/convocations.ics")
def convocations_ics(request: Request, job_day_id: str, principal: Coach) -> Response:
    """The convocations as calendar events (ICS)."""
    found = jobdays.convocations(service_state(request), principal, job_day_id)
    return calendar(found, f"convocations-{job_day_id}.ics")

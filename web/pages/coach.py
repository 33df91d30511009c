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
from data_contracts.models import BeneficiaryProfile
from services import beneficiaries, documents, jobdays, linking, outcomes, pool, shortlists
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
from web.forms import EmptyAsNone, checked, lines, many, optional, parse, text
from web.session import Coach
from web.tasks import Progress
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


def _form_context(profile: BeneficiaryProfile | None, **extra: Any) -> dict[str, Any]:
    tax = load_taxonomy()
    targets = []
    if profile is not None:
        for code in profile.aspirations.target_rome_codes:
            label = tax.metiers[code].label if code in tax.metiers else code
            targets.append((code, label))
    return {"profile": profile, "targets": targets, "labels": labels, "tax": tax, **extra}


@router.get("/beneficiaires/nouveau")
def new_profile(request: Request, principal: Coach) -> Response:
    """An empty profile form."""
    return render(request, "coach/profile.html", _form_context(None, creating=True))


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
        _form_context(
            profile,
            creating=False,
            history=history.items,
            events=events,
            news=news,
            saved=request.query_params.get("enregistre") == "1",
        ),
    )


def _profile_data(
    form: FormData, beneficiary_id: str, before: BeneficiaryProfile | None
) -> dict[str, Any]:
    """The form's fields as a profile body (skills resolved against the taxonomy)."""
    tax = load_taxonomy()
    levels = {s.id: s.level for s in before.skills} if before else {}
    skills: list[dict[str, Any]] = []
    unknown: list[str] = []
    for line in lines(form, "skills"):
        found = tax.resolve_skill(line).skill
        if found is None:
            unknown.append(line)
        elif found.id not in {s["id"] for s in skills}:
            skills.append({"id": found.id, "label": found.label, "level": levels.get(found.id, 2)})
    if unknown:
        raise InvalidRequestError(
            "compétences inconnues : choisissez une proposition de la liste",
            "unknown skills",
            details=[
                {"loc": ["compétences", u], "msg": "inconnue du référentiel", "type": "unknown"}
                for u in unknown
            ],
        )
    experiences = []
    for line in lines(form, "experiences"):
        title, _, months = line.partition(";")
        experiences.append(
            {"title": title.strip(), "months": int(months) if months.strip().isdigit() else 0}
        )
    languages = []
    if text(form, "french_level"):
        languages.append({"language": "fr", "level": text(form, "french_level")})
    for token in text(form, "other_languages").replace(";", ",").split(","):
        parts = token.split()
        if len(parts) == 2:
            languages.append({"language": parts[0].lower(), "level": parts[1].upper()})
        elif token.strip():
            raise InvalidRequestError(
                f"langue mal écrite : « {token.strip()} » (écrivez par exemple « nl A2 »)",
                "badly written language",
            )
    licences = many(form, "driving_licences")
    consent = checked(form, "employer_pool")
    given = before.consent.given_at if before and before.consent.employer_pool else None
    return {
        "id": beneficiary_id,
        "skills": skills,
        "experiences": experiences,
        "education_level": text(form, "education_level") or "none",
        "languages": languages,
        "aspirations": {
            "text": text(form, "aspiration_text"),
            "target_rome_codes": list(dict.fromkeys(many(form, "target_rome_codes"))),
            "target_esco_uris": before.aspirations.target_esco_uris if before else [],
        },
        "constraints": {
            "home_postcode": optional(form, "home_postcode"),
            "max_distance_km": optional(form, "max_distance_km") or 25,
            "max_travel_minutes": optional(form, "max_travel_minutes"),
            "transport_modes": many(form, "transport_modes") or ["public_transport"],
            "driving_licences": licences,
            "available_shifts": many(form, "available_shifts") or ["day"],
            "max_hours_per_week": optional(form, "max_hours_per_week") or 38,
            "available_from": optional(form, "available_from"),
            "childcare": checked(form, "childcare"),
        },
        "trajectory_phase": text(form, "trajectory_phase") or "project",
        "article_60_eligible": checked(form, "article_60_eligible"),
        "consent": {
            "employer_pool": consent,
            "given_at": (given or dt.date.today()) if consent else None,
        },
    }


def _save(request: Request, principal: Any, form: FormData, beneficiary_id: str | None,
          background: BackgroundTasks) -> Response:  # fmt: skip
    state = service_state(request)
    creating = beneficiary_id is None
    before = (
        None if creating else beneficiaries.read_beneficiary(state, principal, beneficiary_id or "")
    )
    ident = text(form, "id") if creating else beneficiary_id or ""
    try:
        body = parse(BeneficiaryIn, _profile_data(form, ident, before))
        if creating:
            profile = beneficiaries.create_beneficiary(state, principal, body)
        else:
            profile = beneficiaries.replace_beneficiary(
                state, principal, ident, body, keep_monitoring=True
            )
    except InvalidRequestError as exc:
        context = _form_context(before, creating=creating, error=exc.fr, problems=exc.details,
                                form=form)  # fmt: skip
        return render(request, "coach/profile.html", context, status_code=422)
    background.add_task(beneficiaries.prepare_query_vector, state, profile)
    return RedirectResponse(f"/coach/beneficiaires/{profile.id}?enregistre=1", status_code=303)


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
    request: Request, principal: Coach, terme: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    """The datalist options for the skill being typed (French ROME and ESCO labels)."""
    found = load_taxonomy().suggest_skills(terme) if len(terme.strip()) >= 3 else []
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

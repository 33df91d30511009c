"""The employer's pages: describe a need or pick one of its offers, browse the anonymised,
k-anonymous cards, ask for a contact, and follow the requests (the person's coach answers
after asking them). Same services as ``/api/v1/pool``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services import opportunities, pool
from services.pool_schemas import ContactRequestIn, PoolNeed
from serving import searches
from serving.state import request_id_var
from web import labels
from web.context import service_state
from web.forms import many, optional, parse, text
from web.session import EmployerUser
from web.templating import render

router = APIRouter(prefix="/employeur", include_in_schema=False)
SEARCH_LIMIT = 10


@router.get("/vivier")
def pool_page(request: Request, principal: EmployerUser) -> Response:
    """The need form (one of the employer's offers, or words and prerequisites)."""
    offers, _ = opportunities.search_opportunities(
        service_state(request), principal, opportunities.OpportunityQuery(), 100, 0
    )
    k = service_state(request).settings.pool_k
    return render(request, "employer/pool.html", {"offers": offers, "labels": labels, "k": k})


@router.post("/vivier/recherche")
async def search(request: Request, principal: EmployerUser) -> Response:
    """A page of anonymised cards for the need (audited; within the daily card budget)."""
    form = await request.form()
    state = service_state(request)
    offer = optional(form, "opportunity_id")
    need: dict[str, Any] = {
        "opportunity_id": offer,
        "limit": SEARCH_LIMIT,
        "offset": int(text(form, "offset")) if text(form, "offset").isdigit() else 0,
    }
    if offer is None:
        need.update(
            text=optional(form, "text"),
            rome_code=optional(form, "rome_code"),
            postcode=optional(form, "postcode"),
            french_level=optional(form, "french_level"),
            driving_licence=optional(form, "driving_licence"),
            hours_per_week=optional(form, "hours_per_week"),
            shifts=many(form, "shifts"),
        )
    body = parse(PoolNeed, need)
    found = await searches.pool_search(state, principal, body)
    return render(
        request,
        "employer/_cards.html",
        {"page": found, "offer": offer, "form": form, "labels": labels, "limit": SEARCH_LIMIT},
    )


@router.post("/demandes")
async def ask_contact(request: Request, principal: EmployerUser) -> Response:
    """Ask to meet a card (the card's fragment then says the request is pending)."""
    form = await request.form()
    body = parse(
        ContactRequestIn,
        {
            "card": text(form, "card"),
            "opportunity_id": optional(form, "opportunity_id"),
            "message": text(form, "message"),
        },
    )
    out = pool.request_contact(service_state(request), principal, body, request_id_var.get())
    return render(
        request, "employer/_requested.html", {"r": out, "labels": labels}, status_code=201
    )


@router.get("/demandes")
def my_requests(request: Request, principal: EmployerUser) -> Response:
    """The employer's requests and where they stand (shared contact once accepted)."""
    items = pool.employer_requests(service_state(request), principal)
    return render(request, "employer/requests.html", {"items": items, "labels": labels})

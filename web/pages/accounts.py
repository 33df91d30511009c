"""The administrator's account pages: users and roles, a new account (a refusal stays on the
form with what was typed and a French sentence), an account's CPAS or partner CPAS changed,
and deactivation after a confirmation page (the account's sessions end at once).

Each page calls ``serving.accounts``, as the API's admin routes do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from services.schemas import UserIn, UserPatch
from serving import accounts
from serving.errors import http_status
from serving.state import request_id_var
from tremplin.actors import PERSON_ROLES, Role
from tremplin.errors import DomainError
from web.context import service_state
from web.forms import lines, optional, parse, text
from web.session import Admin
from web.templating import ROLE_NAMES, render

router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE = 50


def _list_context(request: Request, page: int, **extra: Any) -> dict[str, Any]:
    state = service_state(request)
    found = accounts.list_users(state, PAGE, (page - 1) * PAGE)
    return {
        "items": found.items,
        "total": found.total,
        "roles": [(r.value, ROLE_NAMES[r]) for r in PERSON_ROLES],
        "cpas": accounts.cpas_directory(state),
        "page": page,
        "pages": max(1, -(-found.total // PAGE)),
        **extra,
    }


@router.get("/utilisateurs")
def user_list(
    request: Request, principal: Admin, page: Annotated[int, Query(ge=1, le=100_000)] = 1
) -> Response:
    """Users and their roles; the creation form."""
    context = _list_context(request, page, created=request.query_params.get("cree"),
                            changed=request.query_params.get("modifie"))  # fmt: skip
    return render(request, "admin/users.html", context)


def _new_user(form: FormData) -> UserIn:
    role = text(form, "role")
    return parse(
        UserIn,
        {
            "username": text(form, "username"),
            "password": text(form, "password"),
            "role": role,
            "cpas_id": optional(form, "cpas_id") if role == Role.COACH.value else None,
            "employer_id": optional(form, "employer_id") if role == Role.EMPLOYER.value else None,
            "partner_cpas": list(dict.fromkeys(form.getlist("partner_cpas") or []))
            if role == Role.MAISON_EMPLOI.value
            else [],
        },
    )


@router.post("/utilisateurs")
async def create_user(request: Request, principal: Admin) -> Response:
    """Create a user with a role (and its CPAS, partner CPAS or employer); a refusal (a name
    taken, an unknown CPAS or employer, a weak password) shows the form again, as typed."""
    form = await request.form()
    try:
        out = accounts.add_user(
            service_state(request), principal, _new_user(form), request_id_var.get()
        )
    except DomainError as exc:
        context = _list_context(request, 1, error=exc.fr, problems=exc.details, form=form)
        return render(request, "admin/users.html", context, status_code=http_status(exc))
    return RedirectResponse(f"/admin/utilisateurs?cree={out.username}", status_code=303)


def _user_context(request: Request, username: str, **extra: Any) -> dict[str, Any]:
    state = service_state(request)
    return {
        "user": accounts.read_user(state, username),
        "cpas": accounts.cpas_directory(state),
        "role_names": {r.value: ROLE_NAMES[r] for r in PERSON_ROLES},
        **extra,
    }


@router.get("/utilisateurs/{username}")
def user_page(request: Request, username: str, principal: Admin) -> Response:
    """One account: its CPAS (a coach) or partner CPAS (a Maison de l'emploi), its state."""
    return render(request, "admin/user.html", _user_context(request, username))


async def _change(request: Request, username: str, principal: Any, body: UserPatch) -> Response:
    try:
        accounts.change_user(service_state(request), principal, username, body,
                             request_id_var.get())  # fmt: skip
    except DomainError as exc:
        context = _user_context(request, username, error=exc.fr, problems=exc.details)
        return render(request, "admin/user.html", context, status_code=http_status(exc))
    return RedirectResponse(f"/admin/utilisateurs?modifie={username}", status_code=303)


@router.post("/utilisateurs/{username}/rattachement")
async def change_scope(request: Request, username: str, principal: Admin) -> Response:
    """Tie a coach to another CPAS, or set a Maison de l'emploi's partner CPAS."""
    form = await request.form()
    user = accounts.read_user(service_state(request), username)
    if user.role is Role.COACH:
        body = parse(UserPatch, {"cpas_id": text(form, "cpas_id")})
    else:
        partners = [*form.getlist("partner_cpas"), *lines(form, "other_partners")]
        body = parse(UserPatch, {"partner_cpas": [str(p) for p in partners if str(p).strip()]})
    return await _change(request, username, principal, body)


@router.post("/utilisateurs/{username}/desactiver")
async def deactivate(request: Request, username: str, principal: Admin) -> Response:
    """Ask for a confirmation first; once confirmed, deactivate (sessions end at once)."""
    form = await request.form()
    if text(form, "confirme") != "oui":
        return render(request, "admin/user_deactivate.html", _user_context(request, username))
    return await _change(request, username, principal, UserPatch(active=False))


@router.post("/utilisateurs/{username}/reactiver")
async def reactivate(request: Request, username: str, principal: Admin) -> Response:
    """Let a deactivated account sign in again."""
    return await _change(request, username, principal, UserPatch(active=True))

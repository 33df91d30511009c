"""Rendering: the Jinja2 environment (autoescaped), French formats, and the page context
every template gets (who is signed in, their menu, the CSRF token)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from serving.state import ServiceState
from tremplin import french
from tremplin.actors import Principal, Role
from tremplin.settings import BRUSSELS
from web import labels
from web.messages import french_line, french_problem
from web.session import CSRF_FIELD, CSRF_HEADER, csrf_token, session_secret

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

ROLE_NAMES = {
    Role.COACH: "Accompagnement CPAS",
    Role.MAISON_EMPLOI: "Maison de l'emploi",
    Role.EMPLOYER: "Employeur",
    Role.ADMIN: "Administration",
}
MENUS: dict[Role, list[tuple[str, str]]] = {
    Role.COACH: [
        ("/coach/beneficiaires", "Bénéficiaires"),
        ("/coach/demandes", "Demandes de contact"),
        ("/coach/journees", "Journées emploi"),
    ],
    Role.MAISON_EMPLOI: [
        ("/maison/journees", "Journées emploi"),
        ("/maison/opportunites", "Opportunités"),
    ],
    Role.EMPLOYER: [
        ("/employeur/vivier", "Vivier anonyme"),
        ("/employeur/demandes", "Mes demandes"),
    ],
    Role.ADMIN: [
        ("/admin/modeles", "Modèles"),
        ("/admin/equite", "Équité et qualité"),
        ("/admin/utilisateurs", "Utilisateurs"),
        ("/admin/journal", "Journal d'audit"),
    ],
}
HOMES = {role: items[0][0] for role, items in MENUS.items()}


def in_brussels(value: dt.datetime) -> dt.datetime:
    """An instant as the service's users read it: Brussels time (a stored time without a zone
    is UTC, as the store writes it)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(BRUSSELS)


def local_date(value: dt.date | dt.datetime) -> dt.date:
    """The day of an instant in Brussels (a date is itself)."""
    return in_brussels(value).date() if isinstance(value, dt.datetime) else value


def french_date(value: dt.date | dt.datetime | None) -> str:
    """``2 décembre 2026`` (an instant: its day in Brussels; empty for nothing)."""
    return french.french_date(local_date(value)) if value is not None else ""


def hour(value: dt.datetime | dt.time | None) -> str:
    """``9 h 30`` (an instant: in Brussels time)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = in_brussels(value)
    return f"{value.hour} h {value.minute:02d}"


def percent(value: float | None, digits: int = 0) -> str:
    """``42 %`` (French spacing)."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}".replace(".", ",") + "\u00a0%"


def number(value: float | None, digits: int = 2) -> str:
    """A decimal number with a French comma."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",")


def other_languages(languages: list[Any]) -> str:
    """A profile's languages other than French, as the form writes them (``nl A2, ar C2``)."""
    return ", ".join(f"{lang.language} {lang.level}" for lang in languages if lang.language != "fr")


templates.env.filters.update(
    french_date=french_date,
    local_date=local_date,
    hour=hour,
    percent=percent,
    number=number,
    other_languages=other_languages,
    french_problem=french_problem,
    french_line=french_line,
)
templates.env.globals["labels"] = labels


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The template ``name`` with the page context (principal, menu, CSRF token)."""
    state: ServiceState = request.app.state.tremplin
    principal: Principal | None = getattr(request.state, "principal", None)
    secret = session_secret(request)
    page: dict[str, Any] = {
        "principal": principal,
        "role_name": ROLE_NAMES.get(principal.role, "") if principal else "",
        "menu": MENUS.get(principal.role, []) if principal else [],
        "path": request.url.path,
        "csrf": csrf_token(state, secret) if secret and principal else "",
        "csrf_field": CSRF_FIELD,
        "csrf_header": CSRF_HEADER,
        "fragment": bool(request.headers.get("HX-Request")),
        # lists name each CPAS (« CPAS de Liège »), never by its identifier
        "cpas_names": state.cpas_names() if principal else {},
    }
    page.update(context or {})
    return templates.TemplateResponse(request, name, page, status_code=status_code, headers=headers)

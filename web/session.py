"""Page sessions: the API's own expiring bearer token, kept in an HttpOnly, SameSite=Strict
cookie, and a CSRF token bound to it for every form and htmx call that changes something.

A page that needs a role declares it with :func:`page_roles`: no session sends the browser to
the sign-in page (with the page to come back to); a session of another role gets the French
403 page, exactly as the API answers 403.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from serving.deps import get_state, principal_of
from serving.state import ServiceState
from tremplin.actors import Principal, Role
from tremplin.errors import PolicyRefusedError

COOKIE = "tremplin_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


class SignInRequired(Exception):
    """No live session: the page redirects to the sign-in form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def csrf_token(state: ServiceState, secret: str) -> str:
    """The CSRF token of a session (an HMAC of its credential: nothing else to store)."""
    mac = hmac.new(state.pseudonym_key, b"csrf|" + secret.encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


def session_secret(request: Request) -> str | None:
    """The session's credential from its cookie, if any."""
    return request.cookies.get(COOKIE)


async def session_principal(request: Request) -> Principal | None:
    """Who holds the request's session (None without a live one)."""
    secret = session_secret(request)
    if not secret:
        return None
    state: ServiceState = await get_state(request)
    principal = await principal_of(state, "token", secret)
    if principal is not None:
        request.state.principal = principal
    return principal


def _next_path(request: Request) -> str:
    path = request.url.path
    if request.headers.get("HX-Request"):  # a fragment: come back to the page it sits on
        current = request.headers.get("HX-Current-URL", "")
        path = "/" + current.split("/", 3)[3] if current.count("/") >= 3 else "/"
    elif request.url.query:
        path += "?" + request.url.query
    return quote(path, safe="/?=&")


def page_roles(*allowed: Role) -> object:
    """A dependency giving the session's principal when its role is in ``allowed``; signs in
    first when there is no session; 403 for another role. POSTs must carry the session's CSRF
    token (form field or htmx header)."""

    async def guard(request: Request) -> Principal:
        principal = await session_principal(request)
        if principal is None:
            raise SignInRequired(_next_path(request))
        if principal.role not in allowed:
            raise PolicyRefusedError(
                "votre rôle ne permet pas d'ouvrir cette page",
                "your role does not allow this page",
            )
        if request.method not in ("GET", "HEAD"):
            await _check_csrf(request)
        return principal

    return Depends(guard)


async def _check_csrf(request: Request) -> None:
    state: ServiceState = await get_state(request)
    secret = session_secret(request) or ""
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not hmac.compare_digest(given, csrf_token(state, secret)):
        raise PolicyRefusedError(
            "formulaire expiré ou d'une autre session : rechargez la page",
            "missing or wrong CSRF token: reload the page",
        )


Coach = Annotated[Principal, page_roles(Role.COACH)]
Organiser = Annotated[Principal, page_roles(Role.MAISON_EMPLOI)]
EmployerUser = Annotated[Principal, page_roles(Role.EMPLOYER)]
Admin = Annotated[Principal, page_roles(Role.ADMIN)]
Anyone = Annotated[Principal, page_roles(Role.COACH, Role.MAISON_EMPLOI, Role.EMPLOYER, Role.ADMIN)]

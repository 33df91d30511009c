"""Pages for everyone: sign-in and sign-out, the home that sends each role to its pages, and
the progress of a long operation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from serving import accounts
from tremplin.errors import RateLimitedError, UnauthenticatedError
from web.context import service_state, task_runner
from web.session import COOKIE, Anyone, session_principal
from web.templating import HOMES, render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    """A local page to come back to (never another site: no scheme, no ``//``)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/")
async def home(request: Request) -> Response:
    """Each role's first page; the sign-in page without a session."""
    principal = await session_principal(request)
    if principal is None:
        return RedirectResponse("/connexion", status_code=303)
    return RedirectResponse(HOMES.get(principal.role, "/connexion"), status_code=303)


@router.get("/connexion")
def sign_in_page(request: Request, suivant: str | None = None) -> Response:
    """The sign-in form."""
    return render(request, "login.html", {"next": _safe_next(suivant) or ""})


@router.post("/connexion")
def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    suivant: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the password (throttled like the API), open the session, go on."""
    state = service_state(request)
    address = request.client.host if request.client else "-"
    try:
        token = accounts.sign_in(state, username.strip(), password, address)
    except (UnauthenticatedError, RateLimitedError) as exc:
        status = 429 if isinstance(exc, RateLimitedError) else 401
        return render(
            request,
            "login.html",
            {"next": _safe_next(suivant) or "", "error": exc.fr, "username": username},
            status_code=status,
        )
    target = _safe_next(suivant) or HOMES.get(token.role, "/")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token.access_token,
        max_age=state.settings.token_ttl_minutes * 60,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/deconnexion")
def sign_out(request: Request, principal: Anyone) -> Response:
    """Close the session: its token is revoked, the cookie removed."""
    accounts.sign_out(service_state(request), principal)
    response = RedirectResponse("/connexion", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/taches/{task_id}")
def task_progress(request: Request, task_id: str, principal: Anyone) -> Response:
    """Where a long operation is (the page polls this fragment until it ends)."""
    task = task_runner(request).get(task_id, principal.user_id)
    headers = {"HX-Redirect": task.redirect} if task.redirect and task.status == "done" else None
    return render(request, "_task.html", {"task": task}, headers=headers)

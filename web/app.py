"""The whole service: the API (``serving.app``) with the pages mounted beside it.

Pages answer in HTML, the API in JSON: a rule of the domain broken on a page (403, 404, 409,
422...) shows the French page or fragment with the same status the API would answer, and a
missing session sends the browser to the sign-in page.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from serving.app import create_app
from serving.errors import http_headers, http_status
from serving.state import request_id_var
from tremplin.errors import DomainError
from tremplin.settings import Settings, get_settings
from web.pages import accounts, admin, coach, common, employer, maison
from web.session import SignInRequired
from web.tasks import TaskRunner
from web.templating import HERE, render

log = logging.getLogger("tremplin.pages")
PAGE_PREFIXES = (
    "/connexion",
    "/deconnexion",
    "/coach",
    "/maison",
    "/employeur",
    "/admin",
    "/taches",
    "/static",
)


API_PREFIXES = ("/api/", "/docs", "/redoc", "/openapi", "/health", "/ready", "/metrics")


def is_page(request: Request) -> bool:
    """Whether the request is for a page (HTML), not the API or its documentation: the
    pages' addresses, and any other address a browser asks (an unknown one gets the French
    page, not the API's JSON)."""
    path = request.url.path
    if path == "/" or path.startswith(PAGE_PREFIXES):
        return True
    return not path.startswith(API_PREFIXES) and "text/html" in request.headers.get("accept", "")


def create_site(settings: Settings | None = None, load_engine: bool = True) -> FastAPI:
    """The API and the pages in one application (what ``tremplin serve`` runs)."""
    app = create_app(settings or get_settings(), load_engine=load_engine)
    state = app.state.tremplin
    settings = state.settings
    app.state.tasks = tasks = TaskRunner(
        state.factory,
        heartbeat_s=settings.task_heartbeat_s,
        stale_s=settings.task_stale_s,
        grace_s=settings.task_grace_s,
    )
    state.on_stop.append(tasks.shutdown)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (common, coach, maison, employer, admin, accounts):
        app.include_router(module.router)
    _page_errors(app)
    return app


def _error_page(request: Request, status: int, message: str, problems: Any = None) -> Response:
    """The French error page (or fragment); the technical side goes to the log, under the
    request id the page shows for support (locations and problem kinds, never the input)."""
    if problems:
        log.info(
            "page refused (%s): %s",
            status,
            "; ".join(f"{p.get('loc')}: {p.get('type')}" for p in problems if isinstance(p, dict)),
        )
    name = "_error.html" if request.headers.get("HX-Request") else "error.html"
    return render(request, name, {"status": status, "message": message, "problems": problems,
                                  "request_id": request_id_var.get()}, status_code=status)  # fmt: skip


async def _delegate(handler: Any, request: Request, exc: Exception) -> Response:
    """The API's own handler for ``exc`` (sync or async)."""
    result = handler(request, exc)
    response: Response = await result if inspect.isawaitable(result) else result
    return response


def _page_errors(app: FastAPI) -> None:
    """HTML errors on pages; the API's JSON handlers everywhere else."""
    api_domain = app.exception_handlers[DomainError]
    api_http = app.exception_handlers[StarletteHTTPException]
    api_invalid = app.exception_handlers[RequestValidationError]

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired) -> Response:
        target = f"/connexion?suivant={exc.next_path}"
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if not is_page(request):
            return await _delegate(api_domain, request, exc)
        problems = exc.details
        response = _error_page(request, http_status(exc), exc.fr, problems)
        response.headers.update(http_headers(exc) or {})
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_page(request) or request.url.path.startswith("/static"):
            return await _delegate(api_http, request, exc)
        message = {404: "Page introuvable.", 405: "Action non permise sur cette page."}.get(
            exc.status_code, "La demande n'a pas pu aboutir."
        )
        return _error_page(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if not is_page(request):
            return await _delegate(api_invalid, request, exc)
        problems = [
            {"loc": e.get("loc", ()), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return _error_page(request, 422, "Le formulaire contient des erreurs.", problems)

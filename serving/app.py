"""The FastAPI application factory.

``create_app(settings)`` wires the database (migrated to the latest schema), the matching
engine (loaded at start; ``/readyz`` says when it is), the rate limiter, the metrics, the
middleware (request ids, body limit, access log) and the routers under ``/api/v1``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.engine import MatchingService
from serving.credential_cache import CredentialCache
from serving.errors import http_headers, http_status
from serving.metrics import Metrics
from serving.middleware import ServiceMiddleware
from serving.ratelimit import RateLimiter
from serving.routers import (
    admin,
    auth,
    beneficiaries,
    fresh,
    health,
    hiring,
    jobdays,
    occupations,
    opportunities,
    outcomes,
    pool,
    shortlists,
)
from serving.signin import SignInGuard
from serving.state import ServiceState, request_id_var
from tremplin import __version__
from tremplin.audit import pseudonym_key
from tremplin.errors import DomainError, ErrorCode, field_problems
from tremplin.settings import Settings, get_settings
from tremplin.store.db import make_engine, session_factory, upgrade
from tremplin.store.limits import DatabaseLimits, MemoryLimits

log = logging.getLogger("tremplin.api")

DESCRIPTION = """
Tremplin recommande des offres d'emploi, des stages et des modules de formation aux
bénéficiaires des CPAS, avec les raisons et les parcours. Chaque route indique les rôles
admis (`x-roles`). Les erreurs répondent en français et en anglais.
"""


class RequestIdFilter(logging.Filter):
    """Adds the current request id to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


def build_state(settings: Settings) -> ServiceState:
    """The shared objects of one app (database migrated, engine not loaded yet)."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    factory = session_factory(engine)
    key = pseudonym_key(settings)
    limits = DatabaseLimits(factory, key) if settings.shared_limits else MemoryLimits()
    return ServiceState(
        settings=settings,
        engine=engine,
        factory=factory,
        matching=MatchingService(settings, factory),
        limiter=RateLimiter(settings.search_rate_per_minute, limits, "search"),
        title_budget=RateLimiter(settings.link_titles_per_user_per_minute, limits, "titles"),
        role_title_budget=RateLimiter(
            settings.link_titles_per_role_per_minute, limits, "role_titles"
        ),
        credentials=CredentialCache(settings.credential_cache_s),
        metrics=Metrics(),
        pseudonym_key=key,
        signin=SignInGuard(store=limits),
    )


DOCS_ASSETS = "/docs-assets"


def create_app(settings: Settings | None = None, load_engine: bool = True) -> FastAPI:
    """A configured application (``load_engine=False`` for tests that need no matching)."""
    settings = settings or get_settings()
    state = build_state(settings)

    state.matching.listeners.append(state.metrics.set_model)  # every swap, reloads included

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if load_engine:
            try:
                await run_in_threadpool(state.matching.reload)
            except Exception:  # readyz reports it; the API still answers the rest
                log.exception("the matching engine did not load")
            v = state.matching.versions()
            state.metrics.set_model(v)
            if state.matching.ready:
                state.matching.prepare_profiles()
                if settings.warm_title_linker:
                    state.matching.prepare_linker()
            state.matching.watch(settings.catalogue_check_s)
        yield
        for stop in state.on_stop:  # page tasks end or are marked interrupted first
            await run_in_threadpool(stop)
        state.matching.stop()
        state.engine.dispose()

    # Swagger UI and ReDoc with their scripts, styles and favicon served from the installed
    # fastapi-offline package: the pages work on a network without internet access
    app = FastAPIOffline(
        title="Tremplin API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        static_url=DOCS_ASSETS,
        swagger_ui_parameters={"tryItOutEnabled": True, "displayRequestDuration": True},
    )

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> RedirectResponse:
        return RedirectResponse(f"{DOCS_ASSETS}/favicon.png", status_code=308)

    app.state.tremplin = state
    app.add_middleware(
        ServiceMiddleware, metrics=state.metrics, max_body_bytes=settings.max_body_bytes
    )
    _install_error_handlers(app)
    _document_error_body(app)
    for module in (
        health,
        auth,
        beneficiaries,
        opportunities,
        shortlists,
        fresh,
        outcomes,
        occupations,
        jobdays,
        pool,
        hiring,
        admin,
    ):
        app.include_router(module.router)
    return app


def _document_error_body(app: FastAPI) -> None:
    """Document the 422 body the handlers really send: a list of field errors (validation)
    or a sentence (a rule of the domain), with the request id."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = doc.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = {
                    "title": "HTTPValidationError",
                    "type": "object",
                    "properties": {
                        "detail": {
                            "anyOf": [
                                {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/ValidationError"},
                                },
                                {"type": "string"},
                            ],
                            "title": "Detail",
                        },
                        "message": {"type": "string"},
                        "code": {"type": "string", "enum": [c.value for c in ErrorCode]},
                        "request_id": {"type": "string"},
                    },
                    "required": ["detail"],
                }
            _document_common_statuses(doc)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


COMMON_STATUSES: dict[str, str] = {
    "400": "Corps illisible (JSON mal formé) / malformed body",
    "401": "Non authentifié / not authenticated",
    "403": "Rôle ou périmètre insuffisant / role or scope not allowed",
    "413": "Corps trop volumineux / body too large",
    "429": "Trop d'appels, voir Retry-After / too many calls, see Retry-After",
    "500": "Erreur inattendue : citez request_id / unexpected error: quote request_id",
}


def _document_common_statuses(doc: dict[str, Any]) -> None:
    """Declare on each operation the statuses the middleware and guards can answer for it: 401
    and 403 where a role is needed, 400 and 413 where there is a body, 429 and 500 everywhere
    (every error body is a :class:`Message`)."""
    message = {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            wanted = ["429", "500"]
            if "public" not in operation.get("x-roles", []):
                wanted += ["401", "403"]
            if "requestBody" in operation:
                wanted += ["400", "413"]
            responses = operation["responses"]
            for code in sorted(wanted):
                responses.setdefault(
                    code, {"description": COMMON_STATUSES[code], "content": message}
                )


def _body(detail: Any, code: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "request_id": request_id_var.get()}
    if code is not None:
        body["code"] = code
    return body


def _allowed_methods(app: FastAPI, request: Request) -> str:
    """Every method answered on this path (RFC 9110 §15.5.6: a 405 names them): those the API
    documents, and those of the undocumented pages (/docs, /redoc, /favicon.ico)."""
    methods: set[str] = set()
    for template, item in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {m.upper() for m in item if m in _HTTP_METHODS}
    for route in app.router.routes:
        if isinstance(route, APIRoute) and route.path_regex.fullmatch(request.url.path):
            methods |= route.methods or set()
    return ", ".join(sorted(methods))


_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        if exc.details is not None:
            body = _body(jsonable_encoder(exc.details), exc.code.value)
            body["message"] = exc.message
        else:
            body = _body(exc.message, exc.code.value)
        return JSONResponse(body, status_code=http_status(exc), headers=http_headers(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail, headers = exc.detail, exc.headers
        if exc.status_code == 404 and detail == "Not Found":
            detail = "ressource introuvable / not found"
        elif exc.status_code == 405:
            detail = "méthode non permise / method not allowed"
            headers = {**(headers or {}), "Allow": _allowed_methods(app, request)}
        return JSONResponse(_body(detail), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        body = _body(jsonable_encoder(field_problems(exc.errors())))
        body["message"] = "requête invalide, voir detail / invalid request, see detail"
        return JSONResponse(body, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

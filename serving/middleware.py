"""ASGI middleware: request ids, body size limit (413), access log and latency metrics.

The access log names the route template (``/api/v1/beneficiaries/{beneficiary_id}``), never
the concrete path, query string or body: no identifier or personal data reaches the logs.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.metrics import Metrics
from serving.state import request_id_var
from tremplin.errors import ErrorCode
from tremplin.store.widths import REQUEST_ID_LENGTH

log = logging.getLogger("tremplin.access")
_REQUEST_ID = re.compile(rf"^[A-Za-z0-9._-]{{1,{REQUEST_ID_LENGTH}}}$")


class BodyTooLargeError(Exception):
    """The request body exceeded the limit while streaming."""


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "(unmatched)"


class ServiceMiddleware:
    """Request id in and out, body limit, one access-log line and one histogram sample."""

    def __init__(self, app: ASGIApp, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        rid = given if _REQUEST_ID.match(given) else str(uuid.uuid4())
        token = request_id_var.set(rid)
        start = time.perf_counter()
        status = {"code": 500}
        try:
            declared = headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
                await _too_large(send, rid, self.max_body)
                status["code"] = 413
                return
            if _has_nul(scope):
                await _send_json(
                    send,
                    rid,
                    422,
                    {
                        "detail": "caractère NUL interdit dans l'adresse / NUL character not "
                        "allowed in the URL",
                        "code": ErrorCode.INVALID_REQUEST.value,
                        "request_id": rid,
                    },
                )
                status["code"] = 422
                return
            seen = 0
            started = False
            overflowed = False

            async def limited_receive() -> Message:
                nonlocal seen, overflowed
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > self.max_body:
                        overflowed = True
                        raise BodyTooLargeError
                return message

            async def send_with_id(message: Message) -> None:
                nonlocal started
                if overflowed:
                    # the framework caught the overflow while parsing and answers 400: the
                    # client is told the real reason (413) instead, once
                    if not started:
                        started = True
                        status["code"] = 413
                        await _too_large(send, rid, self.max_body)
                    return
                if message["type"] == "http.response.start":
                    started = True
                    status["code"] = message["status"]
                    message.setdefault("headers", [])
                    message["headers"] = [
                        *message["headers"],
                        (b"x-request-id", rid.encode()),
                        (b"content-security-policy", CONTENT_SECURITY_POLICY),
                    ]
                await send(message)

            try:
                await self.app(scope, limited_receive, send_with_id)
            except BodyTooLargeError:
                if not started:
                    await _too_large(send, rid, self.max_body)
                status["code"] = 413
            except Exception as exc:  # answered here, inside the request id's scope
                log.error(
                    "unhandled %s", type(exc).__name__, exc_info=exc, extra={"request_id": rid}
                )
                if not started:
                    await _send_json(
                        send,
                        rid,
                        500,
                        {
                            "detail": "erreur interne, citez request_id / internal error, "
                            "quote request_id",
                            "request_id": rid,
                        },
                    )
                status["code"] = 500
        finally:
            elapsed = time.perf_counter() - start
            route = _route_template(scope)
            self.metrics.latency.labels(scope["method"], route, str(status["code"])).observe(
                elapsed
            )
            log.info(
                "%s %s %s %.1fms",
                scope["method"],
                route,
                status["code"],
                1000 * elapsed,
                extra={"request_id": rid},
            )
            request_id_var.reset(token)


CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'; "
    b"frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
"""Every page loads from this service only (the bundled Swagger UI and ReDoc reference a CDN
logo, which the browser then never asks for), and no other site may frame them."""


def _has_nul(scope: Scope) -> bool:
    """Whether the path or the query string carries a NUL character (PostgreSQL refuses it in
    any text, so a search with one would fail deep inside instead of being refused here)."""
    raw = scope.get("query_string", b"").lower() + scope.get("raw_path", b"").lower()
    return b"%00" in raw or "\x00" in scope.get("path", "")


async def _too_large(send: Send, rid: str, limit: int) -> None:
    body: dict[str, Any] = {
        "detail": f"requête trop volumineuse (max {limit} octets) / request body too large",
        "request_id": rid,
    }
    await _send_json(send, rid, 413, body)


async def _send_json(send: Send, rid: str, status: int, body: dict[str, Any]) -> None:
    """A whole JSON response carrying the request id (body and header)."""
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"x-request-id", rid.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})

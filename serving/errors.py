"""Domain errors to HTTP, in one place: a status per code, the bilingual message, the code.

Routers and services raise :mod:`tremplin.errors`; this table is the only place where they
become statuses (and the headers some need: ``WWW-Authenticate``, ``Retry-After``).
"""

from __future__ import annotations

from fastapi import status

from tremplin.errors import DomainError, ErrorCode, RateLimitedError

HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    ErrorCode.NOT_READY: status.HTTP_503_SERVICE_UNAVAILABLE,
    ErrorCode.EMPTY_PROFILE: status.HTTP_422_UNPROCESSABLE_CONTENT,
    ErrorCode.CONFLICT: status.HTTP_409_CONFLICT,
    ErrorCode.UNKNOWN_CPAS: status.HTTP_422_UNPROCESSABLE_CONTENT,
    ErrorCode.REFUSED_BY_POLICY: status.HTTP_403_FORBIDDEN,
    ErrorCode.INVALID_REQUEST: status.HTTP_422_UNPROCESSABLE_CONTENT,
    ErrorCode.UNSUPPORTED_FORMAT: status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    ErrorCode.UNREADABLE_FILE: status.HTTP_422_UNPROCESSABLE_CONTENT,
    ErrorCode.WEAK_PASSWORD: status.HTTP_422_UNPROCESSABLE_CONTENT,
    ErrorCode.UNAUTHENTICATED: status.HTTP_401_UNAUTHORIZED,
    ErrorCode.RATE_LIMITED: status.HTTP_429_TOO_MANY_REQUESTS,
    ErrorCode.TIMED_OUT: status.HTTP_503_SERVICE_UNAVAILABLE,
    ErrorCode.UNAVAILABLE: status.HTTP_503_SERVICE_UNAVAILABLE,
    ErrorCode.REGISTRY: status.HTTP_409_CONFLICT,
    ErrorCode.GATE_REFUSED: status.HTTP_409_CONFLICT,
}


NOT_READY_RETRY_S = 30


def http_status(error: DomainError) -> int:
    """The HTTP status of a domain error."""
    return HTTP_STATUS[error.code]


def http_headers(error: DomainError) -> dict[str, str] | None:
    """The headers a domain error's response needs, if any."""
    if error.code is ErrorCode.UNAUTHENTICATED:
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, RateLimitedError):
        return {"Retry-After": str(error.retry_after)}
    if error.code is ErrorCode.NOT_READY:
        return {"Retry-After": str(NOT_READY_RETRY_S)}
    return None

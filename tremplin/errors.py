"""Domain errors: what went wrong, in words a user can act on, with a machine-readable code.

Every layer raises these (never an HTTP exception); the API maps them to a status once
(``serving.errors``) and the command line to an exit code once (``tremplin_cli.common``).
A message is bilingual, French first: ``"bénéficiaire introuvable / beneficiary not found"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, ClassVar


class ErrorCode(StrEnum):
    """The machine-readable kind of a :class:`DomainError` (the ``code`` of an API error)."""

    NOT_FOUND = "not_found"
    NOT_READY = "not_ready"
    EMPTY_PROFILE = "empty_profile"
    CONFLICT = "conflict"
    UNKNOWN_CPAS = "unknown_cpas"
    REFUSED_BY_POLICY = "refused_by_policy"
    INVALID_REQUEST = "invalid_request"
    UNSUPPORTED_FORMAT = "unsupported_format"
    UNREADABLE_FILE = "unreadable_file"
    WEAK_PASSWORD = "weak_password"
    UNAUTHENTICATED = "unauthenticated"
    RATE_LIMITED = "rate_limited"
    TIMED_OUT = "timed_out"
    UNAVAILABLE = "unavailable"
    REGISTRY = "registry"
    GATE_REFUSED = "gate_refused"


class DomainError(Exception):
    """A request that cannot be carried out as asked; ``message`` says why (French / English)."""

    code: ClassVar[ErrorCode]

    def __init__(
        self, fr: str, en: str | None = None, *, details: list[dict[str, Any]] | None = None
    ) -> None:
        self.message = fr if en is None else f"{fr} / {en}"
        self.fr = fr  # what a French page shows
        self.details = details  # per-field problems, when there are several (validation)
        super().__init__(self.message)


def field_problems(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's validation errors as the API reports them: where, what, which kind."""
    return [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errors]


class NotFoundError(DomainError):
    """The thing asked for does not exist, or not for this caller (tenancy hides it)."""

    code = ErrorCode.NOT_FOUND


class NotReadyError(DomainError):
    """The engine is still loading or failed to load; retry later."""

    code = ErrorCode.NOT_READY


class EmptyProfileError(DomainError):
    """A profile with nothing to match on (no skill, no experience, no aspiration)."""

    code = ErrorCode.EMPTY_PROFILE


class ConflictError(DomainError):
    """The write clashes with stored data (already exists, duplicate event, name taken)."""

    code = ErrorCode.CONFLICT


class UnknownCpasError(DomainError):
    """A CPAS that this installation does not know."""

    code = ErrorCode.UNKNOWN_CPAS


class PolicyRefusedError(DomainError):
    """The caller's role or scope does not allow this (roles, tenancy, ownership)."""

    code = ErrorCode.REFUSED_BY_POLICY


class InvalidRequestError(DomainError):
    """The request is well-formed but inconsistent (e.g. body id differs from path id)."""

    code = ErrorCode.INVALID_REQUEST


class UnsupportedFormatError(DomainError):
    """A file whose format the importer does not read."""

    code = ErrorCode.UNSUPPORTED_FORMAT


class UnreadableFileError(DomainError):
    """A file in a supported format that cannot be read (empty, not UTF-8, damaged)."""

    code = ErrorCode.UNREADABLE_FILE


class WeakPasswordError(DomainError):
    """A password refused by the password rule (common, guessable or built from context)."""

    code = ErrorCode.WEAK_PASSWORD


class UnauthenticatedError(DomainError):
    """No valid credential (or wrong username or password)."""

    code = ErrorCode.UNAUTHENTICATED


class RateLimitedError(DomainError):
    """Too many calls; ``retry_after`` seconds until the next is admitted."""

    code = ErrorCode.RATE_LIMITED

    def __init__(self, fr: str, en: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(fr, en)
        self.retry_after = retry_after


class TimedOutError(DomainError):
    """The computation took longer than the request allows."""

    code = ErrorCode.TIMED_OUT


class UnavailableError(DomainError):
    """A dependency could not do its part (e.g. a model reload failed); nothing was changed."""

    code = ErrorCode.UNAVAILABLE


class RegistryError(DomainError):
    """A model-registry operation that cannot be done (no version for that run, already the
    champion, no previous champion, an unreadable artefact); the message says what to do."""

    code = ErrorCode.REGISTRY


class GateRefusedError(RegistryError):
    """The promotion gate refused a version and no forced promotion was asked; ``reasons``
    lists the failed checks in French, ``decision`` holds the gate's whole verdict."""

    code = ErrorCode.GATE_REFUSED

    def __init__(
        self, fr: str, en: str | None = None, *, reasons: list[str], decision: Any = None
    ) -> None:
        super().__init__(fr, en)
        self.reasons = reasons
        self.decision = decision

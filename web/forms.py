"""Reading HTML forms into the services' contracts: multi-valued fields, empty strings as
absent, and validation problems as the French error the page shows beside the form."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ValidationError
from starlette.datastructures import FormData

from tremplin.errors import InvalidRequestError, field_problems

M = TypeVar("M", bound=BaseModel)


def text(form: FormData, name: str) -> str:
    """A field's trimmed text ('' when absent)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    """A field's trimmed text, or None when empty."""
    return text(form, name) or None


def many(form: FormData, name: str) -> list[str]:
    """Every non-empty value of a multi-valued field (checkboxes, multiple selects)."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def checked(form: FormData, name: str) -> bool:
    """Whether a checkbox was ticked."""
    return form.get(name) is not None


def lines(form: FormData, name: str) -> list[str]:
    """A textarea's non-empty lines."""
    return [line.strip() for line in text(form, name).splitlines() if line.strip()]


def parse(model: type[M], data: dict[str, Any]) -> M:
    """``data`` validated as ``model``; invalid request with each problem otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequestError(
            "le formulaire contient des erreurs",
            "the form has errors",
            details=field_problems(exc.errors(include_url=False)),
        ) from None


def _none_if_empty(value: object) -> object:
    return value or None


EmptyAsNone = BeforeValidator(_none_if_empty)
"""A query parameter that a form sends empty when not chosen (``?phase=``): read as absent."""

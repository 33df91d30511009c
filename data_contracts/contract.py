"""The base of every contract: unknown fields refused (data minimisation), raw input checked as
the published schema says (no boolean for a number, lengths as sent, no NUL character)."""

from __future__ import annotations

import functools
import typing
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationInfo,
    field_validator,
)


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The bare type inside ``Annotated[...]`` and the metadata around it."""
    if typing.get_origin(annotation) is Annotated:
        bare, *metadata = typing.get_args(annotation)
        return bare, metadata
    return annotation, []


def _max_length(metadata: list[Any]) -> int | None:
    for item in metadata:
        limit = getattr(item, "max_length", None)
        if isinstance(limit, int):
            return limit
    return None


@functools.cache
def _field_rules(model: type[BaseModel], name: str) -> tuple[type | None, int | None, int | None]:
    """What the raw-input checks need of one field: its scalar kind (bool, int, float), the
    longest string it takes, and the longest string each of its list items takes."""
    info = model.model_fields[name]
    kind: type | None = None
    scalar_limit = _max_length(list(info.metadata))
    item_limit: int | None = None
    for candidate in (info.annotation, *typing.get_args(info.annotation)):
        bare, metadata = _unwrap(candidate)
        if bare in (bool, int, float) and kind is None:
            kind = bare
        if bare is str and scalar_limit is None:
            scalar_limit = _max_length(metadata)
        if typing.get_origin(bare) is list and typing.get_args(bare):
            item, item_metadata = _unwrap(typing.get_args(bare)[0])
            if item is str:
                item_limit = _max_length(item_metadata)
    return kind, scalar_limit, item_limit


def string_limit(model: type[BaseModel], name: str) -> int | None:
    """The longest string ``model.name`` accepts, if it says (its ``max_length``)."""
    return _field_rules(model, name)[1]


def _check_string(value: str, limit: int | None) -> None:
    if "\x00" in value:
        raise ValueError("caractère NUL interdit / NUL character not allowed")
    if limit is not None and len(value) > limit:
        raise ValueError(
            f"texte trop long : au plus {limit} caractères / text too long: at most {limit}"
        )


class Contract(BaseModel):
    """Base of every contract: strict about unknown fields (data minimisation), and about the
    raw input where pydantic's lax mode would be lenient: ``true`` is not the number 1, ``1`` is
    not ``true``, a string's length is checked as sent (before surrounding spaces are trimmed,
    as the published schema says), and no string holds a NUL character (PostgreSQL refuses it)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=False)

    @field_validator("*", mode="before")
    @classmethod
    def _raw_input_as_published(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None:
            return value
        kind, scalar_limit, item_limit = _field_rules(cls, info.field_name)
        if kind in (int, float) and isinstance(value, bool):
            raise ValueError("nombre attendu, pas un booléen / a number is expected, not a boolean")
        if kind is bool and isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError("true ou false attendu / true or false is expected")
        if isinstance(value, str):
            _check_string(value, scalar_limit)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    _check_string(item, item_limit)
        return value


def string_to_mapping(key: str) -> Any:
    """Allow a bare string where a small object is expected ({key: string})."""

    def convert(value: Any) -> Any:
        return {key: value} if isinstance(value, str) else value

    return convert

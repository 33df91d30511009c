"""Reusable constrained field types of the contracts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from data_contracts.postcodes import is_known_postcode

ExternalId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$",
    ),
]
"""A stable identifier given by the source system (letters, digits, _ . : -)."""

RomeCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Na-n]\d{4}$")
]
"""A ROME métier code such as K2204."""

EscoOccupationUri = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, pattern=r"^http://data\.europa\.eu/esco/occupation/[0-9a-f\-]{36}$"
    ),
]
IscoCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{4}$")]

SKILL_ID_PATTERN = re.compile(r"^(rome:\d+|http://data\.europa\.eu/esco/skill/[0-9a-f\-]{36})$")
SkillId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=SKILL_ID_PATTERN.pattern)]
"""``rome:<code_ogr>`` or an ESCO skill URI."""

LanguageCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z]{2,3}$")
]
"""ISO 639-1/639-3 language code (fr, nl, ar, ...)."""


def _check_postcode(value: int) -> int:
    if not 1000 <= value <= 9992:
        raise ValueError(
            "un code postal belge a 4 chiffres entre 1000 et 9992 / a Belgian postcode is 1000-9992"
        )
    if not is_known_postcode(value):
        raise ValueError(f"code postal {value} inconnu de bpost / unknown Belgian postcode {value}")
    return value


def _strip_postcode(value: object) -> object:
    if isinstance(value, str):
        return value.strip().upper().removeprefix("B-").removeprefix("B")
    return value


Postcode = Annotated[int, BeforeValidator(_strip_postcode), AfterValidator(_check_postcode)]
"""A real Belgian postcode (bpost list), accepted as 4000, "4000" or "B-4000"."""

USERNAME_MAX_LENGTH = 64
Username = Annotated[
    str,
    StringConstraints(min_length=3, max_length=USERNAME_MAX_LENGTH, pattern=r"^[A-Za-z0-9._@-]+$"),
]
"""A sign-in name (letters, digits, . _ @ -); never a person's name by rule, but it may be one."""


def _is_number(text: str) -> bool:
    try:
        float(text.strip())
    except ValueError:
        return False
    return True


def _a_written_date(value: object) -> object:
    """A date and time as written (ISO 8601), never a bare number read as seconds since 1970."""
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        raise ValueError(
            "date ISO 8601 attendue (ex. 2026-11-03T10:00:00) / ISO 8601 date-time expected"
        )
    return value


WrittenDateTime = Annotated[dt.datetime, BeforeValidator(_a_written_date)]
"""A date-time written in ISO 8601 (``0`` used to be stored as 1970-01-01)."""

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Hours = Annotated[float, Field(gt=0, le=50)]

"""Column widths derived from the contracts, so that a string the API accepts always fits.

PostgreSQL refuses a value longer than its ``VARCHAR(n)`` (SQLite does not check), so a width
written by hand beside a contract drifts silently: the audit table once kept 36 characters of a
64-character request id. Every string column that holds a contract field takes its width from
:func:`contract_string` (the field's ``max_length``, or its enum's longest value); the few that
hold what the service itself writes take a named constant from here.
"""

from __future__ import annotations

import enum
import typing
from typing import Any

from pydantic import BaseModel
from sqlalchemy import String

from data_contracts.contract import string_limit

REQUEST_ID_LENGTH = 64
"""The longest request id kept (X-Request-ID values the service accepts, or its own UUIDs)."""
UUID_LENGTH = 36
ROME_CODE_LENGTH = 5
API_KEY_LABEL_LENGTH = 100
SHA256_HEX_LENGTH = 64
VERSION_LENGTH = 100
"""Engine, model, index and ranker version strings (written by the service)."""
AUDIT_ACTION_LENGTH = 32
PASSWORD_HASH_LENGTH = 200
CREDENTIAL_KIND_LENGTH = 8
PROVENANCE_SOURCE_LENGTH = 64
PLAN_REASON_LENGTH = 32
CONTACT_STATUS_LENGTH = 16
CONTACT_MESSAGE_LENGTH = 1000
"""The longest message an employer or a coach writes on a contact request."""
POOL_CARD_LENGTH = 16
"""A pool card's pseudonym (``C-`` and 12 base-32 characters)."""
LIMIT_SCOPE_LENGTH = 16
"""A shared limit's name (``search``, ``titles``, ``signin``…)."""
LIMIT_KEY_LENGTH = SHA256_HEX_LENGTH
"""A shared limit's key: a keyed hash, never the username or address itself."""
TASK_TEXT_LENGTH = 300
"""A page task's label, step, page address or template name."""
TASK_ERROR_LENGTH = 1000
"""A page task's French error message."""


def _enum_in(annotation: Any) -> type[enum.Enum] | None:
    """The enum class inside an annotation such as ``Gender`` or ``AgeBand | None``."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    for arg in typing.get_args(annotation):
        found = _enum_in(arg)
        if found is not None:
            return found
    return None


def _longest(choices: type[enum.Enum]) -> int:
    return max(len(str(member.value)) for member in choices)


def contract_width(model: type[BaseModel], field: str) -> int:
    """The longest string ``model.field`` accepts (its ``max_length`` or longest enum value)."""
    limit = string_limit(model, field)
    if limit is not None:
        return limit
    choices = _enum_in(model.model_fields[field].annotation)
    if choices is not None:
        return _longest(choices)
    raise TypeError(f"{model.__name__}.{field} has no bounded length: give it a max_length")


def contract_string(model: type[BaseModel], field: str) -> String:
    """A ``String`` column exactly as wide as ``model.field`` allows."""
    return String(contract_width(model, field))


def enum_string(choices: type[enum.Enum], width: int) -> String:
    """A ``String(width)`` column for values of ``choices``; fails at import if one is longer.

    Enum columns keep a little room (a new value seldom needs a migration), but never less
    than the longest value: the check runs when the models are imported, so a longer value
    added to a contract stops every process (and the suite) until the column is widened.
    """
    longest = _longest(choices)
    if longest > width:
        raise TypeError(f"{choices.__name__} has a {longest}-character value; widen its column")
    return String(width)

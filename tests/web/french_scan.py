"""What a person reads on a page, and the words that must never be there: English words of a
stop list, the contracts' raw enum values, pydantic's messages (used by the French-only test
over every page and error of every role)."""

from __future__ import annotations

import re
from enum import StrEnum
from html.parser import HTMLParser

from data_contracts import enums
from training.gate import Verdict

# English words a French page has no business showing (whole words, case as written)
STOP_WORDS = (
    "the", "is", "and", "of", "with", "must", "should", "required", "missing", "invalid",
    "shown", "opened", "hired", "applied", "pending", "accepted", "declined", "withdrawn",
    "not found", "Not Found", "Field", "field", "Input", "Value", "value", "string", "integer",
    "None", "True", "False", "null", "floor", "pass", "fail", "gender", "origin", "exposure",
    "recall", "error", "Error", "details", "detail", "Traceback", "shortlist", "request",
    "unknown", "empty", "female", "male", "undisclosed",
)  # fmt: skip
PYDANTIC = ("Input should", "Value error", "String should", "Field required", "validation error")
HIDDEN = {"script", "style", "code", "template", "title"}  # not read as text (code: admin data)


def raw_enum_values() -> set[str]:
    """Enum values that are code, not French (those with an underscore): never shown."""
    found = {
        member.value
        for obj in vars(enums).values()
        if isinstance(obj, type) and issubclass(obj, StrEnum) and obj is not StrEnum
        for member in obj
    }
    found |= {v.value for v in Verdict}
    return {v for v in found if "_" in v}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self._hidden += 1
        for name, value in attrs:  # what assistive technologies read out, too
            if name in ("aria-label", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The text a person reads on ``html`` (and what a screen reader says)."""
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_found(html: str) -> list[str]:
    """The stop words, raw enum values and pydantic messages that ``html`` shows."""
    text = visible_text(html)
    found = [p for p in PYDANTIC if p in text]
    for word in (*STOP_WORDS, *sorted(raw_enum_values())):
        if re.search(rf"(?<![\w'’-]){re.escape(word)}(?![\w'’-])", text):
            found.append(word)
    return found

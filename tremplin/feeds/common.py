"""What every feed connector shares: reading a feed file, cleaning published text, and the
French vocabularies of contracts, languages, levels and education that ads are written in."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data_contracts.enums import CefrLevel, EducationLevel, LicenceCategory
from data_contracts.readers import FileFormatError, decode_text
from tremplin.text import normalize

DESCRIPTION_LIMIT = 10_000  # LongText's limit: a longer ad is cut at a sentence, never refused


@dataclass(frozen=True)
class AdText:
    """What an ad says of its job: its id at the source, title, description, date."""

    id: str
    title: str
    description: str
    published: dt.date | None


class RecordError(ValueError):
    """One record cannot become an opportunity; the message (French) says why and what to do."""


def feed_records(path: Path, list_keys: tuple[str, ...] = ()) -> Iterator[tuple[int, Any]]:
    """(line or position, record) for each record of a feed file: a JSON array, an object
    holding the array under one of ``list_keys`` (an API's search page), or JSON Lines.

    Records are numbered by line in JSON Lines and by position (1, 2, …) in a JSON document;
    a record that is not an object is still yielded, for the caller to report.
    """
    if not path.is_file():
        raise FileFormatError(f"fichier introuvable : {path}")
    if path.suffix.lower() in (".csv", ".parquet"):
        raise FileFormatError(
            f"{path.name} n'est pas un flux JSON du Forem ou de France Travail : importez-le "
            "avec le format « table » (colonnes de Tremplin)"
        )
    text = decode_text(path).strip()
    if not text:
        raise FileFormatError(f"{path.name} est vide : aucune offre à importer.")
    if text[0] == "[" or (text[0] == "{" and "\n" not in text.rstrip()):
        yield from _document(path, text, list_keys)
        return
    if text[0] == "{":
        try:  # one object spread over several lines: a search page, pretty-printed
            document = json.loads(text)
        except json.JSONDecodeError:
            document = None
        if isinstance(document, dict) and any(k in document for k in list_keys):
            yield from _document(path, text, list_keys)
            return
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            yield number, json.loads(raw)
        except json.JSONDecodeError as exc:
            yield number, RecordError(f"JSON invalide : {exc.msg} (colonne {exc.colno})")


def _document(path: Path, text: str, list_keys: tuple[str, ...]) -> Iterator[tuple[int, Any]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(
            f"{path.name} n'est pas un JSON valide : {exc.msg} (ligne {exc.lineno}, colonne "
            f"{exc.colno})."
        ) from None
    if isinstance(document, dict):
        key = next((k for k in list_keys if isinstance(document.get(k), list)), None)
        if key is None:
            expected = " ou ".join(f"« {k} »" for k in list_keys) or "une liste"
            raise FileFormatError(
                f"{path.name} : liste d'offres introuvable (attendu : un tableau JSON, {expected}, "
                "ou une offre par ligne)."
            )
        document = document[key]
    if not isinstance(document, list):
        raise FileFormatError(f"{path.name} : un tableau JSON d'offres est attendu.")
    yield from enumerate(document, start=1)


_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"<\s*(?:br|/p|/div|/li|/h\d|/tr)\s*/?\s*>", re.IGNORECASE)
_ITEM = re.compile(r"<\s*li[^>]*>", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w/])(?:\+|00)?\d[\d .\-/]{7,}\d(?![\w/])")
_BEFORE_STOP = re.compile(r"[ \t]+([.,)])")
_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")
_GENDER = re.compile(
    r"\s*[\(\[]?\s*\b(?:[hm]\s*/\s*f\s*/\s*x|f\s*/\s*[hm]\s*/\s*x|h\s*/\s*f|f\s*/\s*h|m\s*/\s*f|f\s*/\s*m)"
    r"\b\s*[\)\]]?",
    re.IGNORECASE,
)


def clean_text(raw: str | None) -> str:
    """Published HTML or text → plain text: tags removed (list items as dashes), entities
    decoded, e-mail addresses and phone numbers removed (recruiters' contact data is not kept:
    a person applies through the source link), blank runs folded, cut at the contract's limit."""
    if not raw:
        return ""
    text = _ITEM.sub("\n- ", raw)
    text = _BLOCK.sub("\n", text)
    text = html.unescape(_TAG.sub(" ", text)).replace("\xa0", " ")
    text = _BEFORE_STOP.sub(r"\1", text)
    text = _EMAIL.sub("[adresse retirée]", text)
    text = _PHONE.sub("[numéro retiré]", text)
    text = "\n".join(" ".join(line.split()) for line in text.splitlines())
    text = _BLANK_LINES.sub("\n\n", text).replace("\n\n- ", "\n- ").strip()
    if len(text) > DESCRIPTION_LIMIT:
        cut = text[: DESCRIPTION_LIMIT - 1]
        stop = max(cut.rfind(". "), cut.rfind("\n"))
        text = (cut[: stop + 1] if stop > DESCRIPTION_LIMIT // 2 else cut).rstrip() + "…"
    return text


def clean_title(raw: str | None, field: str) -> str:
    """An ad's title without its gender marks ("(H/F)", "F/H") and surplus spaces; a record
    without one is refused, naming the feed's ``field``."""
    title = _GENDER.sub(" ", html.unescape(raw or ""))
    title = " ".join(title.replace("()", " ").split()).strip(" -–,")
    if not title:
        raise RecordError(f"offre sans intitulé (« {field} ») : ajoutez le titre du poste")
    return title[:200]


_HOURS = re.compile(r"(\d{1,2})\s*[hH](?:\s*(\d{2}))?")


def parse_hours(raw: str | None) -> float | None:
    """Weekly hours from "35H/semaine", "24H30 Travail en journée", "Temps partiel 19h"."""
    if not raw:
        return None
    found = _HOURS.search(raw)
    if not found:
        return None
    hours = int(found.group(1)) + int(found.group(2) or 0) / 60
    return round(hours, 2) if 0 < hours <= 50 else None


_MONTHS = re.compile(r"(\d+)\s*(an|année|mois)", re.IGNORECASE)


def parse_experience_months(raw: str | None) -> int | None:
    """Months of experience from "2 An(s)", "6 Mois", "Expérience de 3 ans"; 0 for a
    beginner's ad ("Débutant accepté", "Sans expérience"); None when it does not say."""
    if not raw:
        return None
    words = normalize(raw)
    if any(w in words for w in ("debutant", "sans experience", "pas d experience", "aucune")):
        return 0
    found = _MONTHS.search(raw)
    if not found:
        return None
    number = int(found.group(1))
    months = number * 12 if found.group(2).lower().startswith("an") else number
    return min(months, 600)


LANGUAGES = {
    "francais": "fr", "neerlandais": "nl", "flamand": "nl", "anglais": "en", "allemand": "de",
    "espagnol": "es", "italien": "it", "portugais": "pt", "arabe": "ar", "turc": "tr",
    "polonais": "pl", "roumain": "ro", "russe": "ru", "chinois": "zh", "japonais": "ja",
    "luxembourgeois": "lb", "bulgare": "bg", "grec": "el", "albanais": "sq", "berbere": "ber",
    "langue des signes": "sgn",
}  # fmt: skip

LANGUAGE_LEVELS = (  # words of ads about a level, most specific first
    ("langue maternelle", CefrLevel.C2),
    ("tres bonne", CefrLevel.B2),
    ("excellente", CefrLevel.C1),
    ("courant", CefrLevel.C1),
    ("bilingue", CefrLevel.C1),
    ("bonne", CefrLevel.B1),
    ("moyenne", CefrLevel.B1),
    ("elementaire", CefrLevel.A2),
    ("notions", CefrLevel.A2),
    ("connaissances de base", CefrLevel.A2),
)
_CEFR = re.compile(r"\b([ABC][12])\b")


def language_need(raw: str, required: bool = True) -> dict[str, Any] | None:
    """A LanguageNeed row from an ad's words ("Néerlandais - Bonne connaissance", "Anglais
    B2"), or None when no known language is named."""
    words = normalize(raw)
    code = next((c for name, c in LANGUAGES.items() if name in words), None)
    if code is None:
        return None
    need: dict[str, Any] = {"language": code, "required": required}
    cefr = _CEFR.search(raw.upper())
    if cefr:
        need["level"] = cefr.group(1)
    else:
        level = next((lvl for word, lvl in LANGUAGE_LEVELS if word in words), None)
        if level is not None:
            need["level"] = level.value
    return need


EDUCATION = (  # the lowest level named wins: an ad listing several accepts each
    (("sans diplome", "aucun diplome", "primaire", "ceb"), EducationLevel.PRIMARY),
    (("secondaire inferieur", "cap", "bep", "ce1d", "cesi", "cess inferieur"), EducationLevel.LOWER_SECONDARY),
    (("secondaire superieur", "bac ou", "baccalaureat", "cess", "cq6", "cq7", "bac pro", "niveau bac"), EducationLevel.UPPER_SECONDARY),
    (("bac 2", "bac 3", "bac 4", "bachelier", "graduat", "bts", "dut", "licence"), EducationLevel.HIGHER_SHORT),
    (("bac 5", "master", "universitaire", "ingenieur", "doctorat"), EducationLevel.HIGHER_LONG),
)  # fmt: skip


def education_level(raw: str | None) -> EducationLevel | None:
    """The education level an ad's words name ("Bac+2 ou équivalents", "Secondaire
    supérieur"), or None when they name none."""
    if not raw:
        return None
    words = f" {normalize(raw)} "
    for names, level in EDUCATION:
        if any(f" {name} " in words or words.strip().startswith(name) for name in names):
            return level
    return None


def licence(raw: str | None) -> LicenceCategory | None:
    """The driving licence category an ad names ("B - Véhicule léger", "Permis C")."""
    if not raw:
        return None
    for token in re.split(r"[\s\-/,()]+", raw.upper()):
        token = token.removeprefix("PERMIS")
        if token in LicenceCategory.__members__.values():
            return LicenceCategory(token)
    return None


def as_list(value: Any) -> list[Any]:
    """A field that feeds give as one value, a list, or a ``;``/``,``-separated string."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [v for v in value if v not in (None, "")]
    if isinstance(value, str) and ";" in value:
        return [v.strip() for v in value.split(";") if v.strip()]
    return [value]


def first_date(value: Any) -> str | None:
    """The date part (YYYY-MM-DD) of an ISO date or timestamp, None when absent."""
    if not value or not isinstance(value, str):
        return None
    found = re.match(r"\d{4}-\d{2}-\d{2}", value.strip())
    if not found:
        raise RecordError(f"date illisible « {value} » : attendu AAAA-MM-JJ")
    return found.group(0)

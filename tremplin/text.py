"""French text normalisation for matching labels, titles and free text.

Job titles in Belgian and French offers carry gender markers in many spellings
("technicien(ne)", "Conducteur / Conductrice", "h/f/x", "(H/F)", "employé·e"); labels
differ by accents and case. ``normalize`` maps all of them to one comparable form;
``gender_variants`` splits ROME/ESCO double forms so that each reads as a real title.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_GENDER_TAGS = re.compile(
    r"[\(\[]?\b(?:h\s*/\s*f(?:\s*/\s*[xn])?|f\s*/\s*h(?:\s*/\s*[xn])?|m\s*/\s*f(?:\s*/\s*[xn])?)\b[\)\]]?",
    re.IGNORECASE,
)
# "technicien(ne)", "employé(e)s", "ouvrier(ère)", "employé·e", "agent.e"
_INFIX_FEMININE = re.compile(
    r"(\w)\((?:e|ne|ère|ere|se|euse|rice|trice|ve|le|te|es|ne?s)\)", re.IGNORECASE
)
_MIDDOT_FEMININE = re.compile(r"(\w)[·.](?:e|ne|ère|se|euse|rice|trice|ve)s?\b", re.IGNORECASE)
_NON_WORD = re.compile(r"[^a-z0-9]+")
_APOSTROPHE = re.compile(r"[’'`´]")


def strip_accents(text: str) -> str:
    """Remove diacritics ("é" → "e", "œ" → "oe")."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


MEMOISED_LENGTH = 200  # longer texts (descriptions) are normalised each time, not kept


def normalize(text: str) -> str:
    """Lower-case, accent-free, gender-marker-free, single-spaced form of ``text``; labels and
    titles are memoised (the title linker normalises the same 100k taxonomy labels several
    times at start), long texts are not (a million ads' descriptions would stay in memory)."""
    return _normalize_memoised(text) if len(text) <= MEMOISED_LENGTH else _normalize(text)


@lru_cache(maxsize=1 << 18)
def _normalize_memoised(text: str) -> str:
    return _normalize(text)


def _normalize(text: str) -> str:
    # each pattern runs only where its one required character is (a description is long)
    if "/" in text:
        text = _GENDER_TAGS.sub(" ", text)
    if "(" in text:
        text = _INFIX_FEMININE.sub(r"\1", text)
    if "." in text or "·" in text:
        text = _MIDDOT_FEMININE.sub(r"\1", text)
    text = _APOSTROPHE.sub(" ", text)
    text = strip_accents(text).lower()
    return _NON_WORD.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    """Normalised word tokens of ``text`` with a light French plural stemming."""
    return [_singular(t) for t in normalize(text).split()]


def _singular(token: str) -> str:
    if len(token) > 3 and token.endswith(("s", "x")) and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def gender_variants(label: str) -> list[str]:
    """Split a double-gender label into its readable forms.

    "Conducteur / Conductrice d'engins agricoles" → ["Conducteur d'engins agricoles",
    "Conductrice d'engins agricoles"]; "directeur technique/directrice technique" →
    ["directeur technique", "directrice technique"]. A label without a slash is
    returned alone.
    """
    label = " ".join(_GENDER_TAGS.sub(" ", label).split())
    if "/" not in label:
        return [label]
    parts = [p.strip() for p in label.split("/")]
    if len(parts) != 2 or not all(parts):
        return [label.strip()]
    left, right = parts
    left_words, right_words = left.split(), right.split()
    # ESCO style: two full labels of equal length ("directeur technique/directrice technique")
    if len(left_words) == len(right_words) and len(left_words) > 1:
        return [left, right]
    # ROME style: "Masc / Fém rest of title" — the rest belongs to both forms
    if len(left_words) == 1 and len(right_words) > 1:
        rest = " ".join(right_words[1:])
        return [f"{left} {rest}", right]
    # "Agent / Agente" alone, or "X-y / X-z de marine" already handled; fall back to both halves
    return [left, right]


# Feminine and plural endings folded to the masculine singular (after accents are stripped):
# "conductrice" -> "conducteur", "vendeuses" -> "vendeur", "technicienne" -> "technicien".
_GENDER_ENDINGS = (
    ("trices", "teur"),
    ("trice", "teur"),
    ("euses", "eur"),
    ("euse", "eur"),
    ("iennes", "ien"),
    ("ienne", "ien"),
    ("ennes", "en"),
    ("enne", "en"),
    ("onnes", "on"),
    ("onne", "on"),
    ("eres", "er"),
    ("ere", "er"),
    ("ives", "if"),
    ("ive", "if"),
    ("antes", "ant"),
    ("ante", "ant"),
    ("entes", "ent"),
    ("ente", "ent"),
    ("ees", "e"),
    ("ee", "e"),
)

_IRREGULAR = {"travaux": "travail", "baux": "bail", "vitraux": "vitrail"}

FRENCH_STOPWORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "d",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "et",
        "il",
        "je",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "lui",
        "ma",
        "mais",
        "me",
        "mes",
        "mon",
        "ne",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "y",
        "est",
        "sont",
        "suis",
        "ai",
        "avoir",
        "etre",
        "plus",
        "tres",
        "si",
        "chez",
        "afin",
        "dont",
        "via",
    ]
)


@lru_cache(maxsize=1 << 17)
def fold_gender(token: str) -> str:
    """Fold a normalised token to a masculine singular stem ("vendeuses" -> "vendeur")."""
    if token in _IRREGULAR:
        return _IRREGULAR[token]
    if token.endswith("eaux"):
        return token[:-1]
    if len(token) > 4 and token.endswith("aux"):
        return token[:-3] + "al"
    token = _singular(token)
    for ending, replacement in _GENDER_ENDINGS:
        if len(token) > len(ending) + 2 and token.endswith(ending):
            return token[: -len(ending)] + replacement
    return token


def search_terms(text: str) -> list[str]:
    """Terms for lexical search: normalised, stop words dropped, gender and plural folded."""
    return [fold_gender(t) for t in normalize(text).split() if t not in FRENCH_STOPWORDS]

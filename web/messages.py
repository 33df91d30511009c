"""What a person reads when a form or an address is refused: one French sentence per problem,
naming the field as the page labels it and saying what to fix.

The API keeps pydantic's problems as they are (``loc``, ``msg``, ``type``) for programs; the
pages translate them here. Nothing technical reaches the page (field paths, enum values,
pydantic's English); the request id on the error page finds the details in the log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# the names the pages give the fields (the last part of a problem's location)
FIELDS = {
    "id": "Référence du dossier",
    "constraints": "Contraintes",
    "aspirations": "Projet",
    "consent": "Consentement",
    "home_postcode": "Code postal du domicile",
    "postcode": "Code postal",
    "max_distance_km": "Distance maximale",
    "max_travel_minutes": "Trajet maximal",
    "max_hours_per_week": "Heures par semaine",
    "available_from": "Disponible à partir du",
    "transport_modes": "Déplacements",
    "driving_licences": "Permis de conduire",
    "available_shifts": "Horaires possibles",
    "text": "Projet en ses mots",
    "aspiration_text": "Projet en ses mots",
    "target_rome_codes": "Métiers visés",
    "skills": "Compétences",
    "skill_notes": "Compétences notées",
    "experiences": "Expériences",
    "title": "Intitulé",
    "months": "Nombre de mois",
    "languages": "Langues",
    "level": "Niveau de langue",
    "language": "Langue",
    "education_level": "Diplôme",
    "trajectory_phase": "Étape du parcours",
    "type": "Résultat",
    "refusal_reason": "Motif du refus",
    "kind": "Type d'opportunité",
    "date": "Date",
    "start_time": "Heure de début",
    "end_time": "Heure de fin",
    "street": "Adresse",
    "commune": "Commune",
    "username": "Identifiant",
    "password": "Mot de passe",
    "role": "Rôle",
    "cpas_id": "CPAS",
    "employer_id": "Employeur",
    "partner_cpas": "CPAS partenaires",
    "interview_slots": "Créneaux d'entretien",
    "slot_minutes": "Durée d'un entretien",
    "visitor_capacity": "Capacité d'accueil",
    "q": "Recherche",
    "page": "Page",
    "phase": "Étape du parcours",
    "jour": "Date",
    "du": "Date de début",
    "au": "Date de fin",
    "limit": "Nombre de lignes",
    "file": "Fichier",
}

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def _limit(msg: str) -> str:
    """The number pydantic's message quotes (a bound, a length), as French writes it."""
    found = _NUMBER.findall(msg)
    return found[-1].replace(".", ",") if found else ""


def _what(kind: str, msg: str) -> str:
    """What to fix, in French, for a pydantic problem of type ``kind``."""
    n = _limit(msg)
    if kind == "missing":
        return "à remplir"
    if kind in ("string_too_long", "too_long"):
        return f"trop long : {n} caractères ou éléments au plus"
    if kind in ("string_too_short", "too_short"):
        return "à remplir" if n in ("", "1") else f"trop court : {n} caractères au moins"
    if kind in ("greater_than", "greater_than_equal"):
        return f"indiquez un nombre {'supérieur à' if kind == 'greater_than' else 'd’au moins'} {n}"
    if kind in ("less_than", "less_than_equal"):
        return f"indiquez un nombre {'inférieur à' if kind == 'less_than' else 'd’au plus'} {n}"
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type", "int_from_float"):
        return "indiquez un nombre (chiffres seulement)"
    if kind.startswith(("date", "datetime")):
        return "indiquez une date valide (jour, mois, année)"
    if kind.startswith("time"):
        return "indiquez une heure valide (par exemple 09:30)"
    if kind in ("enum", "literal_error"):
        return "choisissez une des propositions de la liste"
    if kind == "string_pattern_mismatch":
        return "format non valide : vérifiez la saisie (lettres, chiffres et tirets)"
    if kind in ("bool_parsing", "bool_type"):
        return "cochez ou décochez la case"
    if kind == "value_error" or kind == "assertion_error":
        return french_part(msg.removeprefix("Value error, ").removeprefix("Assertion failed, "))
    if kind in ("list_type", "dict_type", "model_type", "string_type", "model_attributes_type"):
        return "valeur non reconnue : vérifiez la saisie"
    return french_part(msg) if _looks_french(msg) else "valeur à corriger"


def french_part(message: str) -> str:
    """The French half of a bilingual message (« français / english »)."""
    return message.split(" / ", 1)[0].strip()


def french_line(line: str) -> str:
    """A report line (``ligne 3, champ : français / english (valeur : '12')``) with the English
    half of its message left out and the value it names kept."""
    _, sep, rest = line.partition(" / ")
    value = rest.find(" (valeur : ") if sep else -1
    return french_part(line) + (rest[value:] if value >= 0 else "")


def _looks_french(msg: str) -> bool:
    return bool(re.search(r"[éèàùçêô]|\b(le|la|les|des|du|une?|est|pour|avec)\b", msg))


def _field(loc: Sequence[Any] | str) -> str:
    """The page's name for the field at ``loc`` (its last named part)."""
    if isinstance(loc, str):
        return FIELDS.get(loc, loc if _looks_french(loc) or " " in loc else "")
    names = [str(x) for x in loc if not isinstance(x, int) and x not in ("body", "query", "path")]
    for name in reversed(names):
        if name in FIELDS:
            return FIELDS[name]
        if _looks_french(name) or name.startswith(("compétences", "ligne", "colonne")):
            return name
    return ""


def french_problem(problem: Mapping[str, Any]) -> str:
    """One problem (pydantic's or a service's) as a French sentence naming the field."""
    loc = problem.get("loc", ())
    kind = str(problem.get("type", ""))
    msg = str(problem.get("msg", ""))
    what = _what(kind, msg) if kind else (french_part(msg) or "valeur à corriger")
    field = _field(loc)
    if kind == "unknown" and isinstance(loc, list | tuple) and loc:
        return f"« {loc[-1]} » : {what}"
    sentence = f"{field} : {what}" if field else what
    return sentence[:1].upper() + sentence[1:]

"""France Travail's "Offres d'emploi v2" JSON → opportunity rows.

Reads the API's offer objects (JSON Lines, a JSON array, or a search page ``{"resultats":
[...]}``). Mapped: title (gender marks removed), description, employer name, place (France:
kept by name, abroad for Belgian shortlists), contract, weekly hours, salary, creation date,
places, required licence, languages, education and experience, ROME code and appellation,
listed compétences (required or wished), the offer's number and link. The recruiter's contact
object and logos are never read.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from data_contracts.enums import ContractType, OpportunityKind, OpportunitySource
from tremplin.feeds.common import (
    AdText,
    RecordError,
    as_list,
    clean_text,
    clean_title,
    education_level,
    first_date,
    language_need,
    licence,
    parse_experience_months,
    parse_hours,
)
from tremplin.taxonomy import Taxonomy

LIST_KEYS = ("resultats",)
CONTRACTS = {
    "CDI": ContractType.CDI,
    "CDD": ContractType.CDD,
    "MIS": ContractType.INTERIM,  # mission d'intérim
    "TTI": ContractType.INTERIM,  # travail temporaire d'insertion
    "DIN": ContractType.CDI,  # CDI intérimaire
    "SAI": ContractType.CDD,  # saisonnier
    "DDI": ContractType.CDD,  # CDD d'insertion
    "DDT": ContractType.CDD,
}
NOT_EMPLOYMENT = {"LIB": "profession libérale", "FRA": "franchise", "CCE": "profession commerciale"}
COUNTRIES = {"belgique": "BE", "luxembourg": "LU", "suisse": "CH", "allemagne": "DE"}


def _contract(record: dict[str, Any]) -> ContractType:
    code = str(record.get("typeContrat") or "").upper()
    if code in CONTRACTS:
        return CONTRACTS[code]
    label = record.get("typeContratLibelle") or code or "absent"
    if code in NOT_EMPLOYMENT:
        raise RecordError(
            f"contrat « {label} » ({NOT_EMPLOYMENT[code]}) : ce n'est pas un emploi salarié, "
            "l'offre n'est pas proposée aux bénéficiaires"
        )
    known = ", ".join(sorted(CONTRACTS))
    raise RecordError(f"type de contrat « {label} » inconnu (attendu : {known})")


def _place(record: dict[str, Any]) -> dict[str, Any]:
    lieu = record.get("lieuTravail") or {}
    if not isinstance(lieu, dict):
        lieu = {}
    label = str(lieu.get("libelle") or "").strip()
    commune = re.sub(r"^\s*(?:\d{1,3}|2[AB])\s*-\s*", "", label).strip() or None
    country = next((c for name, c in COUNTRIES.items() if name in label.lower()), "FR")
    if commune and commune.lower() in {"france", *COUNTRIES}:
        commune = None  # the country alone
    place: dict[str, Any] = {"country": country}
    if commune:
        place["commune"] = commune.title() if commune.isupper() else commune
    if country == "BE":
        postcode = re.search(r"\b([1-9]\d{3})\b", label)
        if postcode:
            place["postcode"] = postcode.group(1)
    return place


def _skills(record: dict[str, Any], tax: Taxonomy) -> tuple[list[str], list[str]]:
    """(required, optional) skill ids: the ROME item when the taxonomy knows its code, else
    the skill its label names (an item neither names is dropped)."""
    required: list[str] = []
    optional: list[str] = []
    for item in as_list(record.get("competences")):
        if not isinstance(item, dict):
            continue
        code, label = str(item.get("code") or ""), str(item.get("libelle") or "")
        token = f"rome:{code}" if code and f"rome:{code}" in tax.skills else None
        if token is None and label:
            named = tax.resolve_skill(label).skill
            token = named.id if named is not None else None
        if token is None:
            continue
        target = required if item.get("exigence") == "E" else optional
        if token not in required and token not in optional:
            target.append(token)
    return required, optional


def opportunity_row(
    record: dict[str, Any], tax: Taxonomy, keep_codes: bool = True
) -> dict[str, Any]:
    """One offer object as a nested opportunity row (validated by the import afterwards)."""
    ident = str(record.get("id") or "").strip()
    if not ident:
        raise RecordError("offre sans « id » : impossible de la suivre d'un import à l'autre")
    row: dict[str, Any] = {
        "id": f"ft-{ident}",
        "kind": OpportunityKind.JOB_OFFER.value,
        "title": clean_title(record.get("intitule"), "intitule"),
        "description": clean_text(record.get("description")),
        "contract_type": _contract(record).value,
        "location": _place(record),
        "source": OpportunitySource.FRANCE_TRAVAIL.value,
        "source_reference": ident[:64],
        "prerequisites": {},
        "occupation": {},
    }
    origin = record.get("origineOffre") or {}
    url = origin.get("urlOrigine") if isinstance(origin, dict) else None
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        row["source_url"] = url[:500]
    company = record.get("entreprise") or {}
    if isinstance(company, dict) and company.get("nom"):
        row["employer_name"] = str(company["nom"]).strip()[:200]
    hours = parse_hours(record.get("dureeTravailLibelle"))
    if hours is not None:
        row["hours_per_week"] = hours
    salary = record.get("salaire") or {}
    if isinstance(salary, dict) and salary.get("libelle"):
        row["salary"] = str(salary["libelle"]).strip()[:200]
    created = first_date(record.get("dateCreation"))
    if created:
        row["valid_from"] = created
    places = record.get("nombrePostes")
    if isinstance(places, int) and places > 0:
        row["places_available"] = places
    for permit in as_list(record.get("permis")):
        if isinstance(permit, dict) and permit.get("exigence") == "E":
            category = licence(str(permit.get("libelle") or ""))
            if category is not None:
                row["prerequisites"]["driving_licence"] = category.value
                break
    languages: list[dict[str, Any]] = []
    for lang in as_list(record.get("langues")):
        if isinstance(lang, dict):
            need = language_need(str(lang.get("libelle") or ""), lang.get("exigence") == "E")
            if need and need["language"] not in {n["language"] for n in languages}:
                languages.append(need)
    if languages:
        row["languages"] = languages
    levels = [
        education_level(str(f.get("niveauLibelle") or ""))
        for f in as_list(record.get("formations"))
        if isinstance(f, dict) and f.get("exigence") == "E"
    ]
    known_levels = [lvl for lvl in levels if lvl is not None]
    if known_levels:
        row["prerequisites"]["education_level"] = min(known_levels, key=lambda x: x.rank).value
    if record.get("experienceExige") == "D":
        row["experience_months"] = 0
    elif record.get("experienceExige") == "E":
        months = parse_experience_months(record.get("experienceLibelle"))
        if months is not None:
            row["experience_months"] = months
    if keep_codes:
        code = str(record.get("romeCode") or "").strip().upper()
        if code:
            if code not in tax.metiers:
                raise RecordError(f"code ROME « {code} » inconnu du ROME 4.0")
            row["occupation"]["rome_code"] = code
        if record.get("appellationlibelle"):
            row["occupation"]["appellation"] = str(record["appellationlibelle"])[:200]
    required, optional = _skills(record, tax)
    if required:
        row["required_skills"] = required
    if optional:
        row["optional_skills"] = optional
    return row


def ad_text(record: dict[str, Any]) -> AdText:
    """What the ad says of its job, whatever its codes: id, title, description, date."""
    created = first_date(record.get("dateCreation"))
    return AdText(
        id=str(record.get("id") or "").strip(),
        title=clean_title(record.get("intitule"), "intitule"),
        description=clean_text(record.get("description")),
        published=dt.date.fromisoformat(created) if created else None,
    )

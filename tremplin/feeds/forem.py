"""Le Forem's offers → opportunity rows.

Reads the open-data offers as published on the Wallonia–Brussels open-data portal (JSON Lines,
or the portal's JSON export: an array of records, flat or with their values under ``fields``):
``numerooffreforem``, ``titreoffre``, ``nomemployeur``, ``lieuxtravaillocalite``,
``lieuxtravailcodepostal``, ``lieuxtravailregion``, ``typecontrat``, ``regimetravail``,
``nombrepostes``, ``niveauxetudes``, ``langues``, ``experiencerequise``, ``secteurs``,
``datedebutdiffusion``, ``datefindiffusion``, ``metier``, ``metiercodedimeco`` (a DIMECO code
whose first five characters are the ROME code) and ``url``; a ``description`` when the export
has one. Values may be single or lists (an offer with several places keeps the first Belgian
one). No recruiter contact field is read.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from data_contracts.enums import ContractType, OpportunityKind, OpportunitySource
from data_contracts.postcodes import is_known_postcode
from tremplin.feeds.common import (
    AdText,
    RecordError,
    as_list,
    clean_text,
    clean_title,
    education_level,
    first_date,
    language_need,
    parse_experience_months,
    parse_hours,
)
from tremplin.taxonomy import Taxonomy
from tremplin.text import normalize

LIST_KEYS = ("results", "records")
# words of Forem's contract types (accents and case folded) → (kind, contract)
CONTRACTS: tuple[tuple[str, OpportunityKind, ContractType], ...] = (
    ("titres services", OpportunityKind.JOB_OFFER, ContractType.TITRES_SERVICES),
    ("article 60", OpportunityKind.JOB_OFFER, ContractType.ARTICLE_60),
    ("article 61", OpportunityKind.JOB_OFFER, ContractType.ARTICLE_61),
    ("duree indeterminee", OpportunityKind.JOB_OFFER, ContractType.CDI),
    ("cdi", OpportunityKind.JOB_OFFER, ContractType.CDI),
    ("duree determinee", OpportunityKind.JOB_OFFER, ContractType.CDD),
    ("cdd", OpportunityKind.JOB_OFFER, ContractType.CDD),
    ("remplacement", OpportunityKind.JOB_OFFER, ContractType.CDD),
    ("travail nettement defini", OpportunityKind.JOB_OFFER, ContractType.CDD),
    ("saisonnier", OpportunityKind.JOB_OFFER, ContractType.CDD),
    ("interim", OpportunityKind.JOB_OFFER, ContractType.INTERIM),
    ("interimaire", OpportunityKind.JOB_OFFER, ContractType.INTERIM),
    ("plan formation insertion", OpportunityKind.INTERNSHIP, ContractType.STAGE),
    ("pfi", OpportunityKind.INTERNSHIP, ContractType.STAGE),
    ("stage", OpportunityKind.INTERNSHIP, ContractType.STAGE),
    ("formation", OpportunityKind.TRAINING, ContractType.FORMATION),
)
NOT_EMPLOYMENT = ("independant", "freelance", "franchise", "benevolat")
ABROAD = {"france": "FR", "luxembourg": "LU", "allemagne": "DE", "pays bas": "NL", "suisse": "CH"}


def _fields(record: dict[str, Any]) -> dict[str, Any]:
    """The record's values: flat, or under ``fields`` (the portal's record export)."""
    inner = record.get("fields")
    return inner if isinstance(inner, dict) else record


def _text(value: Any) -> str:
    items = as_list(value)
    return str(items[0]).strip() if items else ""


def _contract(raw: str) -> tuple[OpportunityKind, ContractType]:
    words = f" {normalize(raw)} "
    if not words.strip():
        raise RecordError("type de contrat absent (« typecontrat »)")
    if any(f" {w} " in words for w in NOT_EMPLOYMENT):
        raise RecordError(
            f"contrat « {raw} » : ce n'est pas un emploi salarié, l'offre n'est pas proposée aux "
            "bénéficiaires"
        )
    for key, kind, contract in CONTRACTS:
        if f" {key} " in words:
            return kind, contract
    raise RecordError(
        f"type de contrat « {raw} » inconnu (attendu : CDI, CDD, intérim, titres-services, "
        "article 60, remplacement, PFI, stage ou formation)"
    )


def _place(fields: dict[str, Any]) -> dict[str, Any]:
    codes = [str(c).strip() for c in as_list(fields.get("lieuxtravailcodepostal"))]
    towns = [str(t).strip() for t in as_list(fields.get("lieuxtravaillocalite"))]
    region = normalize(_text(fields.get("lieuxtravailregion")))
    for i, code in enumerate(codes):
        if re.fullmatch(r"\d{4}", code) and is_known_postcode(int(code)):
            place: dict[str, Any] = {"postcode": code}
            town = towns[i] if i < len(towns) else (towns[0] if towns else "")
            if town:
                place["commune"] = town[:100]
            return place
    country = next((c for name, c in ABROAD.items() if name in region), None)
    if country is None and ("hors belgique" in region or "etranger" in region):
        country = "ZZ"  # abroad, the country not named
    if country is not None:
        return {"country": country, **({"commune": towns[0][:100]} if towns else {})}
    if codes:  # a Belgian-looking place whose postcode bpost does not know
        return {"postcode": codes[0], **({"commune": towns[0][:100]} if towns else {})}
    raise RecordError(
        "lieu de travail sans code postal (« lieuxtravailcodepostal ») : impossible de calculer "
        "la distance"
    )


def _rome(fields: dict[str, Any], tax: Taxonomy) -> dict[str, Any]:
    occupation: dict[str, Any] = {}
    dimeco = _text(fields.get("metiercodedimeco")).upper()
    if dimeco:
        code = dimeco[:5]
        if not re.fullmatch(r"[A-N]\d{4}", code) or code not in tax.metiers:
            raise RecordError(
                f"code DIMECO « {dimeco} » : ses cinq premiers caractères ne sont pas un métier "
                "du ROME 4.0 ; corrigez le code ou retirez-le (le métier sera lu dans l'annonce)"
            )
        occupation["rome_code"] = code
    label = _text(fields.get("metier"))
    if label:
        occupation["appellation"] = label[:200]
    return occupation


def opportunity_row(
    record: dict[str, Any], tax: Taxonomy, today: dt.date, keep_codes: bool = True
) -> dict[str, Any]:
    """One Forem record as a nested opportunity row (validated by the import afterwards)."""
    fields = _fields(record)
    number = _text(fields.get("numerooffreforem"))
    if not number:
        raise RecordError("offre sans « numerooffreforem » : impossible de la suivre")
    kind, contract = _contract(_text(fields.get("typecontrat")))
    row: dict[str, Any] = {
        "id": f"forem-{re.sub(r'[^A-Za-z0-9_.:-]', '-', number)}"[:64],
        "kind": kind.value,
        "title": clean_title(_text(fields.get("titreoffre")), "titreoffre"),
        "description": clean_text(
            _text(fields.get("description") or fields.get("descriptionoffre"))
        ),
        "contract_type": contract.value,
        "location": _place(fields),
        "source": OpportunitySource.FOREM.value,
        "source_reference": number[:64],
        "prerequisites": {"article_60_eligibility": contract is ContractType.ARTICLE_60},
        "occupation": _rome(fields, tax) if keep_codes else {},
    }
    employer = _text(fields.get("nomemployeur"))
    if employer:
        row["employer_name"] = employer[:200]
    url = _text(fields.get("url"))
    if url.startswith(("http://", "https://")):
        row["source_url"] = url[:500]
    hours = parse_hours(_text(fields.get("regimetravail")))
    if hours is not None:
        row["hours_per_week"] = hours
    places = _text(fields.get("nombrepostes"))
    if places.isdigit() and int(places) > 0:
        row["places_available"] = int(places)
    start = first_date(_text(fields.get("datedebutdiffusion")))
    end = first_date(_text(fields.get("datefindiffusion")))
    if end and dt.date.fromisoformat(end) < today:
        raise RecordError(
            f"diffusion terminée le {dt.date.fromisoformat(end):%d/%m/%Y} : offre expirée, non "
            "importée"
        )
    if start:
        row["valid_from"] = start
    if end:
        row["valid_until"] = end
    levels = [education_level(str(v)) for v in as_list(fields.get("niveauxetudes"))]
    known = [lvl for lvl in levels if lvl is not None]
    if known:
        row["prerequisites"]["education_level"] = min(known, key=lambda x: x.rank).value
    languages: list[dict[str, Any]] = []
    for raw in as_list(fields.get("langues")):
        need = language_need(str(raw))
        if need and need["language"] not in {n["language"] for n in languages}:
            languages.append(need)
    if languages:
        row["languages"] = languages
        french = next((n for n in languages if n["language"] == "fr" and "level" in n), None)
        if french:
            row["prerequisites"]["french_level"] = french["level"]
    months = parse_experience_months(_text(fields.get("experiencerequise")))
    if months is not None:
        row["experience_months"] = months
    return row


def ad_text(record: dict[str, Any]) -> AdText:
    """What the ad says of its job, whatever its codes: number, title, description, date."""
    fields = _fields(record)
    start = first_date(_text(fields.get("datedebutdiffusion")))
    return AdText(
        id=_text(fields.get("numerooffreforem")),
        title=clean_title(_text(fields.get("titreoffre")), "titreoffre"),
        description=clean_text(_text(fields.get("description") or fields.get("descriptionoffre"))),
        published=dt.date.fromisoformat(start) if start else None,
    )

"""The coach's profile form read into the profile contract, and the form's context: the
three PIIS questions (project, means, help needed) as the coach types them. Typed skills that
no taxonomy label names are kept as notes; what was typed is what a refused save shows again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.datastructures import FormData

from data_contracts.models import WISH_MAX_LENGTH, BeneficiaryProfile
from tremplin.errors import InvalidRequestError
from tremplin.taxonomy import load_taxonomy
from web import labels
from web.forms import checked, lines, many, optional, text


def form_context(
    profile: BeneficiaryProfile | None, form: FormData | None = None, **extra: Any
) -> dict[str, Any]:
    """The profile form's context: the ticked métiers are the form's after a refused save
    (what the coach ticked is never lost), else the stored profile's."""
    tax = load_taxonomy()
    codes = (
        list(dict.fromkeys(many(form, "target_rome_codes")))
        if form is not None
        else profile.aspirations.target_rome_codes
        if profile is not None
        else []
    )
    targets = [(c, tax.metiers[c].label if c in tax.metiers else c) for c in codes]
    notes = profile.skill_notes if profile is not None and form is None else []
    return {
        "profile": profile,
        "form": form,
        "targets": targets,
        "skill_notes": notes,
        "labels": labels,
        "tax": tax,
        "wish_limit": WISH_MAX_LENGTH,
        **extra,
    }


def profile_body(
    form: FormData, beneficiary_id: str, before: BeneficiaryProfile | None, today: dt.date
) -> dict[str, Any]:
    """The form's fields as a profile body (skills resolved against the taxonomy)."""
    tax = load_taxonomy()
    levels = {s.id: s.level for s in before.skills} if before else {}
    skills: list[dict[str, Any]] = []
    unknown: list[str] = []
    for line in lines(form, "skills"):
        found = tax.resolve_skill(line).skill
        if found is None:
            unknown.append(line)
        elif found.id not in {s["id"] for s in skills}:
            skills.append({"id": found.id, "label": found.label, "level": levels.get(found.id, 2)})
    experiences = []
    for line in lines(form, "experiences"):
        title, _, months = line.partition(";")
        experiences.append(
            {"title": title.strip(), "months": int(months) if months.strip().isdigit() else 0}
        )
    languages = []
    if text(form, "french_level"):
        languages.append({"language": "fr", "level": text(form, "french_level")})
    for token in text(form, "other_languages").replace(";", ",").split(","):
        parts = token.split()
        if len(parts) == 2:
            languages.append({"language": parts[0].lower(), "level": parts[1].upper()})
        elif token.strip():
            raise InvalidRequestError(
                f"langue mal écrite : « {token.strip()} » (écrivez par exemple « nl A2 »)",
                "badly written language",
            )
    licences = many(form, "driving_licences")
    consent = checked(form, "employer_pool")
    given = before.consent.given_at if before and before.consent.employer_pool else None
    return {
        "id": beneficiary_id,
        "skills": skills,
        # typed skills that no label names are kept as the coach wrote them (not matched on)
        "skill_notes": list(dict.fromkeys(unknown)),
        "experiences": experiences,
        "education_level": text(form, "education_level") or "none",
        "languages": languages,
        "aspirations": {
            "text": text(form, "aspiration_text"),
            "target_rome_codes": list(dict.fromkeys(many(form, "target_rome_codes"))),
            "target_esco_uris": before.aspirations.target_esco_uris if before else [],
        },
        "constraints": {
            "home_postcode": optional(form, "home_postcode"),
            "max_distance_km": optional(form, "max_distance_km") or 25,
            "max_travel_minutes": optional(form, "max_travel_minutes"),
            "transport_modes": many(form, "transport_modes") or ["public_transport"],
            "driving_licences": licences,
            "driving_licences_unknown": checked(form, "driving_licences_unknown") and not licences,
            "available_shifts": many(form, "available_shifts") or ["day"],
            "max_hours_per_week": optional(form, "max_hours_per_week") or 38,
            "available_from": optional(form, "available_from"),
            "childcare": checked(form, "childcare"),
        },
        "trajectory_phase": text(form, "trajectory_phase") or "project",
        "article_60_eligible": checked(form, "article_60_eligible"),
        "consent": {
            "employer_pool": consent,
            "given_at": (given or today) if consent else None,
        },
    }

"""Validation problems as a person reads them: one French sentence naming the field as the
form labels it, whatever pydantic or a contract said."""

from __future__ import annotations

from typing import Any

import pytest
from french_scan import english_found
from pydantic import ValidationError

from data_contracts.models import BeneficiaryProfile
from tremplin.errors import field_problems
from web.messages import french_problem


def _problems(data: dict[str, Any]) -> list[str]:
    try:
        BeneficiaryProfile.model_validate(data)
    except ValidationError as exc:
        return [french_problem(p) for p in field_problems(exc.errors(include_url=False))]
    raise AssertionError("expected a refusal")


BASE: dict[str, Any] = {
    "id": "b-1",
    "cpas_id": "cpas-liege",
    "constraints": {"home_postcode": 4000},
}


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"constraints": {"home_postcode": 12}}, "Code postal du domicile : "),
        ({"constraints": {"home_postcode": 4000, "max_distance_km": "loin"}}, "Distance maximale : indiquez un nombre"),
        ({"constraints": {"home_postcode": 4000, "max_distance_km": 500}}, "Distance maximale : indiquez un nombre d’au plus 200"),
        ({"constraints": {"home_postcode": 4000, "available_from": "31/02/2026"}}, "Disponible à partir du : indiquez une date valide"),
        ({"constraints": {"home_postcode": 4000, "transport_modes": ["fusée"]}}, "Déplacements : choisissez une des propositions"),
        ({"constraints": {"home_postcode": 4000, "transport_modes": ["car"]}}, "Contraintes : déplacement en voiture sans permis"),
        ({"aspirations": {"text": "x" * 2001}}, "Projet en ses mots : texte trop long : au plus 2000"),
        ({"id": "a b"}, "Référence du dossier : format non valide"),
        ({"constraints": None}, "Contraintes : valeur non reconnue"),
    ],
)  # fmt: skip
def test_every_problem_is_one_french_sentence(change: dict[str, Any], said: str) -> None:
    found = _problems({**BASE, **change})
    assert any(said in f for f in found), found
    for sentence in found:
        assert english_found(f"<p>{sentence}</p>") == [], sentence
        assert " / " not in sentence and "›" not in sentence


def test_a_problem_without_a_known_field_still_reads_in_french() -> None:
    assert french_problem({"loc": ["body"], "msg": "Field required", "type": "missing"}) == (
        "À remplir"
    )
    assert french_problem({"loc": ["x"], "msg": "Some English", "type": "weird"}) == (
        "Valeur à corriger"
    )

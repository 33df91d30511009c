"""French normalisation of titles and labels."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tremplin.text import gender_variants, normalize, tokens


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Technicien(ne) de surface (h/f/x)", "technicien de surface"),
        ("Magasinier cariste (H/F)", "magasinier cariste"),
        ("Employé·e administratif·ve", "employe administratif"),
        ("AIDE-SOIGNANT.E", "aide soignant"),
        ("Cœur de métier", "coeur de metier"),
        ("Chauffeur poids-lourd M/F/X", "chauffeur poids lourd"),
    ],
)
def test_normalize_removes_gender_marks_accents_and_case(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@given(st.text(max_size=60))
def test_normalize_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


def test_gender_variants_split_rome_and_esco_forms() -> None:
    assert gender_variants("Conducteur / Conductrice d'engins agricoles") == [
        "Conducteur d'engins agricoles",
        "Conductrice d'engins agricoles",
    ]
    assert gender_variants("directeur technique/directrice technique") == [
        "directeur technique",
        "directrice technique",
    ]
    assert gender_variants("Cariste (H/F)") == ["Cariste"]


def test_tokens_singularise_plurals() -> None:
    assert tokens("Ouvriers polyvalents") == ["ouvrier", "polyvalent"]

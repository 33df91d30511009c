"""Vendored ROME 4.0 + ESCO taxonomy, crosswalk and postcodes."""

from __future__ import annotations

import csv
import gzip
import hashlib
from pathlib import Path

import pytest

from tremplin.geo import distance_km, is_known_postcode, place
from tremplin.taxonomy import load_taxonomy
from tremplin.taxonomy.files import DATA_DIR

ROOT = Path(__file__).resolve().parents[1]


def test_rome_and_esco_sizes_match_their_sources() -> None:
    tax = load_taxonomy()
    assert len(tax.metiers) == 1584
    assert len(tax.appellations) == 13120
    assert len(tax.esco_occupations) == 2942
    assert sum(1 for s in tax.skills.values() if s.kind == "esco") == 13485


def test_metier_skills_mark_core_items_first() -> None:
    tax = load_taxonomy()
    skills = tax.metier_skills("K2205")
    assert skills and skills[0].core
    assert any(not s.core for s in skills)
    assert "Nettoyer" in " ".join(tax.skill_label(s) for s in tax.core_skills("K2204"))


def test_skill_resolution_by_code_uri_and_label() -> None:
    tax = load_taxonomy()
    assert tax.resolve_skill("100023").skill is not None
    assert tax.resolve_skill("rome:100023").how == "rome_code"
    by_label = tax.resolve_skill("  abattre un ARBRE ")
    assert by_label.skill is not None and by_label.skill.id == "rome:100023"
    esco = tax.resolve_skill(
        "http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"
    )
    assert esco.how == "esco_uri" and esco.skill is not None
    assert tax.resolve_skill("jongler avec des tronçonneuses").skill is None
    assert tax.resolve_skill("99999999").skill is None


def test_titles_link_to_metiers_through_appellations() -> None:
    tax = load_taxonomy()
    assert tax.metiers_for_title("Technicien(ne) de surface (h/f)") == {"K2205"}
    assert "N1110" in tax.metiers_for_title("Magasinier")


def test_crosswalk_covers_every_metier_and_matches_hand_checked_sample() -> None:
    tax = load_taxonomy()
    assert all(tax.esco_for_metier(code) for code in tax.metiers)
    rows = list(csv.DictReader((ROOT / "docs" / "crosswalk_check.csv").open(encoding="utf-8")))
    assert len(rows) >= 100
    for row in rows:  # the checked links are still the crosswalk's answers
        assert tax.esco_for_metier(row["code_rome"])[0][0] == row["esco_uri"]
    acceptable = sum(r["judgement"] in ("exact", "close") for r in rows) / len(rows)
    assert acceptable >= 0.70


def test_vendored_files_match_manifest() -> None:
    manifest = (DATA_DIR / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(manifest) == 15
    for line in manifest:
        _, _, name, digest, _ = line.split("\t")
        assert hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest() == digest
        with gzip.open(DATA_DIR / name, "rb") as fh:
            assert fh.read(1)


@pytest.mark.parametrize(
    ("code", "locality"), [(4000, "Liège"), (1080, "Molenbeek-Saint-Jean"), (4100, "Seraing")]
)
def test_postcodes_have_places(code: int, locality: str) -> None:
    p = place(code)
    assert p is not None and p.locality == locality and p.has_coordinates


def test_distances_are_plausible() -> None:
    assert is_known_postcode(4000) and not is_known_postcode(4999)
    km = distance_km(4000, 1080)
    assert km is not None and 85 < km < 95  # Liège - Molenbeek as the crow flies
    assert distance_km(4000, 4000) == 0

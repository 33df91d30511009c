"""Vendored ROME 4.0 + ESCO taxonomy, crosswalk and postcodes."""

from __future__ import annotations

import csv
import gzip
import hashlib
from collections import Counter
from pathlib import Path

import pytest

from data_contracts.postcodes import is_known_postcode
from tremplin.geo import distance_km, place, postcodes
from tremplin.taxonomy import load_taxonomy
from tremplin.taxonomy.files import DATA_DIR
from tremplin.taxonomy.loader import metier_links

ROOT = Path(__file__).resolve().parents[2]


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


def test_crosswalk_is_the_official_one_where_france_publishes_it() -> None:
    tax = load_taxonomy()
    assert all(tax.esco_for_metier(code) for code in tax.metiers)
    assert Counter(tax.crosswalk_source.values()) == {"official": 1421, "similarity": 163}
    assert len(tax.official_crosswalk()) == 11_118
    # cleaning of premises: the official answer, not a similarity guess
    best = tax.esco_for_metier("K2205")[0]
    assert best[1] == 1.0 and "entretien" in tax.esco_occupations[best[0]].label
    rows = list(csv.DictReader((ROOT / "docs" / "crosswalk_check.csv").open(encoding="utf-8")))
    assert len(rows) >= 100
    similarity = [r for r in rows if tax.crosswalk_source[r["code_rome"]] == "similarity"]
    for row in similarity:  # where France is silent, the checked links are still the answers
        assert tax.esco_for_metier(row["code_rome"])[0][0] == row["esco_uri"]
    # the similarity links judged wrong by hand are mostly replaced by the official ones
    wrong = [r for r in rows if r["judgement"] == "wrong" and r not in similarity]
    replaced = sum(tax.esco_for_metier(r["code_rome"])[0][0] != r["esco_uri"] for r in wrong)
    assert replaced / len(wrong) >= 0.8


def test_metier_links_weigh_match_types_and_votes() -> None:
    links = metier_links(
        [("a", "broadMatch"), ("a", "broadMatch"), ("b", "exactMatch"), ("c", "closeMatch")]
    )
    assert [uri for uri, _ in links] == ["b", "c", "a"]  # one exact beats two broad
    assert links[0][1] == round(1.0 * (0.7 + 0.3 * 1.0 / 1.4), 4)
    assert metier_links([]) == []


def test_belgian_titles_point_to_known_metiers() -> None:
    tax = load_taxonomy()
    assert len(tax.belgian_titles) >= 60
    assert all(t.code_rome in tax.metiers for t in tax.belgian_titles)
    assert {t.title for t in tax.belgian_titles} >= {"technicien de surface", "femme d'ouvrage"}


def test_vendored_files_match_manifest() -> None:
    manifest = (DATA_DIR / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(manifest) == 21
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


def test_contract_postcodes_are_the_vendored_places() -> None:
    """The contracts' postcode list and the geography's are the same bpost codes."""
    from data_contracts.postcodes import known_postcodes

    assert known_postcodes() == frozenset(postcodes())


def test_distances_are_plausible() -> None:
    assert is_known_postcode(4000) and not is_known_postcode(4999)
    km = distance_km(4000, 1080)
    assert km is not None and 85 < km < 95  # Liège - Molenbeek as the crow flies
    assert distance_km(4000, 4000) == 0


def test_skill_suggestions_put_the_project_s_common_items_first_and_credit_what_is_chosen() -> None:
    """Typing « nettoy » for a cleaning project proposes the métier's core ROME items first
    (not « nettoyer une cave »); whatever is chosen resolves to exactly that skill, the one
    the offers are matched on."""
    tax = load_taxonomy()
    core = set(tax.core_skills("K2204"))
    found = tax.suggest_skills("nettoy", metiers=["K2204"])
    assert found and found[0].id in core
    assert all(s.id in core for s in found[: min(3, len(found))])
    plain = tax.suggest_skills("repass")
    assert plain[0].id.startswith("rome:") and plain[0].label.startswith("Repasser")
    for typed in ("nettoy", "repass", "caisse", "cuisine", "accueil"):
        for skill in tax.suggest_skills(typed):
            assert tax.resolve_skill(skill.label).skill == skill, skill.label

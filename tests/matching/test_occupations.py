"""Linking free-text French titles and wishes to ESCO occupations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matching.linking import LinkMask
from matching.occupations import OccupationLinker, clean_query, esco_mappings, wish_segments
from tremplin.settings import get_settings
from tremplin.taxonomy import load_taxonomy
from tremplin_cli.main import app

runner = CliRunner()


def test_wishes_lose_their_lead_in() -> None:
    assert clean_query("je voudrais travailler dans les soins") == "soins"
    assert clean_query("Je cherche un emploi comme magasinier") == "magasinier"
    assert clean_query("Magasinier cariste (h/f/x)") == "Magasinier cariste (h/f/x)"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Magasinier cariste (h/f/x)", "magasinier"),
        ("Agent(e) de nettoyage (h/f/x)", "nettoy"),
        ("aide-soignante en maison de repos", "aide-soignant"),
        ("Commis de cuisine H/F", "cuisinier"),  # a ROME title: the official crosswalk
        ("technicienne de surface (h/f/x)", "entretien"),  # the Belgian list
        ("chauffeuse poids lourd", "poids lourd"),
    ],
)
def test_real_titles_find_their_occupation(
    linker: OccupationLinker, title: str, expected: str
) -> None:
    results = linker.link(title, top=5)
    assert len(results) == 5 and len({r.uri for r in results}) == 5
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert any(expected in r.label.lower() for r in results[:3]), [r.label for r in results]


def test_a_wish_in_words_reaches_the_care_occupations(linker: OccupationLinker) -> None:
    labels = [r.label.lower() for r in linker.link("je voudrais travailler dans les soins", 10)]
    assert any("soin" in label or "infirm" in label for label in labels), labels


def test_withheld_labels_and_mappings_are_really_out_of_reach(linker: OccupationLinker) -> None:
    esco = linker.linkers.esco
    tax = load_taxonomy()
    row = next(r for r in esco_mappings(tax) if r.source == "crosswalk")
    found = esco.link(row.label, 5)
    assert found and found[0].concept == row.concept and found[0].mapped
    hidden = esco.link(row.label, 5, LinkMask(concepts=frozenset({row.concept})))
    assert all(not (m.mapped and m.concept == row.concept) for m in hidden)
    bare = esco.link(row.label, 5, LinkMask(no_mappings=True))
    assert not any(m.mapped for m in bare)


def test_every_belgian_title_reaches_its_metier_through_the_list(linker: OccupationLinker) -> None:
    tax = load_taxonomy()
    wrong = [
        t.title for t in tax.belgian_titles if linker.metiers(t.title, 1)[0].concept != t.code_rome
    ]
    assert wrong == []


def test_a_wish_is_read_clause_by_clause(linker: OccupationLinker) -> None:
    assert wish_segments("J'aimerais devenir tuyauteur, si possible près de chez moi.") == [
        "tuyauteur",
        "possible près de chez moi",
    ]
    found = linker.metiers("J'aimerais devenir tuyauteur, si possible près de chez moi.")
    assert found[0].label.startswith("Tuyauteur")
    assert found == linker.metiers("J'aimerais devenir tuyauteur, si possible près de chez moi.")


def test_cli_links_a_file_of_titles_as_json_lines(tmp_path: Path) -> None:
    get_settings.cache_clear()
    titles = tmp_path / "titles.txt"
    titles.write_text(
        "Magasinier cariste (h/f/x)\n\nje voudrais travailler dans les soins\n", encoding="utf-8"
    )
    result = runner.invoke(
        app, ["occupations", "link", "--input", str(titles), "--top", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == [
        "Magasinier cariste (h/f/x)",
        "",
        "je voudrais travailler dans les soins",
    ]
    assert lines[1]["results"] == []
    for line in (lines[0], lines[2]):
        assert 1 <= len(line["results"]) <= 3
        for r in line["results"]:
            assert r["uri"].startswith("http://data.europa.eu/esco/occupation/")
            assert set(r) == {"uri", "label", "score"}
        assert line["metiers"] and set(line["metiers"][0]) == {"code", "label", "score"}
    one = runner.invoke(app, ["occupations", "link", "Magasinier", "--top", "2"])
    assert one.exit_code == 0 and "magasinier" in one.stdout.lower()


def test_cli_link_errors_are_clear(tmp_path: Path) -> None:
    neither = runner.invoke(app, ["occupations", "link"])
    assert neither.exit_code == 2 and "intitulé" in neither.output
    binary = tmp_path / "bad.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    bad = runner.invoke(app, ["occupations", "link", "--input", str(binary), "--json"])
    assert bad.exit_code == 2 and "UTF-8" in bad.output

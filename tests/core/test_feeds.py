"""Real feeds in: France Travail's API JSON and Le Forem's open-data offers, imported as a
Maison de l'emploi has them (CLI, API, page), broken records refused one by one in French."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from data_contracts.models import Opportunity
from matching.filters import CONSTRAINT_LABELS, violations
from tests.factories import beneficiary
from tremplin.feeds import FeedFormat, detect_format, feed_rows, read_opportunities
from tremplin.feeds.common import clean_text, clean_title, parse_experience_months, parse_hours
from tremplin.ingest import ImportKind, import_file
from tremplin.settings import get_settings
from tremplin.store.db import transaction
from tremplin.store.repository import active_opportunities
from tremplin_cli.main import app

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"
FT_SLICE = FEEDS / "france_travail_dev_slice.jsonl"
FOREM = FEEDS / "forem_offers.jsonl"
FOREM_EXPORT = FEEDS / "forem_portal_export.json"
TODAY = dt.date(2026, 12, 6)
DEV = Path(__file__).parents[2] / "training" / "suites" / "data"


def _stored(factory: sessionmaker[Session]) -> dict[str, Opportunity]:
    with transaction(factory) as s:
        return {o.id: o for _, o in active_opportunities(s)}


def test_the_vendored_dev_set_is_the_shared_one_byte_for_byte() -> None:
    data = gzip.decompress((DEV / "ft_ads_dev.jsonl.gz").read_bytes())
    assert hashlib.sha256(data).hexdigest() == (DEV / "ft_ads_dev.sha256").read_text().strip()
    slice_lines = set(FT_SLICE.read_text(encoding="utf-8").splitlines())
    assert slice_lines <= set(data.decode("utf-8").splitlines())  # the fixture is a true slice


def test_france_travail_ads_are_imported_with_every_field_that_has_a_meaning(
    factory: sessionmaker[Session],
) -> None:
    report = import_file(
        FT_SLICE,
        ImportKind.OPPORTUNITIES,
        factory,
        skip_invalid=True,
        feed=FeedFormat.FRANCE_TRAVAIL,
        today=TODAY,
    )
    raw = [json.loads(line) for line in FT_SLICE.read_text(encoding="utf-8").splitlines()]
    salaried = [r for r in raw if r["typeContrat"] not in ("FRA", "LIB", "CCE")]
    assert report.stored and report.inserted == len(salaried), report.row_errors
    assert len(report.row_errors) == len(raw) - len(salaried)
    assert all("pas un emploi salarié" in e for e in report.row_errors)
    stored = _stored(factory)
    for record in salaried:
        o = stored[f"ft-{record['id']}"]
        assert "(H/F)" not in o.title and o.title
        assert o.occupation.rome_code == record["romeCode"]
        assert o.occupation.appellation == record["appellationlibelle"]
        assert o.source.value == "france_travail" and o.source_reference == record["id"]
        assert o.source_url == record["origineOffre"]["urlOrigine"]
        assert o.location.abroad and o.location.postcode is None  # France: kept by name
        assert o.valid_from == dt.date.fromisoformat(record["dateCreation"][:10])
        assert (o.employer_name is None) == (not record["entreprise"].get("nom"))
    without = [stored[f"ft-{r['id']}"] for r in salaried if not r.get("competences")]
    assert not any(o.skill_sources for o in without)  # a bare import reads nothing in
    with_skills = next(r for r in salaried if r.get("competences"))
    o = stored[f"ft-{with_skills['id']}"]
    assert {s.id for s in [*o.required_skills, *o.optional_skills]} >= {
        f"rome:{c['code']}" for c in with_skills["competences"][:3]
    }
    with_licence = next(r for r in salaried if r.get("permis"))
    required = [p for p in with_licence["permis"] if p["exigence"] == "E"]
    o = stored[f"ft-{with_licence['id']}"]
    assert (o.prerequisites.driving_licence is not None) == bool(required)


def test_a_france_travail_search_page_reads_like_json_lines(tmp_path: Path) -> None:
    records = [json.loads(line) for line in FT_SLICE.read_text(encoding="utf-8").splitlines()]
    page = tmp_path / "recherche.json"
    page.write_text(json.dumps({"resultats": records[:5], "filtresPossibles": []}, indent=2))
    assert detect_format(page) is FeedFormat.FRANCE_TRAVAIL
    table = read_opportunities(page, FeedFormat.FRANCE_TRAVAIL, TODAY)
    assert list(table.rows["id"]) == [f"ft-{r['id']}" for r in records[:5]]
    assert table.lines == [1, 2, 3, 4, 5]


def test_forem_records_broken_ones_refused_with_what_to_fix(
    factory: sessionmaker[Session],
) -> None:
    strict = import_file(
        FOREM, ImportKind.OPPORTUNITIES, factory, feed=FeedFormat.FOREM, today=TODAY
    )
    assert not strict.stored and _stored(factory) == {}
    errors = "\n".join(strict.row_errors)
    assert "ligne 6" in errors and "sans intitulé (« titreoffre »)" in errors
    assert (
        "ligne 7" in errors and "type de contrat « Contrat de mission spéciale » inconnu" in errors
    )
    assert "ligne 8" in errors and "diffusion terminée le 31/10/2026" in errors
    assert "ligne 9" in errors and "code DIMECO « Z999901 »" in errors
    assert len(strict.row_errors) == 4
    kept = import_file(
        FOREM,
        ImportKind.OPPORTUNITIES,
        factory,
        skip_invalid=True,
        feed=FeedFormat.FOREM,
        today=TODAY,
    )
    assert kept.stored and kept.inserted == 5
    stored = _stored(factory)
    helper = stored["forem-4312876"]
    assert helper.title == "Aide ménager / Aide ménagère"
    assert helper.contract_type.value == "titres_services" and helper.hours_per_week == 25
    assert helper.occupation.rome_code == "K1304" and helper.places_available == 3
    assert helper.employer_name == "Titres-Services Meuse SRL"
    assert helper.location.postcode == 4000 and helper.location.commune == "Liège"
    assert helper.valid_until == dt.date(2027, 1, 31) and helper.experience_months == 0
    assert helper.source_url == "https://www.leforem.be/recherche-offres/offre-detail/4312876"
    cleaner = stored["forem-4313002"]
    assert "<" not in cleaner.description and "- Dépoussiérer" in cleaner.description
    assert "jean.dupont" not in cleaner.description and "123 45 67" not in cleaner.description
    assert cleaner.prerequisites.french_level is not None  # "Bonne connaissance" asked
    warehouse = stored["forem-4313100"]
    assert warehouse.occupation.rome_code is None  # no code given: read from the ad later
    assert {n.language: n.level for n in warehouse.languages} == {"fr": None, "nl": "A2"}
    abroad = stored["forem-4313200"]
    assert abroad.location.abroad and abroad.location.country == "LU"
    assert abroad.location.commune == "Luxembourg"
    person = beneficiary()
    broken = violations(person, abroad, TODAY, frozenset({abroad.kind}))
    assert broken == ["abroad"] and CONSTRAINT_LABELS["abroad"] == (
        "lieu de travail hors de Belgique"
    )
    again = import_file(
        FOREM_EXPORT, ImportKind.OPPORTUNITIES, factory, feed=FeedFormat.FOREM, today=TODAY
    )
    assert again.stored and again.unchanged == 3  # the portal's export: the same offers


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (FT_SLICE, FeedFormat.FRANCE_TRAVAIL),
        (FOREM, FeedFormat.FOREM),
        (FOREM_EXPORT, FeedFormat.FOREM),
    ],
)
def test_the_format_is_recognised_from_the_file(path: Path, expected: FeedFormat) -> None:
    assert detect_format(path) is expected


def test_a_project_file_is_recognised_as_such(tmp_path: Path) -> None:
    table = tmp_path / "offres.jsonl"
    table.write_text(json.dumps({"id": "o1", "kind": "job_offer", "title": "x"}) + "\n")
    assert detect_format(table) is FeedFormat.TABLE
    assert detect_format(tmp_path / "offres.csv") is FeedFormat.TABLE


def test_text_cleaning() -> None:
    assert clean_title("Chef de rang H/F", "intitule") == "Chef de rang"
    assert clean_title("Vendeur (F/H/X) temps partiel", "intitule") == "Vendeur temps partiel"
    assert parse_hours("35H/semaine") == 35 and parse_hours("24H30 Travail en journée") == 24.5
    assert parse_hours("Temps plein") is None
    assert parse_experience_months("2 An(s)") == 24 and parse_experience_months("6 Mois") == 6
    assert parse_experience_months("Débutant accepté") == 0
    cleaned = clean_text("<p>Appelez le 0471/12.34.56 ou écrivez à rh@firme.be</p>")
    assert cleaned == "Appelez le [numéro retiré] ou écrivez à [adresse retirée]"
    assert clean_text("Depuis 2019, 38h par semaine.") == "Depuis 2019, 38h par semaine."
    long = clean_text("Une phrase. " * 2000)
    assert len(long) <= 10_000 and long.endswith("…")


def test_unreadable_records_are_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "ft.jsonl"
    path.write_text('{"id": "1", "intitule": "Cariste", "typeContrat": "CDI"}\nnot json\n[1]\n')
    rows = list(feed_rows(path, FeedFormat.FRANCE_TRAVAIL, TODAY))
    assert isinstance(rows[0][1], dict)
    assert [(line, str(err)[:12]) for line, err in rows[1:]] == [
        (2, "JSON invalid"),
        (3, "une offre do"),
    ]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TREMPLIN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TREMPLIN_AS_OF", TODAY.isoformat())
    monkeypatch.delenv("TREMPLIN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_the_command_imports_each_feed_and_says_what_to_fix(workdir: Path) -> None:
    runner = CliRunner()
    args = ["import", "opportunities", "--format", "forem", str(FOREM)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and "rien n'a été importé" in refused.output
    kept = runner.invoke(app, [*args, "--skip-invalid"])
    assert kept.exit_code == 0 and "5 ajouté(s)" in kept.output, kept.output
    ft = runner.invoke(
        app,
        ["import", "opportunities", "--format", "france-travail", str(FT_SLICE), "--skip-invalid"],
    )
    assert ft.exit_code == 0 and "ajouté(s)" in ft.output, ft.output
    csv = workdir / "offres.csv"
    csv.write_text("id,title\nx,y\n")
    wrong = runner.invoke(app, ["import", "opportunities", "--format", "forem", str(csv)])
    assert wrong.exit_code != 0 and "JSON" in wrong.output, wrong.output
    unknown = runner.invoke(app, ["import", "opportunities", "--format", "xml", str(FOREM)])
    assert unknown.exit_code == 2
    not_offers = runner.invoke(app, ["import", "employers", str(FOREM)])
    assert not_offers.exit_code != 0


def test_an_ad_that_lists_no_skill_gets_those_its_text_names(
    sqlite_factory: sessionmaker[Session],
) -> None:
    from services.opportunities import skills_from_text

    report = import_file(
        FOREM,
        ImportKind.OPPORTUNITIES,
        sqlite_factory,
        skip_invalid=True,
        feed=FeedFormat.FOREM,
        today=TODAY,
        enrich=skills_from_text,
    )
    assert report.stored
    cleaner = _stored(sqlite_factory)["forem-4313002"]
    assert cleaner.skill_sources and not cleaner.required_skills
    read = {s.id: s.sentence for s in cleaner.skill_sources}
    assert {s.id for s in cleaner.optional_skills} == set(read)
    assert all(sentence in cleaner.title + cleaner.description for sentence in read.values())

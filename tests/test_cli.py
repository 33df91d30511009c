"""The tremplin command as a user meets it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tremplin.cli import app
from tremplin.settings import get_settings

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TREMPLIN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("TREMPLIN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _commands(group: typer.Typer, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    for cmd in group.registered_commands:
        found.append([*prefix, cmd.name or cmd.callback.__name__.replace("_", "-")])  # type: ignore[union-attr]
    for sub in group.registered_groups:
        found.extend(_commands(sub.typer_instance, [*prefix, sub.name or ""]))  # type: ignore[arg-type]
    return found


def test_every_command_has_help() -> None:
    commands = _commands(app, [])
    assert len(commands) > 15
    for cmd in commands:
        result = runner.invoke(app, [*cmd, "--help"])
        assert result.exit_code == 0, (cmd, result.output)
        assert "Usage" in result.output


def test_demo_loads_sample_and_prints_a_shortlist(workdir: Path) -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "Shortlist pour ben-00001" in result.output
    again = runner.invoke(app, ["sample", "load", str(workdir / "var" / "sample")])
    assert again.exit_code == 0 and "0 ajoutés" in again.output  # idempotent
    shortlist = runner.invoke(
        app,
        [
            "shortlist",
            "--beneficiary",
            "ben-00002",
            "--cpas",
            json.loads((workdir / "var/sample/beneficiaries.jsonl").read_text().splitlines()[1])[
                "cpas_id"
            ],
            "--top",
            "5",
            "--json",
            "--today",
            "2026-11-01",
        ],
    )
    assert shortlist.exit_code == 0, shortlist.output
    payload = json.loads(shortlist.stdout)
    assert len(payload["items"]) <= 5 and payload["engine_version"]
    scores = [i["score"] for i in payload["items"]]
    assert scores == sorted(scores, reverse=True)


def test_shortlist_errors_are_clear(workdir: Path) -> None:
    runner.invoke(app, ["cpas", "add", "cpas-liege", "CPAS de Liège"])
    unknown = runner.invoke(app, ["shortlist", "--beneficiary", "nobody", "--cpas", "cpas-liege"])
    assert unknown.exit_code == 1 and "inconnu" in unknown.output
    missing = runner.invoke(app, ["shortlist"])
    assert missing.exit_code == 2 and "--profile" in missing.output
    bad_kind = runner.invoke(app, ["shortlist", "--profile", "x.json", "--kinds", "jobs"])
    assert bad_kind.exit_code == 2


def test_import_command_exit_codes(workdir: Path) -> None:
    bad = workdir / "bad.csv"
    bad.write_text(
        "id,kind,title,location.postcode,contract_type,source\no1,job_offer,Cariste,4999,cdd,forem\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", "opportunities", str(bad)])
    assert (
        result.exit_code == 1
        and "ligne 2" in result.output
        and "rien n'a été importé" in result.output
    )
    latin = workdir / "latin.csv"
    latin.write_bytes("id,kind,title\no1,job_offer,Aide ménagère\n".encode("latin-1"))
    result = runner.invoke(app, ["import", "opportunities", str(latin)])
    assert result.exit_code == 2 and "UTF-8" in result.output


def test_contracts_export_writes_schemas(tmp_path: Path) -> None:
    result = runner.invoke(app, ["contracts", "export", str(tmp_path)])
    assert result.exit_code == 0
    assert {p.name for p in tmp_path.iterdir()} >= {
        "opportunity.schema.json",
        "beneficiary_profile.schema.json",
    }


def test_taxonomy_commands(workdir: Path) -> None:
    result = runner.invoke(app, ["taxonomy", "metier", "k2204"])
    assert result.exit_code == 0 and "nettoyage" in result.output.lower()
    assert runner.invoke(app, ["taxonomy", "metier", "Z9999"]).exit_code == 2
    assert runner.invoke(app, ["taxonomy", "skill", "Abattre un arbre"]).exit_code == 0

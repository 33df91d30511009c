"""The tremplin command as a user meets it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tremplin.settings import get_settings
from tremplin_cli.main import app

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TREMPLIN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("TREMPLIN_DATABASE_URL", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # MLflow exports the last one used
    # the run's embedding cache: the ~27k taxonomy labels are embedded once per test run
    monkeypatch.setenv("TREMPLIN_EMBEDDING_CACHE", str(shared_dir / "embeddings.sqlite"))
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
    result = runner.invoke(app, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Tremplin : http://127.0.0.1:8000/ — les pages")  # first
    assert "Shortlist pour ben-00001" in result.output
    assert "coach.liege" in result.output and "maison.liege" in result.output
    # the demo accounts: whole on any terminal (one plain line each), and in a file that only
    # its owner may read, the same passwords
    accounts = workdir / "var" / "demo-accounts.txt"
    assert accounts.stat().st_mode & 0o777 == 0o600
    stored = [line.split(" ; ") for line in accounts.read_text().splitlines()[1:]]
    assert len(stored) == 5
    for user, password, _role, _scope in stored:
        assert f"  {user} / {password}   (" in result.output
    assert "porte contre fusion" in result.output  # the first re-ranker met the gate
    assert "prévision des recrutements tremplin-hiring/1" in result.output
    again = runner.invoke(app, ["sample", "load", str(workdir / "var" / "sample")])
    assert again.exit_code == 0 and "0 ajoutés" in again.output  # idempotent
    args = ["shortlist", "--beneficiary", "ben-00002", "--top", "5", "--json"]
    shortlist = runner.invoke(
        app, [*args, "--kinds", "job_offer,training", "--today", "2026-11-01"]
    )
    assert shortlist.exit_code == 0, shortlist.output
    payload = json.loads(shortlist.stdout)
    assert len(payload["items"]) <= 5 and payload["engine_version"] and payload["encoder_version"]
    assert {i["kind"] for i in payload["items"]} <= {"job_offer", "training"}
    scores = [i["score"] for i in payload["items"]]
    assert scores == sorted(scores, reverse=True)
    status = runner.invoke(app, ["index", "status", "--json"])
    assert status.exit_code == 0, status.output
    state = json.loads(status.stdout)
    assert state["count"] == 3000 and state["missing"] == 0 and state["kind"] == "flat"
    update = runner.invoke(app, ["index", "update"])
    assert update.exit_code == 0 and "0 ajoutée(s)" in update.output
    verified = runner.invoke(app, ["audit", "verify"])  # the demo's records chain
    assert verified.exit_code == 0 and "chaîne d'audit intacte" in verified.output
    # backup, wipe, restore: the same shortlist, the same served re-ranker, the chain holds
    ranked = [*args, "--today", "2026-11-01"]
    before = json.loads(runner.invoke(app, ranked).stdout)
    saved = runner.invoke(app, ["backup", "--out", str(workdir / "backup"), "--no-models"])
    assert saved.exit_code == 0 and "sauvegarde du" in saved.output, saved.output
    (workdir / "var").rename(workdir / "wiped")
    back = runner.invoke(app, ["restore", str(workdir / "backup")])
    assert back.exit_code == 0 and "restaurée" in back.output, back.output
    after = json.loads(runner.invoke(app, ranked).stdout)
    assert [(i["opportunity_id"], i["score"]) for i in after["items"]] == [
        (i["opportunity_id"], i["score"]) for i in before["items"]
    ]
    assert (
        after["ranker"] == before["ranker"]
        and after["encoder_version"] == before["encoder_version"]
    )
    again = runner.invoke(app, ["audit", "verify"])
    assert again.exit_code == 0 and "chaîne d'audit intacte" in again.output
    refused = runner.invoke(app, ["restore", str(workdir / "backup")])
    assert refused.exit_code != 0 and "destination n'est pas vide" in refused.output
    # an ad-hoc profile, then an empty one
    person = workdir / "person.json"
    person.write_text(json.dumps({
        "id": "adhoc", "cpas_id": "cpas-liege", "constraints": {"home_postcode": 4000},
        "aspirations": {"text": "Magasinier cariste"},
    }))  # fmt: skip
    adhoc = runner.invoke(app, ["shortlist", "--profile", str(person), "--json"])
    assert adhoc.exit_code == 0, adhoc.output
    assert json.loads(adhoc.stdout)["beneficiary_id"] == "adhoc"
    person.write_text(
        json.dumps({"id": "x", "cpas_id": "cpas-liege", "constraints": {"home_postcode": 4000}})
    )
    empty = runner.invoke(app, ["shortlist", "--profile", str(person)])
    assert empty.exit_code == 1 and "profil vide" in empty.output
    # a corrupted index is refused with what to do, and a rebuild repairs it
    index_file = workdir / "var" / "index" / "opportunities.tfx"
    index_file.write_bytes(index_file.read_bytes()[:1000])
    broken = runner.invoke(app, [*args])
    assert broken.exit_code == 2 and "tremplin index build" in broken.output
    assert runner.invoke(app, ["index", "build", "--no-progress"]).exit_code == 0
    assert runner.invoke(app, [*args]).exit_code == 0


def test_shortlist_errors_are_clear(workdir: Path) -> None:
    runner.invoke(app, ["cpas", "add", "cpas-liege", "CPAS de Liège"])
    unknown = runner.invoke(app, ["shortlist", "--beneficiary", "nobody", "--cpas", "cpas-liege"])
    assert unknown.exit_code == 1 and "introuvable" in unknown.output
    assert "[not_found]" in unknown.output
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


def test_job_days_pool_and_hiring_commands(workdir: Path) -> None:
    sample = workdir / "sample"
    day, today = "jobday-seraing-construction-2027-02", ["--today", "2026-11-01"]
    for args in (
        ["sample", "generate", "--out", str(sample), "--opportunities", "500", "--beneficiaries", "400"],
        ["sample", "load", str(sample)],
        ["index", "build", "--no-progress"],
    ):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["jobday", "list", "--json"])
    assert listed.exit_code == 0 and day in listed.stdout
    planned = runner.invoke(app, ["jobday", "plan", "--jobday", day, *today, "--json"])
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    assert plan["figures"]["interviews"] > 0 and plan["figures"]["gap"] < 0.05
    shown = runner.invoke(app, ["jobday", "show", "--jobday", day])
    assert shown.exit_code == 0 and "écart" in shown.output
    for what, extra in (
        ("plan-csv", []),
        ("plan-html", []),
        ("convocations-ics", ["--cpas", "cpas-seraing"]),
        ("convocations-html", ["--cpas", "cpas-seraing"]),
        ("stand-html", ["--employer", plan["stands"][0]["employer_id"]]),
    ):
        out = workdir / f"out-{what}"
        done = runner.invoke(
            app, ["jobday", "export", "--jobday", day, "--what", what, "--out", str(out), *extra]
        )
        assert done.exit_code in (0, 1), done.output  # 1: no Seraing convocation in this plan
        assert done.exit_code == 1 or out.stat().st_size > 0
    slots = runner.invoke(
        app,
        ["jobday", "slots", "--jobday", day, "--employer", plan["stands"][0]["employer_id"],
         "--slots", "3", *today],
    )  # fmt: skip
    assert slots.exit_code == 0 and "gardé" in slots.output, slots.output
    unknown = runner.invoke(app, ["jobday", "plan", "--jobday", "nope"])
    assert unknown.exit_code == 1 and "introuvable" in unknown.output
    bad_date = runner.invoke(app, ["jobday", "plan", "--jobday", day, "--today", "demain"])
    assert bad_date.exit_code == 2 and "AAAA-MM-JJ" in bad_date.output
    employer = json.loads((sample / "employers.jsonl").read_text().splitlines()[0])["id"]
    search = runner.invoke(
        app, ["pool", "search", "--employer", employer, "--text", "préparateur de commandes",
              *today, "--json"],
    )  # fmt: skip
    assert search.exit_code == 0, search.output
    page = json.loads(search.stdout)
    assert page["smallest_group"] >= page["k"] == 5
    assert all(c["card"].startswith("C-") for c in page["items"])
    neither = runner.invoke(app, ["pool", "search", "--employer", employer])
    assert neither.exit_code == 2 and "besoin" in neither.output
    requests = runner.invoke(app, ["pool", "requests", "--cpas", "cpas-liege"])
    assert requests.exit_code == 0
    trained = runner.invoke(app, ["hiring", "train", "--json"])
    assert trained.exit_code == 0, trained.output
    report = json.loads(trained.stdout)
    assert report["backtest"]["precision"]["model"]["25"] >= report["backtest"]["base_rate"]
    theme = runner.invoke(
        app, ["hiring", "employers", "--theme", "N1103,F1703", "--postcode", "4100", *today]
    )
    assert theme.exit_code == 0 and "prévision : tremplin-hiring" in theme.output, theme.output
    broken = workdir / "vacancies.jsonl"
    broken.write_text(
        '{"id": "v1", "employer_id": "e", "rome_code": "XX", "posted_on": "1990-01-01"}\n'
    )
    refused = runner.invoke(app, ["import", "vacancies", str(broken)])
    assert refused.exit_code != 0 and "rome_code" in refused.output

"""One clock for every shell: with ``TREMPLIN_AS_OF`` set, the page, the API, the command
line and the printable view filter one person's shortlist on the same day and show it."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import World, page_session
from typer.testing import CliRunner

from tremplin.settings import get_settings
from tremplin_cli.main import app

AS_OF = dt.date(2026, 11, 1)  # the sample's reference date; the machine's clock says otherwise


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[World]:
    from api_support import world

    root = tmp_path_factory.mktemp("clock")
    with world(root, f"sqlite:///{root / 'tremplin.db'}", shared_dir, as_of=AS_OF) as w:
        yield w


def _ids(shortlist: dict[str, object]) -> list[str]:
    return [i["opportunity_id"] for i in shortlist["items"]]  # type: ignore[index, union-attr]


def test_page_api_command_and_printout_share_the_configured_day(
    dated: World, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = dated.beneficiaries["cpas-liege"][0]
    body = {"beneficiary_id": person, "top": 10}
    api = dated.call("coach.liege", "POST", "/api/v1/shortlists", json=body)
    assert api.status_code == 200, api.text
    from_api = api.json()["shortlist"]
    assert from_api["as_of"] == AS_OF.isoformat()

    client, csrf = page_session(dated, "coach.liege")
    page = client.post(
        f"/coach/beneficiaires/{person}/shortlist", data={"csrf": csrf}, follow_redirects=False
    )
    assert page.status_code == 303, page.text[:300]
    shortlist_id = page.headers["location"].rsplit("/", 1)[-1]
    stored = dated.call("coach.liege", "GET", f"/api/v1/shortlists/{shortlist_id}").json()
    assert stored["shortlist"]["as_of"] == AS_OF.isoformat()
    assert _ids(stored["shortlist"]) == _ids(from_api)

    screen = client.get(f"/coach/shortlists/{shortlist_id}").text
    printed = client.get(f"/coach/shortlists/{shortlist_id}/imprimer").text
    for html in (screen, printed):
        assert "dates vérifiées au 1er novembre 2026" in re.sub(r"\s+", " ", html)

    for name, value in {
        "TREMPLIN_DATA_DIR": str(dated.settings.data_dir),
        "TREMPLIN_DATABASE_URL": dated.settings.database_url,
        "TREMPLIN_MODELS_DIR": str(shared_dir / "models"),
        "TREMPLIN_EMBEDDING_CACHE": str(shared_dir / "embeddings.sqlite"),
        "TREMPLIN_PSEUDONYM_KEY": "test-pseudonym-key",
        "TREMPLIN_AS_OF": AS_OF.isoformat(),
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        args = ["shortlist", "--beneficiary", person, "--cpas", "cpas-liege", "--json"]
        result = CliRunner().invoke(app, args)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    from_cli = json.loads(result.stdout)
    assert from_cli["as_of"] == AS_OF.isoformat()
    assert _ids(from_cli) == _ids(from_api)


def test_a_day_asked_in_the_request_overrides_the_configured_one(dated: World) -> None:
    """A caller may still ask for another day explicitly (the API's ``today``)."""
    person = dated.beneficiaries["cpas-liege"][1]
    later = AS_OF + dt.timedelta(days=40)
    body = {"beneficiary_id": person, "top": 5, "today": later.isoformat()}
    r = dated.call("coach.liege", "POST", "/api/v1/shortlists", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["shortlist"]["as_of"] == later.isoformat()

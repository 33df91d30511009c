"""The API as its users meet it: sign-in, tenancy, minimisation, shortlists, audit, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from api_support import TODAY, World

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"


def profile(pid: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": pid,
        "skills": [{"id": "rome:100023"}],
        "aspirations": {"text": "aide-soignant en maison de repos"},
        "constraints": {"home_postcode": 4000, "max_distance_km": 30},
        "monitoring": {"gender": "female", "origin": "eu"},
    }
    body.update(extra)
    return body


def test_sign_in_me_and_logout(api: World) -> None:
    bad = api.client.post("/api/v1/auth/token", data={"username": "admin", "password": "x"})
    assert bad.status_code == 401 and "incorrect" in bad.json()["detail"]
    me = api.call("coach.liege", "GET", "/api/v1/auth/me")
    assert me.json() == {
        "username": "coach.liege",
        "role": "coach",
        "cpas_id": "cpas-liege",
        "employer_id": None,
        "partner_cpas": [],
    }
    token = api.client.post(
        "/api/v1/auth/token", data={"username": "coach.liege", "password": "motdepasse-solide-123"}
    ).json()["access_token"]
    h = {"Authorization": f"Bearer {token}"}
    assert api.client.post("/api/v1/auth/logout", headers=h).status_code == 204
    assert api.client.get("/api/v1/auth/me", headers=h).status_code == 401  # revoked
    assert api.client.get("/api/v1/auth/me").status_code == 401  # anonymous


def test_health_ready_and_metrics(api: World) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz").json()
    assert ready["ready"] and ready["model_version"].startswith("multilingual-e5-small@")
    assert ready["opportunities"] > 0
    metrics = api.client.get("/metrics").text
    assert "tremplin_request_seconds_bucket" in metrics and "tremplin_model_info" in metrics


def test_beneficiary_lifecycle_with_tenancy_and_minimisation(api: World) -> None:
    created = api.call("coach.liege", "POST", "/api/v1/beneficiaries", json=profile("api-b1"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["cpas_id"] == "cpas-liege" and "monitoring" not in body
    again = api.call("coach.liege", "POST", "/api/v1/beneficiaries", json=profile("api-b1"))
    assert again.status_code == 409
    # another CPAS sees nothing: 404, never the data
    for method, url in [
        ("GET", "/api/v1/beneficiaries/api-b1"),
        ("DELETE", "/api/v1/beneficiaries/api-b1"),
        ("GET", "/api/v1/beneficiaries/api-b1/shortlists"),
    ]:
        r = api.call("coach.seraing", method, url)
        assert r.status_code == 404, (method, url, r.text)
        assert "api-b1" not in r.text
    listed = api.call("coach.seraing", "GET", "/api/v1/beneficiaries?limit=1000").json()
    assert all(p["cpas_id"] == "cpas-seraing" for p in listed["items"])
    # replace, consent, list filter
    changed = profile("api-b1", article_60_eligible=True)
    assert api.call("coach.liege", "PUT", "/api/v1/beneficiaries/api-b1", json=changed).json()[
        "article_60_eligible"
    ]
    mismatch = api.call("coach.liege", "PUT", "/api/v1/beneficiaries/api-b1", json=profile("x"))
    assert mismatch.status_code == 422
    consent = api.call(
        "coach.liege", "PUT", "/api/v1/beneficiaries/api-b1/consent", json={"employer_pool": True}
    )
    assert consent.json()["consent"]["employer_pool"] is True
    pool = api.call("coach.liege", "GET", "/api/v1/beneficiaries?in_employer_pool=true&limit=1000")
    assert "api-b1" in [p["id"] for p in pool.json()["items"]]


def test_other_roles_cannot_read_beneficiaries(api: World) -> None:
    for user in ("admin", "maison.liege", "employer"):
        r = api.call(user, "GET", "/api/v1/beneficiaries")
        assert r.status_code == 403, user


def test_shortlist_for_stored_and_ad_hoc_profiles_is_audited(api: World) -> None:
    ben = api.beneficiaries["cpas-liege"][0]
    r = api.call(
        "coach.liege",
        "POST",
        "/api/v1/shortlists",
        json={"beneficiary_id": ben, "top": 5, "today": TODAY},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["stored"] and out["model_version"].startswith("multilingual-e5-small@")
    items = out["shortlist"]["items"]
    assert 0 < len(items) <= 5 and all(i["reasons"] for i in items)
    history = api.call("coach.liege", "GET", f"/api/v1/beneficiaries/{ben}/shortlists").json()
    assert out["id"] in [h["id"] for h in history["items"]]
    assert api.call("coach.liege", "GET", f"/api/v1/shortlists/{out['id']}").status_code == 200
    assert api.call("coach.seraing", "GET", f"/api/v1/shortlists/{out['id']}").status_code == 404
    # another CPAS cannot shortlist this person
    other = api.call(
        "coach.seraing", "POST", "/api/v1/shortlists", json={"beneficiary_id": ben, "top": 5}
    )
    assert other.status_code == 404
    adhoc = api.call(
        "coach.liege",
        "POST",
        "/api/v1/shortlists",
        json={"profile": profile("adhoc-1"), "kinds": ["training"], "today": TODAY},
    )
    assert adhoc.status_code == 200 and not adhoc.json()["stored"]
    assert {i["kind"] for i in adhoc.json()["shortlist"]["items"]} <= {"training"}
    records = api.call("admin", "GET", "/api/v1/admin/audit?action=shortlist&limit=1000").json()
    mine = [a for a in records["items"] if a["inputs"].get("shortlist_id") == out["id"]]
    assert len(mine) == 1
    rec = mine[0]
    assert rec["actor"] == "coach.liege" and rec["tenant"] == "cpas-liege"
    assert rec["subject"].startswith("psn_") and ben not in json.dumps(rec)
    assert rec["model_version"] == out["model_version"] and rec["returned_ids"]


def test_empty_or_ambiguous_shortlist_requests_are_422(api: World) -> None:
    empty = {"id": "e1", "constraints": {"home_postcode": 4000}}
    r = api.call("coach.liege", "POST", "/api/v1/shortlists", json={"profile": empty})
    assert r.status_code == 422 and "profil vide" in r.json()["detail"]
    both = {"profile": profile("p"), "beneficiary_id": "x"}
    assert api.call("coach.liege", "POST", "/api/v1/shortlists", json=both).status_code == 422
    bad = api.call("coach.liege", "POST", "/api/v1/shortlists", json={"top": 0})
    assert bad.status_code == 422 and bad.json()["message"].startswith("requête invalide")


def test_erasure_removes_the_person_and_keeps_a_pseudonymous_trace(api: World) -> None:
    api.call("coach.liege", "POST", "/api/v1/beneficiaries", json=profile("api-erase"))
    api.call(
        "coach.liege",
        "POST",
        "/api/v1/shortlists",
        json={"beneficiary_id": "api-erase", "today": TODAY},
    )
    r = api.call("coach.liege", "DELETE", "/api/v1/beneficiaries/api-erase")
    assert r.status_code == 200 and r.json()["shortlists_removed"] == 1
    assert api.call("coach.liege", "GET", "/api/v1/beneficiaries/api-erase").status_code == 404
    trail = api.call(
        "admin", "GET", f"/api/v1/admin/audit?subject={r.json()['audit_subject']}"
    ).json()
    assert {a["action"] for a in trail["items"]} == {"shortlist", "erasure"}
    export = api.call("admin", "GET", "/api/v1/admin/audit/export?action=erasure")
    assert export.status_code == 200 and "api-erase" not in export.text
    assert all(json.loads(line)["action"] == "erasure" for line in export.text.splitlines())


def test_a_person_erased_while_their_shortlist_is_computed_gets_404_and_no_trace(
    api: World, monkeypatch: Any
) -> None:
    from services import shortlists

    api.call("coach.liege", "POST", "/api/v1/beneficiaries", json=profile("api-race"))
    compute = shortlists.shortlist

    def erase_meanwhile(*args: Any, **kwargs: Any) -> Any:
        result = compute(*args, **kwargs)
        gone = api.call("coach.liege", "DELETE", "/api/v1/beneficiaries/api-race")
        assert gone.status_code == 200
        return result

    monkeypatch.setattr(shortlists, "shortlist", erase_meanwhile)
    before = api.call("admin", "GET", "/api/v1/admin/audit?action=shortlist&limit=1").json()
    r = api.call("coach.liege", "POST", "/api/v1/shortlists", json={"beneficiary_id": "api-race"})
    assert r.status_code == 404, r.text
    after = api.call("admin", "GET", "/api/v1/admin/audit?action=shortlist&limit=1").json()
    assert after["total"] == before["total"]  # nothing half-stored: no history, no record


def test_outcomes_recorded_for_own_beneficiaries_only(api: World) -> None:
    ben = api.beneficiaries["cpas-liege"][1]
    opp = api.call("coach.liege", "GET", "/api/v1/opportunities?limit=1").json()["items"][0]["id"]
    event = {
        "id": "api-evt-1",
        "beneficiary_id": ben,
        "opportunity_id": opp,
        "type": "refused",
        "refusal_reason": "distance",
        "occurred_at": "2026-11-02T10:00:00Z",
    }
    assert api.call("coach.seraing", "POST", "/api/v1/outcomes", json=event).status_code == 404
    assert api.call("coach.liege", "POST", "/api/v1/outcomes", json=event).status_code == 201
    assert api.call("coach.liege", "POST", "/api/v1/outcomes", json=event).status_code == 409
    no_reason = {**event, "id": "api-evt-2", "refusal_reason": None}
    assert api.call("coach.liege", "POST", "/api/v1/outcomes", json=no_reason).status_code == 422
    listed = api.call("coach.liege", "GET", f"/api/v1/beneficiaries/{ben}/outcomes").json()
    assert "api-evt-1" in [e["id"] for e in listed["items"]]


def opportunity(oid: str, employer: str | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": oid,
        "kind": "job_offer",
        "title": "Magasinier cariste (h/f/x)",
        "occupation": {"rome_code": "N1103"},
        "location": {"postcode": 4000},
        "contract_type": "cdd",
        "source": "employer",
        "employer_id": employer,
    }
    body.update(extra)
    return body


def test_employers_manage_their_own_offers_only(api: World) -> None:
    mine = opportunity("api-o1", api.employer_id)
    assert api.call("employer", "POST", "/api/v1/opportunities", json=mine).status_code == 201
    theirs = opportunity("api-o2", "someone-else")
    assert api.call("employer", "POST", "/api/v1/opportunities", json=theirs).status_code == 403
    listed = api.call("employer", "GET", "/api/v1/opportunities?limit=1000").json()["items"]
    assert listed and {o["employer_id"] for o in listed} == {api.employer_id}
    maison = api.call("maison.liege", "POST", "/api/v1/opportunities", json=theirs)
    assert maison.status_code == 201
    assert api.call("employer", "GET", "/api/v1/opportunities/api-o2").status_code == 404
    assert api.call("employer", "POST", "/api/v1/opportunities/api-o2/expire").status_code == 404
    expired = api.call("maison.liege", "POST", "/api/v1/opportunities/api-o2/expire")
    assert expired.status_code == 200
    search = api.call("coach.liege", "GET", "/api/v1/opportunities?q=cariste&limit=1000").json()
    assert "api-o2" not in [o["id"] for o in search["items"]]
    assert "api-o1" in [o["id"] for o in search["items"]]


def test_bulk_import_is_all_or_nothing_with_a_row_report(api: World) -> None:
    good = opportunity("api-imp-1", None, source="forem")
    bad = opportunity("api-imp-2", None, contract_type="stage")  # stage is not a job contract
    lines = "\n".join(json.dumps(x) for x in (good, bad)).encode()
    files = {"file": ("offres.jsonl", lines, "application/x-ndjson")}
    r = api.call("maison.liege", "POST", "/api/v1/opportunities/import", files=files)
    assert r.status_code == 422 and not r.json()["stored"] and r.json()["row_errors"]
    assert api.call("maison.liege", "GET", "/api/v1/opportunities/api-imp-1").status_code == 404
    skip = api.call(
        "maison.liege", "POST", "/api/v1/opportunities/import?skip_invalid=true", files=files
    )
    assert skip.status_code == 200 and skip.json()["inserted"] == 1
    assert api.call("maison.liege", "GET", "/api/v1/opportunities/api-imp-1").status_code == 200
    odd = {"file": ("offres.docx", b"x", "application/octet-stream")}
    assert (
        api.call("maison.liege", "POST", "/api/v1/opportunities/import", files=odd).status_code
        == 415
    )


def test_title_linking(api: World, linker: object) -> None:
    # ``linker`` fills the shared embedding cache: the app's own linker then reads it
    api.build_linker()
    r = api.call(
        "coach.liege",
        "POST",
        "/api/v1/occupations/link",
        json={"titles": ["Magasinier cariste (h/f/x)"], "top": 3},
    )
    assert r.status_code == 200
    results = r.json()[0]["results"]
    assert len(results) == 3 and results[0]["uri"].startswith("http://data.europa.eu/esco/")


def test_request_limits(api: World) -> None:
    big = api.call(
        "coach.liege",
        "POST",
        "/api/v1/shortlists",
        content=b"{" + b" " * (api.settings.max_body_bytes + 10) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert big.status_code == 413 and big.headers["x-request-id"]
    assert api.call("coach.liege", "GET", "/api/v1/beneficiaries?limit=100000").status_code == 422
    r = api.call("coach.liege", "GET", "/api/v1/beneficiaries?limit=1000")
    assert r.json()["limit"] == api.settings.max_page_size


def test_admin_manages_users_keys_and_model(api: World) -> None:
    new = {"username": "feed.forem", "password": "un-long-mot-de-passe", "role": "maison_emploi"}
    assert api.call("admin", "POST", "/api/v1/admin/users", json=new).status_code == 201
    assert api.call("admin", "POST", "/api/v1/admin/users", json=new).status_code == 409
    coach_without_cpas = {**new, "username": "c2", "role": "coach"}
    assert (
        api.call("admin", "POST", "/api/v1/admin/users", json=coach_without_cpas).status_code == 422
    )
    key = api.call(
        "admin", "POST", "/api/v1/admin/users/feed.forem/api-keys", json={"label": "flux"}
    )
    assert key.status_code == 201
    h = {"X-API-Key": key.json()["api_key"]}
    assert api.client.get("/api/v1/auth/me", headers=h).json()["role"] == "maison_emploi"
    assert (
        api.call("admin", "PATCH", "/api/v1/admin/users/feed.forem", json={"active": False}).json()[
            "active"
        ]
        is False
    )
    assert api.client.get("/api/v1/auth/me", headers=h).status_code == 401
    info = api.call("admin", "POST", "/api/v1/admin/model/reload")
    assert info.status_code == 200 and info.json()["ready"]
    assert api.call("coach.liege", "POST", "/api/v1/admin/model/reload").status_code == 403


def test_search_rate_limit_answers_429_with_retry_after(api: World, linker: object) -> None:
    limiter = api.client.app.state.tremplin.limiter  # type: ignore[attr-defined]
    saved = limiter.per_minute
    limiter.per_minute = 2
    limiter.clear()  # calls made by earlier tests of this module do not count
    api.build_linker()
    try:
        body = {"titles": ["cariste"], "top": 1}
        codes = [
            api.call("maison.liege", "POST", "/api/v1/occupations/link", json=body).status_code
            for _ in range(3)
        ]
        assert codes[:2] == [200, 200] and codes[2] == 429
        r = api.call("maison.liege", "POST", "/api/v1/occupations/link", json=body)
        assert int(r.headers["Retry-After"]) >= 1 and "trop de recherches" in r.json()["detail"]
        # other users are not affected
        other = api.call("coach.liege", "POST", "/api/v1/occupations/link", json=body)
        assert other.status_code == 200
    finally:
        limiter.per_minute = saved
        limiter.clear()


def test_domain_errors_carry_a_code_and_their_headers(api: World) -> None:
    """Every refusal names its kind for programs (``code``) beside the bilingual message."""
    missing = api.call("coach.liege", "GET", "/api/v1/beneficiaries/nobody")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert missing.json()["request_id"] == missing.headers["X-Request-ID"]
    anonymous = api.client.get("/api/v1/beneficiaries")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    refused = api.call("admin", "GET", "/api/v1/beneficiaries")
    assert refused.status_code == 403 and refused.json()["code"] == "refused_by_policy"
    empty = {"id": "e1", "constraints": {"home_postcode": 4000}}
    r = api.call("coach.liege", "POST", "/api/v1/shortlists", json={"profile": empty})
    assert r.status_code == 422 and r.json()["code"] == "empty_profile"
    incoherent = {"profile": profile("p"), "beneficiary_id": "x"}
    r = api.call("coach.liege", "POST", "/api/v1/shortlists", json=incoherent)
    assert r.json()["code"] == "invalid_request" and "beneficiary_id" in r.json()["detail"]


def test_no_account_can_hold_the_system_role(api: World) -> None:
    """The system role is the command line's: the API refuses to give it to a user."""
    body = {"username": "robot", "password": "un-long-mot-de-passe", "role": "system"}
    r = api.call("admin", "POST", "/api/v1/admin/users", json=body)
    assert r.status_code == 403 and r.json()["code"] == "refused_by_policy"
    listed = api.call("admin", "GET", "/api/v1/admin/users?limit=1000").json()["items"]
    assert "robot" not in [u["username"] for u in listed]


def test_command_line_and_api_rank_the_same_way_and_both_audit(
    api: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One shortlist service: the same person gets the same ranking from the API and from
    ``tremplin shortlist``, and the command line's is audited under a named system actor and
    kept in the person's history."""
    from typer.testing import CliRunner

    from tremplin.settings import get_settings
    from tremplin_cli.main import app as cli

    s = api.settings
    for key, value in {
        "TREMPLIN_DATA_DIR": s.data_dir,
        "TREMPLIN_DATABASE_URL": s.database_url,
        "TREMPLIN_MODELS_DIR": s.models_dir,
        "TREMPLIN_EMBEDDING_CACHE": s.embedding_cache,
        "TREMPLIN_PSEUDONYM_KEY": s.pseudonym_key,
    }.items():
        monkeypatch.setenv(key, str(value))
    get_settings.cache_clear()
    ben = api.beneficiaries["cpas-liege"][1]
    try:
        out = CliRunner().invoke(
            cli, ["shortlist", "--beneficiary", ben, "--top", "5", "--today", TODAY, "--json"]
        )
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    by_cli = [i["opportunity_id"] for i in json.loads(out.stdout)["items"]]
    body = {"beneficiary_id": ben, "top": 5, "today": TODAY}
    by_api = api.call("coach.liege", "POST", "/api/v1/shortlists", json=body).json()
    assert by_cli == [i["opportunity_id"] for i in by_api["shortlist"]["items"]]
    records = api.call("admin", "GET", "/api/v1/admin/audit?action=shortlist&limit=1000").json()
    cli_records = [a for a in records["items"] if a["actor"].startswith("cli:")]
    assert cli_records and cli_records[-1]["role"] == "system"
    assert cli_records[-1]["tenant"] == "cpas-liege"
    assert cli_records[-1]["returned_ids"][: len(by_cli)] == by_cli
    history = api.call("coach.liege", "GET", f"/api/v1/beneficiaries/{ben}/shortlists").json()
    assert any(h["created_by"].startswith("cli:") for h in history["items"])


def test_request_ids_up_to_the_accepted_length_reach_the_audit_trail(api: World) -> None:
    """A 64-character X-Request-ID is accepted, echoed and stored with the audited write (the
    column used to hold 36 on PostgreSQL: the write answered 500 and was rolled back)."""
    rid = "r" * 64
    ben = api.beneficiaries["cpas-liege"][0]
    body = {"beneficiary_id": ben, "top": 3, "today": TODAY}
    r = api.call(
        "coach.liege", "POST", "/api/v1/shortlists", json=body, headers={"X-Request-ID": rid}
    )
    assert r.status_code == 200, r.text
    assert r.headers["X-Request-ID"] == rid
    records = api.call("admin", "GET", "/api/v1/admin/audit?action=shortlist&limit=1000").json()
    assert rid in [a["request_id"] for a in records["items"]]
    too_long = api.call(
        "coach.liege", "POST", "/api/v1/shortlists", json=body, headers={"X-Request-ID": "r" * 65}
    )
    assert too_long.status_code == 200 and too_long.headers["X-Request-ID"] != "r" * 65


@pytest.mark.parametrize(
    ("name", "content", "status", "words"),
    [
        ("vide.csv", b"", 422, "vide"),
        ("latin1.csv", "id;title\n1;Café\n".encode("latin-1"), 422, "UTF-8"),
        ("abime.parquet", b"PAR1 ceci n'est pas un parquet", 422, "Parquet"),
        ("offres.json", b"[]", 415, ".jsonl"),
    ],
)
def test_unreadable_import_files_answer_4xx_with_what_to_fix(
    api: World, name: str, content: bytes, status: int, words: str
) -> None:
    files = {"file": (name, content, "application/octet-stream")}
    r = api.call("maison.liege", "POST", "/api/v1/opportunities/import", files=files)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"] and r.json()["code"] in (
        "unreadable_file",
        "unsupported_format",
    )
    assert r.json()["request_id"] == r.headers["X-Request-ID"]


def test_an_internal_error_still_names_its_request(
    api: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 500 carries the request id in its body and header, so "quote request_id" works."""
    from services import shortlists

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(shortlists, "shortlist", broken)
    ben = api.beneficiaries["cpas-liege"][0]
    r = api.call(
        "coach.liege",
        "POST",
        "/api/v1/shortlists",
        json={"beneficiary_id": ben},
        headers={"X-Request-ID": "trace-500"},
    )
    assert r.status_code == 500
    assert r.json()["request_id"] == "trace-500" == r.headers["X-Request-ID"]
    assert "boom" not in r.text


def test_erasure_leaves_no_vector_of_the_person_in_any_cache(api: World) -> None:
    """After an erasure, neither the persistent embedding cache nor the in-memory query
    vectors hold anything computed from the person's texts (they used to stay, keyed by a
    hash of the free text)."""
    from matching.embedding_cache import EmbeddingCache
    from matching.encoder import remembered_query_texts
    from matching.engine import cache_path
    from services.erasure import derived_texts
    from tremplin.store.repository import get_beneficiary

    wish = "Je voudrais devenir ferronnière d'art, près de Jupille"
    person = profile("api-forget", aspirations={"text": wish})
    person["experiences"] = [{"title": "Soudeuse en atelier", "months": 14}]
    assert api.call("coach.liege", "POST", "/api/v1/beneficiaries", json=person).status_code == 201
    state = api.client.app.state.tremplin  # type: ignore[attr-defined]
    state.matching._prepare_profiles()  # what the service does at start: vectors persisted
    with state.transaction() as session:
        stored = get_beneficiary(session, "cpas-liege", "api-forget")
    assert stored is not None
    texts = derived_texts(state, stored)
    cache = EmbeddingCache(cache_path(state.settings))
    try:
        assert any(cache.contains(t, "query") for t in texts)
        gone = api.call("coach.liege", "DELETE", "/api/v1/beneficiaries/api-forget")
        assert gone.status_code == 200
        assert not any(cache.contains(t, "query") for t in texts)
    finally:
        cache.close()
    assert not texts & remembered_query_texts()
    assert not any(wish in t for t in remembered_query_texts())


def test_sign_in_guessing_is_throttled_and_junk_names_cost_nothing(api: World) -> None:
    """Five wrong passwords, then 429 with Retry-After; names longer than any account's are
    refused before any lookup and leave no state behind."""
    guard = api.client.app.state.tremplin.signin  # type: ignore[attr-defined]
    guard.clear()
    try:
        wrong = {"username": "coach.seraing", "password": "pas-le-bon-mot-de-passe"}
        codes = [api.client.post("/api/v1/auth/token", data=wrong).status_code for _ in range(6)]
        assert codes == [401] * 5 + [429]
        r = api.client.post("/api/v1/auth/token", data=wrong)
        assert r.json()["code"] == "rate_limited" and int(r.headers["Retry-After"]) >= 1
        before = len(guard)
        for n in range(300):
            junk = {"username": f"{n}" + "x" * 100_000, "password": "y"}
            assert api.client.post("/api/v1/auth/token", data=junk).status_code == 401
        assert len(guard) == before
    finally:
        guard.clear()


def test_invisible_offers_empty_kinds_and_numeric_dates_are_refused(api: World) -> None:
    """An outcome on an offer reserved for another CPAS is "not found" (it used to be
    stored); a shortlist of no kind is invalid (it used to be stored and audited empty); an
    outcome dated by a bare number is invalid (``0`` used to be stored as 1970)."""
    reserved = opportunity("api-reserved-seraing", None, source="forem")
    reserved["reserved_for_cpas"] = "cpas-seraing"
    made = api.call("maison.liege", "POST", "/api/v1/opportunities", json=reserved)
    assert made.status_code == 201, made.text
    ben = api.beneficiaries["cpas-liege"][3]
    event = {
        "id": "api-evt-hidden",
        "beneficiary_id": ben,
        "opportunity_id": "api-reserved-seraing",
        "type": "applied",
        "occurred_at": "2026-11-02T10:00:00Z",
    }
    hidden = api.call("coach.liege", "POST", "/api/v1/outcomes", json=event)
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
    opp = api.call("coach.liege", "GET", "/api/v1/opportunities?limit=1").json()["items"][0]["id"]
    numeric = {**event, "id": "api-evt-1970", "opportunity_id": opp, "occurred_at": 0}
    assert api.call("coach.liege", "POST", "/api/v1/outcomes", json=numeric).status_code == 422
    before = api.call("admin", "GET", "/api/v1/admin/audit?action=shortlist&limit=1").json()
    empty = api.call(
        "coach.liege", "POST", "/api/v1/shortlists", json={"beneficiary_id": ben, "kinds": []}
    )
    assert empty.status_code == 422
    after = api.call("admin", "GET", "/api/v1/admin/audit?action=shortlist&limit=1").json()
    assert after["total"] == before["total"]


def test_a_common_password_is_refused_with_422_and_nothing_stored(api: World) -> None:
    body = {"username": "feed.weak", "password": "azertyuiop123", "role": "maison_emploi"}
    r = api.call("admin", "POST", "/api/v1/admin/users", json=body)
    assert r.status_code == 422 and r.json()["code"] == "weak_password"
    assert "mot de passe trop facile" in r.json()["detail"]
    names = [u["username"] for u in api.call("admin", "GET", "/api/v1/admin/users").json()["items"]]
    assert "feed.weak" not in names
    reset = api.call(
        "admin", "PATCH", "/api/v1/admin/users/coach.seraing", json={"password": "a" * 12}
    )
    assert reset.status_code == 422 and reset.json()["code"] == "weak_password"


def test_event_ids_are_the_cpas_own_and_never_collide_across_tenants(api: World) -> None:
    """Another CPAS's event id used to answer 409 (revealing that it exists there)."""
    opp = api.call("coach.liege", "GET", "/api/v1/opportunities?limit=1").json()["items"][0]["id"]
    event = {
        "id": "shared-evt-1",
        "opportunity_id": opp,
        "type": "proposed",
        "occurred_at": "2026-11-02T10:00:00Z",
    }
    liege = {**event, "beneficiary_id": api.beneficiaries["cpas-liege"][2]}
    seraing = {**event, "beneficiary_id": api.beneficiaries["cpas-seraing"][0]}
    assert api.call("coach.liege", "POST", "/api/v1/outcomes", json=liege).status_code == 201
    assert api.call("coach.seraing", "POST", "/api/v1/outcomes", json=seraing).status_code == 201
    assert api.call("coach.seraing", "POST", "/api/v1/outcomes", json=seraing).status_code == 409


def test_405_names_the_allowed_methods_and_chunked_bodies_over_the_limit_are_413(
    api: World,
) -> None:
    r = api.call("coach.liege", "OPTIONS", "/api/v1/beneficiaries")
    assert r.status_code == 405 and r.headers["Allow"] == "GET, POST"
    assert api.call(None, "PATCH", "/healthz").headers["Allow"] == "GET"
    assert api.call(None, "POST", "/docs").headers["Allow"] == "GET"  # an undocumented page
    chunk = b" " * (1 << 20)

    def body() -> Any:
        for _ in range(api.settings.max_body_bytes // len(chunk) + 2):
            yield chunk

    big = api.call(
        "coach.liege",
        "POST",
        "/api/v1/beneficiaries",
        content=body(),
        headers={"Content-Type": "application/json"},
    )
    assert big.status_code == 413 and big.json()["request_id"] == big.headers["X-Request-ID"]


def test_every_bounded_string_fits_its_column(api: World) -> None:
    """Each string the API accepts, at its maximum length, is stored and read back (PostgreSQL
    refuses what does not fit its VARCHAR; SQLite would not notice)."""
    from tremplin.store.widths import REQUEST_ID_LENGTH

    longest = {"X-Request-ID": "r" * REQUEST_ID_LENGTH}
    ben_id = "b" * 64
    person = {
        "id": ben_id,
        "constraints": {"home_postcode": 4000},
        "experiences": [{"title": "é" * 200, "months": 12}],
        "aspirations": {"text": "à" * 2000},
    }
    created = api.call("coach.liege", "POST", "/api/v1/beneficiaries", json=person, headers=longest)
    assert created.status_code == 201, created.text
    read = api.call("coach.liege", "GET", f"/api/v1/beneficiaries/{ben_id}").json()
    assert read["experiences"][0]["title"] == "é" * 200
    offer_id = "o" * 64
    offer = opportunity(offer_id, None, title="ô" * 200, source="maison_emploi")
    posted = api.call("maison.liege", "POST", "/api/v1/opportunities", json=offer, headers=longest)
    assert posted.status_code == 201, posted.text
    assert api.call("maison.liege", "GET", f"/api/v1/opportunities/{offer_id}").status_code == 200
    event = {
        "id": "v" * 64,
        "beneficiary_id": ben_id,
        "opportunity_id": offer_id,
        "type": "proposed",
        "occurred_at": "2026-11-02T10:00:00Z",
        "shortlist_id": "s" * 64,
    }
    recorded = api.call("coach.liege", "POST", "/api/v1/outcomes", json=event, headers=longest)
    assert recorded.status_code == 201, recorded.text
    user = {"username": "u" * 64, "password": "une-phrase-longue-et-solide", "role": "admin"}
    assert api.call("admin", "POST", "/api/v1/admin/users", json=user).status_code == 201
    key = api.call(
        "admin", "POST", f"/api/v1/admin/users/{'u' * 64}/api-keys", json={"label": "k" * 100}
    )
    assert key.status_code == 201, key.text
    trail = api.call("admin", "GET", f"/api/v1/admin/audit?tenant={'t' * 64}&actor={'u' * 64}")
    assert trail.status_code == 200


def test_after_an_erasure_no_table_and_no_file_holds_anything_of_the_person(api: World) -> None:
    """Walk every table and every file of the data folder after a full life (profile,
    monitoring data, shortlist, outcome, consent) and its erasure: the person's id and their
    words are nowhere; the audit trail keeps the pseudonym only."""
    from sqlalchemy import select

    from tremplin.store.models import Base

    pid, wish = "walk-erase-7f3c", "Devenir rempailleuse de chaises a Chenee"
    person = profile(pid, aspirations={"text": wish})
    person["experiences"] = [{"title": "Cannage artisanal Chenee", "months": 9}]
    assert api.call("coach.liege", "POST", "/api/v1/beneficiaries", json=person).status_code == 201
    shortlist = api.call(
        "coach.liege",
        "POST",
        "/api/v1/shortlists",
        json={"beneficiary_id": pid, "top": 3, "today": TODAY},
    )
    assert shortlist.status_code == 200, shortlist.text
    offer = api.call("coach.liege", "GET", "/api/v1/opportunities?limit=1").json()["items"][0]["id"]
    event = {
        "id": "walk-evt-1",
        "beneficiary_id": pid,
        "opportunity_id": offer,
        "type": "proposed",
        "occurred_at": "2026-11-02T10:00:00Z",
    }
    assert api.call("coach.liege", "POST", "/api/v1/outcomes", json=event).status_code == 201
    consent = {"employer_pool": True}
    assert (
        api.call(
            "coach.liege", "PUT", f"/api/v1/beneficiaries/{pid}/consent", json=consent
        ).status_code
        == 200
    )
    erased = api.call("coach.liege", "DELETE", f"/api/v1/beneficiaries/{pid}")
    assert erased.status_code == 200
    pseudonym = erased.json()["audit_subject"]
    marks = [pid, wish, "Cannage artisanal", "walk-evt-1"]
    state = api.client.app.state.tremplin  # type: ignore[attr-defined]
    found: list[str] = []
    pseudonyms = 0
    with state.factory() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                text = json.dumps([str(v) for v in row], ensure_ascii=False)
                found += [f"{table.name}: {m}" for m in marks if m in text]
                pseudonyms += pseudonym in text
    assert not found, found
    assert pseudonyms >= 3  # the shortlist, the outcome and the erasure, by pseudonym
    for path in sorted(p for p in state.settings.data_dir.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = [m for m in marks if m.encode() in data]
        assert not hits, f"{path.name} still holds {hits}"


def test_nul_characters_are_refused_before_they_reach_the_database(api: World) -> None:
    """PostgreSQL refuses NUL in any text: it used to surface as a 500 (schemathesis found it)."""
    person = profile("api-nul", aspirations={"text": "cariste\u0000"})
    r = api.call("coach.liege", "POST", "/api/v1/beneficiaries", json=person)
    assert r.status_code == 422 and "NUL" in json.dumps(r.json())
    search = api.call("coach.liege", "GET", "/api/v1/opportunities?q=cari%00ste")
    assert search.status_code == 422 and search.json()["request_id"]
    trail = api.call("admin", "GET", "/api/v1/admin/audit?actor=a%00b")
    assert trail.status_code == 422
    sign_in = api.client.post(
        "/api/v1/auth/token", data={"username": "coach\u0000liege", "password": "x"}
    )
    assert sign_in.status_code == 401  # a name no account can have, refused before any lookup
    assert api.call("coach.liege", "GET", "/api/v1/beneficiaries/api-nul").status_code == 404


def test_title_links_never_wait_for_the_linker_and_are_budgeted_by_titles(
    api: World, linker: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the linker is built a link request answers 503 at once (it used to wait for the
    build, minutes, holding a compute slot); budgets count titles, not requests."""
    state = api.client.app.state.tremplin  # type: ignore[attr-defined]
    api.build_linker()
    built = state.matching._linker
    asked: list[bool] = []
    monkeypatch.setattr(state.matching, "prepare_linker", lambda: asked.append(True))
    state.matching._linker = None
    try:
        r = api.call("employer", "POST", "/api/v1/occupations/link", json={"titles": ["cariste"]})
        assert r.status_code == 503 and r.headers["Retry-After"] and asked == [True]
        assert api.call(None, "GET", "/readyz").json()["title_linker_ready"] is False
    finally:
        state.matching._linker = built
    budget = state.title_budget
    saved = budget.per_minute
    budget.per_minute = 150
    budget.clear()
    try:
        body = {"titles": [f"magasinier {i}" for i in range(100)], "top": 1}
        first = api.call("employer", "POST", "/api/v1/occupations/link", json=body)
        assert first.status_code == 200 and len(first.json()) == 100
        second = api.call("employer", "POST", "/api/v1/occupations/link", json=body)
        assert second.status_code == 429 and "titres" in second.json()["detail"]
        few = {"titles": ["cariste"], "top": 1}
        assert api.call("employer", "POST", "/api/v1/occupations/link", json=few).status_code == 200
    finally:
        budget.per_minute = saved
        budget.clear()
        state.limiter.clear()


def test_boolean_query_flags_are_true_or_false_as_documented(api: World) -> None:
    """``?in_employer_pool=1`` used to pass as true: the schema says boolean (schemathesis)."""
    ok = api.call("coach.liege", "GET", "/api/v1/beneficiaries?in_employer_pool=true")
    assert ok.status_code == 200
    for odd in ("1", "yes", "on"):
        r = api.call("coach.liege", "GET", f"/api/v1/beneficiaries?in_employer_pool={odd}")
        assert r.status_code == 422, odd


def test_a_maison_imports_a_forem_feed_through_the_api_and_reads_the_uncoded_offers(
    api: World, linker: object
) -> None:
    """The API's bulk import with ``format=forem``: refused rows reported, the uncoded offer's
    métier read from the ad in the report and on the offer itself once served."""
    w = api
    w.build_linker()
    files = {
        "file": (
            "offres.jsonl",
            (FEEDS / "forem_offers.jsonl").read_bytes(),
            "application/x-ndjson",
        )
    }
    url = "/api/v1/opportunities/import?format=forem"
    refused = w.call("maison.liege", "POST", url, files=files)
    assert refused.status_code == 422 and len(refused.json()["row_errors"]) == 4
    assert any("diffusion terminée" in e for e in refused.json()["row_errors"])
    r = w.call("maison.liege", "POST", url + "&skip_invalid=true", files=files)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["inserted"] + report["unchanged"] + report["updated"] == 5
    coded = {c["id"]: c for c in report["coded"]}
    assert set(coded) <= {"forem-4313100", "forem-4313150"}  # the two that came uncoded
    if coded:  # first import of these rows in this world
        assert (
            coded["forem-4313100"]["code"] == "N1110"
            and coded["forem-4313100"]["probability"] > 0.5
        )
    state = w.client.app.state.tremplin  # type: ignore[attr-defined]
    state.matching.reload()
    view = w.call("maison.liege", "GET", "/api/v1/opportunities/forem-4313100").json()
    assert view["employer_name"] == "Logistique Herstal" and view["occupation"]["rome_code"] is None
    assert view["inferred_metiers"][0]["code"] == "N1110"
    given = w.call("maison.liege", "GET", "/api/v1/opportunities/forem-4312876").json()
    assert given["occupation"]["rome_code"] == "K1304" and given["inferred_metiers"] == []
    odd = {"file": ("offres.csv", b"id,title\nx,y\n", "text/csv")}
    bad = w.call("maison.liege", "POST", url, files=odd)
    assert bad.status_code == 415 and "JSON" in bad.json()["detail"]
    assert w.call("coach.liege", "POST", url, files=files).status_code == 403


def test_a_coach_pastes_notes_and_gets_skills_to_confirm(api: World) -> None:
    notes = (
        "Expérience : 3 ans en titres-services.\n- Laver des vitres\n- Repasser le linge\n"
        "Sait préparer des repas simples."
    )
    url = "/api/v1/occupations/skills-in-text"
    r = api.call("coach.liege", "POST", url, json={"text": notes})
    assert r.status_code == 200, r.text
    found = {m["label"]: m for m in r.json()}
    assert "Laver des vitres" in found and found["Laver des vitres"]["sentence"]
    assert all(m["id"].startswith("rome:") for m in r.json())
    assert api.call("maison.liege", "POST", url, json={"text": notes}).status_code == 403
    too_long = api.call("coach.liege", "POST", url, json={"text": "x" * 20_001})
    assert too_long.status_code == 422


def test_a_restored_backup_serves_the_same_shortlists(api: World, tmp_path: Path) -> None:
    """The drill of ``docs/deploy.md``: backup, restore into an empty installation of the same
    kind, start the service there: same people, same shortlists, same model versions, and an
    audit chain that verifies (the converted encoder comes from the installed package, so the
    copy leaves the models folder out, as ``tremplin backup --no-models`` does)."""
    from functools import partial

    from api_support import PASSWORD, settings_for
    from fastapi.testclient import TestClient

    from tests.conftest import empty_database_like
    from tremplin import audit_chain
    from tremplin.backup import backup, restore
    from tremplin.store.db import make_engine, session_factory
    from web.app import create_site

    people = api.beneficiaries["cpas-liege"][:3]
    body = {"top": 10, "today": TODAY}

    def served(call: Any) -> list[Any]:
        out = []
        for person in people:
            got = call("/api/v1/shortlists", json={**body, "beneficiary_id": person}).json()
            items = [(i["opportunity_id"], round(i["score"], 6)) for i in got["shortlist"]["items"]]
            out.append((items, got["model_version"], got.get("ranker_version")))
        return out

    before = served(partial(api.call, "coach.liege", "POST"))
    shared = Path(api.settings.models_dir or tmp_path).parent
    backup(api.settings, tmp_path / "backup", models=False)
    for url in empty_database_like(api.settings.database_url, tmp_path):
        target = settings_for(tmp_path / "restored", url, shared)
        restore(target, tmp_path / "backup")
        with TestClient(create_site(target)) as client:
            signed = client.post(
                "/api/v1/auth/token", data={"username": "coach.liege", "password": PASSWORD}
            )
            headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
            after = served(partial(client.post, headers=headers))
            versions = client.get("/readyz").json()
        assert after == before
        assert versions["model_version"] == before[0][1]
        engine = make_engine(url)
        with session_factory(engine)() as session:
            assert audit_chain.verify(session).intact
        engine.dispose()

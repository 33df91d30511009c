"""The pages' rules, below the browser: sessions and CSRF, sign-in redirects, HTML errors
beside JSON ones, forms read into the same contracts as the API (bad input gets the form back
with what to fix, and nothing stored), monitoring attributes kept on edit, task ownership."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import PASSWORD, World, finish_task, page_session
from fastapi.testclient import TestClient

from data_contracts.models import BeneficiaryProfile
from tremplin.store import repository as repo
from tremplin.store.db import make_engine, session_factory


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[World]:
    from api_support import world

    root = tmp_path_factory.mktemp("pages")
    with world(root, f"sqlite:///{root / 'tremplin.db'}", shared_dir) as w:
        yield w


def _stored(w: World, cpas: str, pid: str) -> BeneficiaryProfile | None:
    with session_factory(make_engine(w.settings.database_url))() as session:
        return repo.get_beneficiary(session, cpas, pid)


FORM = {
    "id": "page-0001",
    "aspiration_text": "aide-ménager en titres-services",
    "skills": "tenir une caisse\n",
    "experiences": "Vendeur ; 14\n",
    "home_postcode": "4000",
    "max_distance_km": "20",
    "max_hours_per_week": "30",
    "french_level": "B1",
    "other_languages": "nl A2, ar C2",
    "education_level": "lower_secondary",
    "transport_modes": ["public_transport", "bike"],
    "available_shifts": ["day"],
    "trajectory_phase": "employment",
    "employer_pool": "1",
}


def test_pages_need_a_session_and_a_csrf_token(site: World) -> None:
    anonymous = TestClient(site.client.app)
    r = anonymous.get("/coach/beneficiaires", follow_redirects=False)
    assert (
        r.status_code == 303 and r.headers["location"] == "/connexion?suivant=/coach/beneficiaires"
    )
    r = anonymous.get("/coach/competences?terme=caisse", headers={"HX-Request": "true"})
    assert r.status_code == 204 and r.headers["HX-Redirect"].startswith("/connexion")
    page, csrf = page_session(site, "coach.liege")
    for token in (None, "0" * 40):
        data = {**FORM, **({"csrf": token} if token else {})}
        r = page.post("/coach/beneficiaires/nouveau", data=data)
        assert r.status_code == 403 and "rechargez la page" in r.text
    assert _stored(site, "cpas-liege", "page-0001") is None
    # a session's token is worthless in another session
    other, _ = page_session(site, "coach.liege")
    r = other.post("/coach/beneficiaires/nouveau", data={**FORM, "csrf": csrf})
    assert r.status_code == 403


def test_sign_in_goes_back_to_local_pages_only(site: World) -> None:
    client = TestClient(site.client.app)
    for target, expected in (
        ("/coach/demandes", "/coach/demandes"),
        ("//evil.example/x", "/coach/beneficiaires"),
        ("https://evil.example", "/coach/beneficiaires"),
        ("/\\\\evil.example", "/coach/beneficiaires"),
    ):
        r = client.post(
            "/connexion",
            data={"username": "coach.liege", "password": PASSWORD, "suivant": target},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == expected
        assert "httponly" in r.headers["set-cookie"].lower()
        assert "samesite=strict" in r.headers["set-cookie"].lower()
    r = client.post("/connexion", data={"username": "coach.liege", "password": "faux"})
    assert r.status_code == 401 and "identifiant ou mot de passe incorrect" in r.text


def test_sign_out_revokes_the_session(site: World) -> None:
    page, csrf = page_session(site, "coach.seraing")
    assert page.get("/coach/beneficiaires").status_code == 200
    secret = page.cookies["tremplin_session"]
    r = page.post("/deconnexion", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/connexion"
    assert "tremplin_session" not in page.cookies  # the cookie is gone ...
    replay = TestClient(site.client.app)
    replay.cookies.set("tremplin_session", secret)
    r = replay.get("/coach/beneficiaires", follow_redirects=False)
    assert r.status_code == 303  # ... and the token behind it revoked


def test_errors_are_html_on_pages_and_json_on_the_api(site: World) -> None:
    page, _ = page_session(site, "coach.liege")
    r = page.get("/coach/nulle-part")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Page introuvable" in r.text
    r = page.get("/coach/beneficiaires/personne-inconnue")
    assert r.status_code == 404 and "bénéficiaire introuvable" in r.text
    r = page.get("/coach/beneficiaires?phase=pas-une-phase")
    assert r.status_code == 422 and "formulaire contient des erreurs" in r.text
    r = site.client.get("/api/v1/nulle-part")
    assert r.status_code == 404 and r.json()["request_id"]
    r = page.get("/admin/modeles")
    assert r.status_code == 403 and "Accès refusé" in r.text


def test_a_profile_made_on_the_page_is_the_api_s_profile(site: World) -> None:
    page, csrf = page_session(site, "coach.liege")
    r = page.post("/coach/beneficiaires/nouveau", data={**FORM, "csrf": csrf})
    assert r.status_code == 200 and "Profil enregistré." in r.text, r.text[:2000]
    got = site.call("coach.liege", "GET", "/api/v1/beneficiaries/page-0001").json()
    assert got["constraints"]["home_postcode"] == 4000
    assert got["constraints"]["transport_modes"] == ["public_transport", "bike"]
    assert {(x["language"], x["level"]) for x in got["languages"]} == {
        ("fr", "B1"),
        ("nl", "A2"),
        ("ar", "C2"),
    }
    assert [s["label"] for s in got["skills"]] == ["tenir une caisse"]
    assert got["experiences"] == [
        {"title": "Vendeur", "rome_code": None, "months": 14, "end_year": None}
    ]
    assert got["consent"]["employer_pool"] and got["consent"]["given_at"]
    # the same id again: a conflict, said on the form
    r = page.post("/coach/beneficiaires/nouveau", data={**FORM, "csrf": csrf})
    assert r.status_code == 409 and "existe déjà" in r.text


def test_editing_on_the_page_keeps_the_monitoring_attributes(site: World) -> None:
    person = site.beneficiaries["cpas-liege"][1]
    before = _stored(site, "cpas-liege", person)
    assert before is not None
    page, csrf = page_session(site, "coach.liege")
    html = page.get(f"/coach/beneficiaires/{person}").text
    assert "monitoring" not in html and "origin" not in html
    form = {**FORM, "csrf": csrf, "aspiration_text": "cariste en entrepôt"}
    form.pop("id")
    r = page.post(f"/coach/beneficiaires/{person}", data=form)
    assert r.status_code == 200 and "Profil enregistré." in r.text
    after = _stored(site, "cpas-liege", person)
    assert after is not None and after.aspirations.text == "cariste en entrepôt"
    assert after.monitoring == before.monitoring


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"skills": "une compétence qui n'existe pas"}, "compétences inconnues"),
        ({"other_languages": "néerlandais"}, "langue mal écrite"),
        ({"home_postcode": "12"}, "home_postcode"),
        ({"transport_modes": ["car"]}, "permis"),
        ({"id": "a b/c"}, "id"),
        ({"max_distance_km": "loin"}, "max_distance_km"),
    ],
)
def test_bad_form_input_returns_the_form_with_what_to_fix(
    site: World, change: dict[str, Any], said: str
) -> None:
    page, csrf = page_session(site, "coach.liege")
    data = {**FORM, "id": "page-bad", "csrf": csrf, **change}
    r = page.post("/coach/beneficiaires/nouveau", data=data)
    assert r.status_code == 422 and said in r.text, r.text[:3000]
    assert 'id="profil"' in r.text  # the form again ...
    assert FORM["aspiration_text"] in r.text  # ... with what was typed
    assert _stored(site, "cpas-liege", data["id"]) is None


def test_the_maison_imports_a_forem_feed_recognised_from_the_file(site: World) -> None:
    maison, csrf = page_session(site, "maison.liege")
    feed = (Path(__file__).parents[1] / "fixtures" / "feeds" / "forem_offers.jsonl").read_bytes()
    r = maison.post(
        "/maison/opportunites/import",
        data={"csrf": csrf, "format": "", "skip_invalid": "1"},
        files={"file": ("offres-forem.jsonl", feed, "application/x-ndjson")},
    )
    assert r.status_code == 202, r.text
    done = finish_task(maison, r.text)
    assert "enregistré" in done and "diffusion terminée le 31/10/2026" in done
    assert "Métier lu dans l'annonce" in done and "Magasinier cariste" in done
    forced = maison.post(
        "/maison/opportunites/import",
        data={"csrf": csrf, "format": "france-travail"},
        files={"file": ("offres.csv", b"id,title\nx,y\n", "text/csv")},
    )
    assert forced.status_code == 415 and "JSON" in forced.text


def test_the_profile_form_reads_the_wish_and_pasted_notes(site: World, linker: object) -> None:
    site.build_linker()
    page, csrf = page_session(site, "coach.liege")
    r = page.post(
        "/coach/metiers",
        data={
            "csrf": csrf,
            "aspiration_text": "Je souhaite travailler comme chef",
            "skills": "Préparer des repas\nCuisiner des plats\nÉlaborer des menus",
        },
    )
    assert r.status_code == 200, r.text
    assert "Chef / Cheffe de cuisine (G1601)" in r.text and "sûr à" in r.text
    alone = page.post(
        "/coach/metiers",
        data={"csrf": csrf, "aspiration_text": "Je souhaite travailler comme chef"},
    )
    assert "Souhait vague" in alone.text
    notes = "Expérience en titres-services.\n- Laver des vitres\n- Repasser le linge"
    read = page.post("/coach/competences/lues", data={"csrf": csrf, "notes": notes})
    assert read.status_code == 200 and 'data-add-skill-label="Laver des vitres"' in read.text
    assert "n'est pas conservé" in read.text
    nothing = page.post("/coach/competences/lues", data={"csrf": csrf, "notes": "Bonjour."})
    assert "Aucune compétence reconnue" in nothing.text


def test_a_task_is_its_owner_s(site: World) -> None:
    maison, csrf = page_session(site, "maison.liege")
    r = maison.post(
        "/maison/opportunites/import",
        data={"csrf": csrf},
        files={"file": ("offres.csv", b"id,title\nx,y\n", "text/csv")},
    )
    assert r.status_code == 202
    done = finish_task(maison, r.text)
    assert "rien n'a été enregistré" in done
    task = re.search(r'id="tache-([0-9a-f]+)"', r.text).group(1)  # type: ignore[union-attr]
    other, _ = page_session(site, "coach.liege")
    assert other.get(f"/taches/{task}").status_code == 404
    r = maison.post(
        "/maison/opportunites/import",
        data={"csrf": csrf},
        files={"file": ("offres.xlsx", b"PK", "application/octet-stream")},
    )
    assert r.status_code == 415 and "format non pris en charge" in r.text


def test_a_coach_nominates_and_cancels_from_the_job_day_page(site: World) -> None:
    page, csrf = page_session(site, "coach.liege")
    html = page.get("/coach/journees").text
    day = re.search(r'hx-post="/coach/journees/([^/"]+)/participants"', html)
    assert day, "no job day of the CPAS on the page"
    url = f"/coach/journees/{day.group(1)}/participants"
    person = site.beneficiaries["cpas-liege"][2]
    for status, said in (("nominated", "Inscription"), ("cancelled", "Désistement")):
        r = page.post(url, data={"csrf": csrf, "beneficiary_id": person, "status": status})
        assert r.status_code == 202 and said in r.text
        assert "Enregistré" in finish_task(page, r.text)
    # another CPAS's person: the task says it is not found, and nothing is recorded for them
    stranger = site.beneficiaries["cpas-seraing"][0]
    r = page.post(url, data={"csrf": csrf, "beneficiary_id": stranger, "status": "nominated"})
    assert "bénéficiaire introuvable" in finish_task(page, r.text)
    r = page.post(url, data={"csrf": csrf, "beneficiary_id": person, "status": "peut-être"})
    assert r.status_code == 422

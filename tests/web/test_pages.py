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
from french_scan import english_found

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
        ({"other_languages": "néerlandais"}, "langue mal écrite"),
        ({"home_postcode": "12"}, "Code postal du domicile : "),
        ({"transport_modes": ["car"]}, "permis"),
        ({"id": "a b/c"}, "Référence du dossier : format non valide"),
        ({"max_distance_km": "loin"}, "Distance maximale : indiquez un nombre"),
        ({"aspiration_text": "x" * 2001}, "Projet en ses mots : texte trop long : au plus 2000"),
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
    assert data["aspiration_text"] in r.text  # ... with what was typed
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


def test_an_import_report_reads_in_french_only(site: World) -> None:
    """A refused row names its line, its column and what to fix, in French (the contracts'
    messages carry an English half for programs: the page leaves it out, keeps the value)."""
    maison, csrf = page_session(site, "maison.liege")
    rows = (
        "id,title,kind,location.postcode,contract_type,source\n"
        "fr-1,Commis de cuisine,job_offer,4000,cdd,maison_emploi\n"
        "fr-2,Plongeur,job_offer,12,cdd,maison_emploi\n"
        "fr-3,Aide-ménager,job_offer,1111,cdd,maison_emploi\n"
    )
    r = maison.post(
        "/maison/opportunites/import",
        data={"csrf": csrf},
        files={"file": ("offres.csv", rows.encode(), "text/csv")},
    )
    assert r.status_code == 202, r.text
    done = finish_task(maison, r.text)
    assert "ligne 3, location.postcode : un code postal belge" in done
    assert "(valeur : &#39;12&#39;)" in done or "(valeur : '12')" in done
    assert "ligne 4, location.postcode : code postal 1111 inconnu de bpost" in done
    assert "Belgian" not in done and not english_found(done), english_found(done)


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
    sure = page.post(
        "/coach/metiers",
        data={"csrf": csrf, "aspiration_text": "Je voudrais travailler comme caissière"},
    )
    assert "Lecture sûre" in sure.text and "sûr à 0 %" not in sure.text
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


def _pages_of(site: World, coach: TestClient, csrf: str) -> dict[str, list[str]]:
    """Every page of every role, its ids filled from the sample (a shortlist asked first)."""
    person = site.beneficiaries["cpas-liege"][0]
    asked = coach.post(f"/coach/beneficiaires/{person}/shortlist", data={"csrf": csrf})
    shortlist = re.search(r"/coach/shortlists/([\w-]+)", str(asked.url) + asked.text)
    assert shortlist, asked.text[:500]
    maison, _ = page_session(site, "maison.liege")
    day = re.search(r'href="/maison/journees/([^"/]+)"', maison.get("/maison/journees").text)
    assert day, "no job day for the Maison"
    return {
        "coach.liege": [
            "/coach/beneficiaires",
            "/coach/beneficiaires/nouveau",
            f"/coach/beneficiaires/{person}",
            f"/coach/beneficiaires/{person}/dossier",
            f"/coach/shortlists/{shortlist.group(1)}",
            f"/coach/shortlists/{shortlist.group(1)}/imprimer",
            "/coach/demandes",
            "/coach/journees",
            "/coach/competences?terme=caisse",
            # errors: unknown page, unknown person, a bad filter, another role's page
            "/coach/nulle-part",
            "/coach/beneficiaires/personne-inconnue",
            "/coach/beneficiaires?phase=pas-une-phase&page=zero",
            "/coach/shortlists/inconnue",
            "/admin/modeles",
            "/une-adresse-inconnue",
        ],
        "maison.liege": [
            "/maison/opportunites",
            "/maison/journees",
            f"/maison/journees/{day.group(1)}",
            "/maison/journees/inconnue",
            "/coach/beneficiaires",
        ],
        "employer": ["/employeur/vivier", "/employeur/demandes", "/employeur/vivier?x=1"],
        "admin": [
            "/admin/modeles",
            "/admin/equite",
            "/admin/utilisateurs",
            "/admin/utilisateurs/maison.liege",
            "/admin/utilisateurs/coach.liege",
            "/admin/utilisateurs/inconnu",
            "/admin/journal",
            "/admin/journal?since=hier",
            "/",
        ],
    }


def test_every_page_and_error_reads_in_french(site: World) -> None:
    """Every page of every role, and the errors a person meets (unknown address, refused
    access, bad filters, refused forms), show French sentences only: no English word of the
    stop list, no raw enum value, no pydantic message."""
    from french_scan import english_found

    coach, csrf = page_session(site, "coach.liege")
    sessions = {"coach.liege": (coach, csrf)}
    shown: dict[str, list[str]] = {}
    for user, urls in _pages_of(site, coach, csrf).items():
        client, _ = sessions.get(user) or page_session(site, user)
        for url in urls:
            r = client.get(url, headers={"Accept": "text/html"})
            assert r.headers["content-type"].startswith("text/html"), (user, url)
            shown[f"{user} GET {url} ({r.status_code})"] = english_found(r.text)
    # refused forms: the profile (every kind of problem at once), an outcome, an account
    bad_profile = {**FORM, "csrf": csrf, "id": "x y", "home_postcode": "12", "max_distance_km":
                   "loin", "available_from": "31/02/2026", "aspiration_text": "x" * 2100}  # fmt: skip
    r = coach.post("/coach/beneficiaires/nouveau", data=bad_profile)
    assert r.status_code == 422
    shown["coach profile refused"] = english_found(r.text)
    r = coach.post(
        "/coach/resultats",
        data={"csrf": csrf, "beneficiary_id": site.beneficiaries["cpas-liege"][0],
              "opportunity_id": "opp-000001", "type": "refused", "refusal_reason": ""},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    shown[f"coach outcome refused ({r.status_code})"] = english_found(r.text)
    admin, admin_csrf = page_session(site, "admin")
    for form in (
        {"username": "coach.liege", "password": "un mot de passe solide 2026", "role": "coach",
         "cpas_id": "cpas-liege"},
        {"username": "employeur.fantome", "password": "un mot de passe solide 2026",
         "role": "employer", "employer_id": "emp-qui-n-existe-pas"},
        {"username": "x", "password": "court", "role": "coach"},
    ):  # fmt: skip
        r = admin.post("/admin/utilisateurs", data={**form, "csrf": admin_csrf})
        assert r.status_code in (409, 422), r.text[:500]
        assert 'action="/admin/utilisateurs#creer"' in r.text  # the same form, not a dead end
        shown[f"admin user refused {form['username']}"] = english_found(r.text)
    assert {k: v for k, v in shown.items() if v} == {}
    assert len(shown) > 30


def test_a_refused_save_keeps_everything_typed_and_typed_skills_are_kept(site: World) -> None:
    page, csrf = page_session(site, "coach.liege")
    typed = {
        **FORM,
        "csrf": csrf,
        "id": "page-garde",
        "target_rome_codes": ["K2204"],
        "skills": "tenir une caisse\nparler aux clients avec le sourire\n",
        "home_postcode": "12",
    }
    r = page.post("/coach/beneficiaires/nouveau", data=typed)
    assert r.status_code == 422
    assert 'value="K2204" checked' in r.text  # the ticked métier is still ticked
    assert "parler aux clients avec le sourire" in r.text and FORM["aspiration_text"] in r.text
    assert _stored(site, "cpas-liege", "page-garde") is None
    r = page.post("/coach/beneficiaires/nouveau", data={**typed, "home_postcode": "4000"})
    assert r.status_code == 200 and "Profil enregistré." in r.text
    stored = _stored(site, "cpas-liege", "page-garde")
    assert stored is not None and [s.label for s in stored.skills] == ["tenir une caisse"]
    assert stored.skill_notes == ["parler aux clients avec le sourire"]
    assert stored.aspirations.target_rome_codes == ["K2204"]
    assert "Gardées comme notes" in r.text and "parler aux clients avec le sourire" in r.text


def test_an_admin_runs_the_accounts_from_the_pages(site: World) -> None:
    """A Maison account made without partners is told why it sees no job day; the admin adds a
    partner and the days appear; deactivation asks first; a refusal stays on the form."""
    admin, csrf = page_session(site, "admin")
    new = {"username": "maison.neuve", "password": PASSWORD, "role": "maison_emploi",
           "csrf": csrf}  # fmt: skip
    r = admin.post("/admin/utilisateurs", data=new)
    assert r.status_code == 200 and "Compte créé : maison.neuve" in r.text
    again = admin.post("/admin/utilisateurs", data=new)
    assert again.status_code == 409 and "déjà pris" in again.text
    assert 'value="maison.neuve"' in again.text  # what was typed is still there
    maison, _ = page_session(site, "maison.neuve")
    assert "rattaché à aucun CPAS partenaire" in maison.get("/maison/journees").text
    r = admin.post(
        "/admin/utilisateurs/maison.neuve/rattachement",
        data={"csrf": csrf, "partner_cpas": ["cpas-liege"]},
    )
    assert r.status_code == 200 and "Compte modifié : maison.neuve" in r.text
    days = maison.get("/maison/journees").text
    assert 'href="/maison/journees/' in days and "aucun CPAS partenaire" not in days
    asked = admin.post("/admin/utilisateurs/maison.neuve/desactiver", data={"csrf": csrf})
    assert asked.status_code == 200 and "Oui, désactiver" in asked.text
    assert maison.get("/maison/journees").status_code == 200  # not yet
    done = admin.post(
        "/admin/utilisateurs/maison.neuve/desactiver", data={"csrf": csrf, "confirme": "oui"}
    )
    assert done.status_code == 200 and "Compte modifié" in done.text
    assert maison.get("/maison/journees", follow_redirects=False).status_code == 303
    export = admin.get("/admin/journal/export.csv?action=user_change")
    assert export.status_code == 200 and export.content.startswith("\ufeff".encode())
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Date et heure (Bruxelles);Action;Acteur")
    assert any(";compte créé ou modifié;admin;" in line for line in lines[1:])
    # the audit chain is walked from the page, and the page says how it stands
    assert "Jamais vérifiée" in admin.get("/admin/journal").text
    started = admin.post("/admin/journal/verifier", data={"csrf": csrf},
                         headers={"HX-Request": "true"})  # fmt: skip
    finish_task(admin, started.text)
    assert "audit intacte" in admin.get("/admin/journal").text

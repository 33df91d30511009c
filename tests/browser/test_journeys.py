"""Every role's journey through the pages in headless Chromium (Debian's), against a live
server over the sample: what a person sees, what they can do, what they must not reach.

Screenshots of the main pages go to ``TREMPLIN_SCREENSHOTS`` (default ``build/screenshots``);
the README embeds the copies in ``docs/screenshots``."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    LIEGE_DAY,
    PASSWORD,
    Guard,
    Site,
    api,
    guarded_page,
    shot,
    sign_in,
    tick_first_metier,
)


def test_a_coach_edits_a_profile_gets_a_shortlist_and_records_an_outcome(
    pages: Site, browser: Any
) -> None:
    guard = Guard()
    page = sign_in(browser, pages, "coach.liege", guard)
    assert page.url.endswith("/coach/beneficiaires")
    assert page.get_by_role("heading", name="Bénéficiaires du CPAS de Liège").is_visible()
    person = pages.people["cpas-liege"][0]
    assert not any(p in page.inner_text("main") for p in pages.people["cpas-seraing"][:20])

    # search by file reference, open the profile
    page.get_by_label("Référence du dossier").fill(person[:-1])
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name=person, exact=True).click()
    page.wait_for_url(f"**/coach/beneficiaires/{person}")

    # a skill from the ESCO/ROME autocompletion, the aspiration linked to métiers
    page.get_by_label("Ajouter une compétence").press_sequentially("caisse enreg", delay=30)
    page.locator("#skill-options option").first.wait_for(state="attached", timeout=15_000)
    label = page.locator("#skill-options option").first.get_attribute("value")
    assert label and "caisse" in label.lower()
    page.get_by_label("Ajouter une compétence").fill(label)
    page.get_by_role("button", name="Ajouter", exact=True).click()
    assert label in page.get_by_label("Compétences (une par ligne)").input_value()
    page.get_by_label("Projet en ses mots").fill("vendeuse en boulangerie")
    tick_first_metier(page)
    page.get_by_role("button", name="Enregistrer le profil").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Profil enregistré.").is_visible()
    assert label in page.get_by_label("Compétences (une par ligne)").input_value()

    # a wrong postcode: the form says what to fix and keeps what was typed
    page.get_by_label("Code postal du domicile").fill("12")
    page.get_by_label("Code postal du domicile").evaluate("e => e.removeAttribute('pattern')")
    page.get_by_label("Projet en ses mots").fill("aide-soignant en maison de repos")
    page.get_by_role("button", name="Enregistrer le profil").click()
    page.wait_for_load_state("networkidle")
    assert "Le formulaire contient des erreurs" in page.inner_text(
        "main"
    ) or "erreurs" in page.inner_text("main")
    assert (
        page.get_by_label("Projet en ses mots").input_value() == "aide-soignant en maison de repos"
    )
    page.goto(pages.base + f"/coach/beneficiaires/{person}")
    assert page.get_by_label("Code postal du domicile").input_value() != "12"  # nothing stored

    # the shortlist: tabs, cards with reasons and skills, an outcome recorded from a card
    page.get_by_role("button", name="Proposer des opportunités").first.click()
    page.wait_for_url("**/coach/shortlists/**")
    tabs = page.get_by_role("tab")
    assert [t.inner_text().split(" (")[0] for t in tabs.all()] == [
        "Offres d'emploi",
        "Stages",
        "Formations",
    ]
    jobs = page.locator("#panneau-job_offer")
    assert jobs.is_visible() and page.locator("#panneau-training").is_hidden()
    card = jobs.locator("article.card").first
    assert card.locator("h3").inner_text().startswith("1. ")
    assert "km" in card.inner_text()
    shot(page, "coach-shortlist")
    page.get_by_role("tab", name=re.compile("Formations")).click()
    assert page.locator("#panneau-training").is_visible() and jobs.is_hidden()
    page.get_by_role("tab", name=re.compile("Offres")).click()
    card.get_by_label("Résultat").select_option("refused")
    card.get_by_label("Motif du refus").select_option("schedule")
    card.get_by_role("button", name="Enregistrer").click()
    card.get_by_text("Enregistré : Refus (Horaires).").wait_for(timeout=10_000)

    # printable version, and the outcome in the person's history
    page.get_by_role("link", name="Version à imprimer").click()
    page.wait_for_url("**/imprimer")
    assert page.get_by_role("heading", name=f"Pistes pour le dossier {person}").is_visible()
    page.goto(pages.base + f"/coach/beneficiaires/{person}")
    assert "Refus — Horaires" in page.inner_text("main")
    assert guard.outside == [] and guard.failed == []
    page.context.close()


def test_the_maison_de_l_emploi_plans_a_job_day_moves_an_interview_and_exports(
    pages: Site, browser: Any
) -> None:
    guard = Guard()
    page = sign_in(browser, pages, "maison.liege", guard)
    assert page.url.endswith("/maison/journees")
    page.get_by_role("link", name=re.compile("Liège")).first.click()
    page.wait_for_url(f"**/maison/journees/{LIEGE_DAY}")
    page.get_by_role("button", name="Lancer la planification").click()
    page.get_by_role("status").filter(has_text="Planification").first.wait_for(timeout=10_000)
    page.locator(".figures").wait_for(timeout=180_000)
    text = page.inner_text("main")
    assert "entretiens" in text and "personnes invitées" in text
    stand = page.locator("div.stand", has=page.locator("table")).first
    assert stand.locator("tbody tr").count() >= 1
    shot(page, "jobday-schedule")

    # move one interview by hand to a free time of its stand (read from the plan)
    plan = api(pages, "maison.liege", "GET", f"/api/v1/jobdays/{LIEGE_DAY}/plan")
    counts: dict[str, int] = {}
    for i in plan["interviews"]:
        counts[i["participant"]] = counts.get(i["participant"], 0) + 1
    single = next(i for i in plan["interviews"] if counts[i["participant"]] == 1)
    busy = [
        (dt.datetime.fromisoformat(i["starts_at"]), dt.datetime.fromisoformat(i["ends_at"]))
        for i in plan["interviews"]
        if i["employer_id"] == single["employer_id"]
    ]
    start = dt.datetime.fromisoformat(single["starts_at"])
    length = dt.datetime.fromisoformat(single["ends_at"]) - start
    day_start = start.replace(hour=9, minute=0)
    free = next(
        t
        for t in (day_start + dt.timedelta(minutes=5 * k) for k in range(84))
        if t != start
        and t + length <= day_start.replace(hour=16)
        and all(not (b0 < t + length and t < b1) for b0, b1 in busy if b0 != start)
    )
    row = page.locator("tr", has=page.get_by_text(single["participant"], exact=True)).first
    row.locator("input[type=time]").fill(free.strftime("%H:%M"))
    row.get_by_role("button", name="Déplacer").click()
    page.get_by_role("status").filter(has_text="Entretien déplacé").wait_for(timeout=15_000)
    moved = api(pages, "maison.liege", "GET", f"/api/v1/jobdays/{LIEGE_DAY}/plan")
    again = next(
        i
        for i in moved["interviews"]
        if i["participant"] == single["participant"] and i["employer_id"] == single["employer_id"]
    )
    assert dt.datetime.fromisoformat(again["starts_at"]).strftime("%H:%M") == free.strftime("%H:%M")
    assert moved["reason"] == "manual" and len(moved["interviews"]) == len(plan["interviews"])

    # a clash is refused with the reason, and nothing changes
    other = next(
        i
        for i in moved["interviews"]
        if i["employer_id"] == single["employer_id"] and i["participant"] != single["participant"]
    )
    row = page.locator("tr", has=page.get_by_text(single["participant"], exact=True)).first
    row.locator("input[type=time]").fill(
        dt.datetime.fromisoformat(other["starts_at"]).strftime("%H:%M")
    )
    row.get_by_role("button", name="Déplacer").click()
    row.get_by_text("le stand a déjà un entretien à cette heure").wait_for(timeout=10_000)
    after = api(pages, "maison.liege", "GET", f"/api/v1/jobdays/{LIEGE_DAY}/plan")
    assert after["id"] == moved["id"]

    # the exports
    csv_text = page.request.get(pages.base + f"/maison/journees/{LIEGE_DAY}/plan.csv").text()
    header = csv_text.removeprefix("\ufeff").splitlines()[0]  # Excel fr-BE: BOM and ";"
    assert header.startswith("Code participant;CPAS;") and len(csv_text.splitlines()) > 1
    ics = page.request.get(pages.base + f"/maison/journees/{LIEGE_DAY}/convocations.ics")
    assert ics.ok and b"BEGIN:VEVENT" in ics.body()
    # the calendar as a calendar application reads it: two independent RFC 5545 readers, the
    # required properties, the venue's street, Brussels time
    from ical.calendar_stream import IcsCalendarStream
    from icalendar import Calendar

    events = Calendar.from_ical(ics.body()).walk("VEVENT")
    assert events and all("UID" in e and "DTSTAMP" in e for e in events)
    strict = IcsCalendarStream.calendar_from_ics(ics.body().decode("utf-8"))
    assert [t.tz_id for t in strict.timezones] == ["Europe/Brussels"]
    assert all(
        "boulevard de la Sauvenière 1, 4000 Liège" in (e.location or "") for e in strict.events
    )
    with page.context.expect_page() as printed:
        page.evaluate(f"window.open('/maison/journees/{LIEGE_DAY}/convocations')")
    assert "Convocation" in printed.value.inner_text("body")
    assert guard.outside == [] and guard.failed == []
    page.context.close()


def test_the_maison_de_l_emploi_imports_a_file_and_reads_the_row_report(
    pages: Site, browser: Any, tmp_path: Path
) -> None:
    guard = Guard()
    page = sign_in(browser, pages, "maison.liege", guard)
    page.goto(pages.base + "/maison/opportunites")
    before = page.get_by_role("heading", name=re.compile("Catalogue")).inner_text()
    offers = tmp_path / "offres.csv"
    offers.write_text(
        "id,title,kind,location.postcode,contract_type,source\n"
        "web-1,Commis de cuisine,job_offer,4000,cdd,maison_emploi\n"
        "web-2,Plongeur,job_offer,12,cdd,maison_emploi\n",
        encoding="utf-8",
    )
    page.get_by_label("Fichier", exact=True).set_input_files(str(offers))
    page.get_by_role("button", name="Importer").click()
    report = page.locator("#import-suivi")
    report.get_by_text("rien n'a été enregistré").wait_for(timeout=60_000)
    refused = report.locator("table tbody tr")
    assert refused.count() == 1 and "3" in refused.inner_text()  # line 3, the postcode
    shot(page, "import-report")
    page.reload()
    assert page.get_by_role("heading", name=re.compile("Catalogue")).inner_text() == before

    # the valid rows only, on request
    page.get_by_label("Fichier", exact=True).set_input_files(str(offers))
    page.get_by_label("Enregistrer les lignes valides et ignorer les autres").check()
    page.get_by_role("button", name="Importer").click()
    report.get_by_text("1 nouvelle(s)").wait_for(timeout=60_000)
    page.get_by_label("Fichier", exact=True).set_input_files(
        {"name": "offres.txt", "mimeType": "text/plain", "buffer": b"x"}
    )
    page.get_by_role("button", name="Importer").click()
    report.get_by_text("format non pris en charge").wait_for(timeout=10_000)
    assert guard.outside == [] and guard.failed == []
    page.context.close()


def test_an_employer_browses_anonymous_cards_and_a_coach_answers_the_request(
    pages: Site, browser: Any
) -> None:
    guard = Guard()
    page = sign_in(browser, pages, "employer", guard)
    assert page.url.endswith("/employeur/vivier")
    page.get_by_label("Ou, en quelques mots").fill("vendeur en magasin")
    page.get_by_role("button", name="Chercher des profils").click()
    cards = page.locator("article.pool-card")
    cards.first.wait_for(timeout=120_000)
    text = page.inner_text("main")
    assert "k = 5" in text
    everyone = [p for ids in pages.people.values() for p in ids]
    assert not any(p in text for p in everyone)  # no beneficiary id on a card
    shot(page, "employer-pool")
    first = cards.first
    card = first.locator("h3").inner_text().removeprefix("Profil ")
    first.get_by_label("Message pour l'accompagnateur (facultatif)").fill("Poste en CDI, 30 h")
    first.get_by_role("button", name="Demander un contact").click()
    first.get_by_text("En attente de la personne").wait_for(timeout=10_000)
    page.get_by_role("link", name="Mes demandes").click()
    assert card in page.inner_text("main") and "En attente" in page.inner_text("main")
    page.context.close()

    # the person's coach answers (accepts with a phone number)
    asked = api(pages, "admin", "GET", "/api/v1/admin/audit?action=contact_request")
    tenant = asked["items"][-1]["tenant"]
    coach = {"cpas-liege": "coach.liege", "cpas-seraing": "coach.seraing"}[tenant]
    coach_page = sign_in(browser, pages, coach, guard)
    coach_page.get_by_role("link", name="Demandes de contact").click()
    request_card = coach_page.locator("article.card", has_text="Poste en CDI, 30 h").first
    request_card.get_by_label("Téléphone").fill("+32 470 12 34 56")
    request_card.get_by_role("button", name="La personne accepte").click()
    coach_page.wait_for_load_state("networkidle")
    assert "Acceptée" in coach_page.inner_text("main")
    coach_page.context.close()

    page = sign_in(browser, pages, "employer", guard)
    page.get_by_role("link", name="Mes demandes").click()
    row = page.locator("tr", has_text=card)
    assert "Acceptée" in row.inner_text() and "+32 470 12 34 56" in row.inner_text()
    assert guard.outside == [] and guard.failed == []
    page.context.close()


def test_the_admin_reads_models_fairness_users_and_the_audit_trail(
    pages: Site, browser: Any
) -> None:
    guard = Guard()
    page = sign_in(browser, pages, "admin", guard)
    assert page.url.endswith("/admin/modeles")
    assert page.get_by_role("heading", name="Servi maintenant").is_visible()
    assert "opportunités indexées" in page.inner_text("main")
    shot(page, "admin-models")
    page.get_by_role("button", name="Recharger le modèle et le catalogue").click()
    page.wait_for_url("**/admin/modeles?fait=rechargement", timeout=120_000)
    page.get_by_role("link", name="Équité et qualité").click()
    assert page.get_by_role("heading", name="Équité et qualité du modèle actif").is_visible()

    page.get_by_role("link", name="Utilisateurs").click()
    page.get_by_label("Identifiant").fill("coach.herstal")
    page.get_by_label("Mot de passe initial").fill("un-mot-de-passe-solide-42")
    page.get_by_label("Rôle").select_option("coach")
    page.get_by_label("CPAS (pour un coach)").select_option("cpas-herstal")
    page.get_by_role("button", name="Créer le compte").click()
    page.get_by_text("Compte créé : coach.herstal.").wait_for()
    page.get_by_label("Identifiant").fill("employeur.sans.id")
    page.get_by_label("Mot de passe initial").fill("un-mot-de-passe-solide-42")
    page.get_by_label("Rôle").select_option("employer")
    page.get_by_role("button", name="Créer le compte").click()
    assert "identifiant de son employeur" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Identifiant").input_value() == "employeur.sans.id"  # kept
    page.get_by_label("Code de l'employeur (pour un compte employeur)").fill("emp-inconnu")
    page.get_by_label("Mot de passe initial").fill("un-mot-de-passe-solide-42")
    page.get_by_role("button", name="Créer le compte").click()
    assert "employeur inconnu" in page.get_by_role("alert").inner_text()
    page.get_by_label("Identifiant").fill("coach.herstal")  # a name already taken
    page.get_by_label("Mot de passe initial").fill("un-mot-de-passe-solide-42")
    page.get_by_label("Rôle").select_option("coach")
    page.get_by_label("CPAS (pour un coach)").select_option("cpas-herstal")
    page.get_by_role("button", name="Créer le compte").click()
    assert "déjà pris" in page.get_by_role("alert").inner_text()

    # a Maison de l'emploi made without partners is told why its list is empty; the admin
    # adds a partner CPAS and the job days appear
    page.get_by_label("Identifiant").fill("maison.seraing")
    page.get_by_label("Mot de passe initial").fill("un-mot-de-passe-solide-42")
    page.get_by_label("Rôle").select_option("maison_emploi")
    page.get_by_role("button", name="Créer le compte").click()
    page.get_by_text("Compte créé : maison.seraing.").wait_for()
    maison = sign_in(browser, pages, "maison.seraing", guard, password="un-mot-de-passe-solide-42")
    assert "rattaché à aucun CPAS partenaire" in maison.inner_text("main")
    page.locator("tr", has=page.get_by_text("maison.seraing", exact=True)).get_by_role(
        "link", name="Modifier"
    ).click()
    page.get_by_label("CPAS de Liège").check()
    page.get_by_role("button", name="Enregistrer les partenaires").click()
    page.get_by_text("Compte modifié : maison.seraing.").wait_for()
    maison.reload()
    assert maison.get_by_role("link", name=re.compile("Liège")).first.is_visible()

    # deactivating asks first; "Non" keeps the account, "Oui" ends its sessions
    page.locator("tr", has=page.get_by_text("maison.seraing", exact=True)).get_by_role(
        "link", name="Modifier"
    ).click()
    page.get_by_role("button", name="Désactiver ce compte…").click()
    page.get_by_role("link", name="Non, revenir").click()
    maison.reload()
    assert "/connexion" not in maison.url
    page.get_by_role("button", name="Désactiver ce compte…").click()
    page.get_by_role("button", name="Oui, désactiver").click()
    page.get_by_text("Compte modifié : maison.seraing.").wait_for()
    maison.reload()
    assert "/connexion" in maison.url
    maison.context.close()

    page.get_by_role("link", name="Journal d'audit").click()
    page.get_by_label("Action").select_option("user_change")
    page.get_by_role("button", name="Filtrer").click()
    assert "coach.herstal" in page.inner_text("tbody")  # the account just created
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter ces enregistrements (Excel)").click()
    exported = Path(download.value.path()).read_bytes()
    assert exported.startswith("\ufeff".encode())  # Excel fr-BE: a BOM and ";"
    rows = [line.split(";") for line in exported.decode("utf-8-sig").splitlines()]
    assert rows[0][:3] == ["Date et heure (Bruxelles)", "Action", "Acteur"]
    assert {r[1] for r in rows[1:]} == {"compte créé ou modifié"}
    assert guard.outside == [] and guard.failed == []
    page.context.close()


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("employer", "/coach/beneficiaires"),
        ("coach.liege", "/admin/utilisateurs"),
        ("coach.liege", "/employeur/vivier"),
        ("maison.liege", "/admin/modeles"),
        ("admin", "/coach/beneficiaires"),
    ],
)
def test_a_role_gets_403_on_another_roles_page(
    pages: Site, browser: Any, user: str, path: str
) -> None:
    guard = Guard()
    page = sign_in(browser, pages, user, guard)
    response = page.goto(pages.base + path)
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", name="Accès refusé").is_visible()
    page.context.close()


def test_without_a_session_every_page_asks_to_sign_in(pages: Site, browser: Any) -> None:
    page = guarded_page(browser, Guard())
    for path in ("/coach/beneficiaires", "/admin/journal", "/maison/journees", "/employeur/vivier"):
        page.goto(pages.base + path)
        assert "/connexion?suivant=" in page.url
        assert page.get_by_role("heading", name="Connexion").is_visible()
    page.get_by_label("Identifiant").fill("coach.liege")
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_role("alert").inner_text().startswith("identifiant ou mot de passe")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/employeur/vivier")  # came back where it was going ...
    assert page.get_by_role("heading", name="Accès refusé").is_visible()  # ... not its role
    page.context.close()


@pytest.mark.parametrize("path", ["/coach/beneficiaires", "/maison/journees/" + LIEGE_DAY])
def test_pages_fit_a_tablet_held_upright(pages: Site, browser: Any, path: str) -> None:
    """On a 768-pixel-wide tablet nothing scrolls sideways and the menu stays reachable."""
    user = "coach.liege" if path.startswith("/coach") else "maison.liege"
    guard = Guard()
    page = sign_in(browser, pages, user, guard)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(pages.base + path)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow} px on a tablet"
    assert page.get_by_role("navigation", name="Menu principal").is_visible()
    page.keyboard.press("Tab")  # the skip link comes first, and is shown when focused
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.context.close()

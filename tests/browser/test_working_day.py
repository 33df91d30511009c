"""A coach's first morning in the browser: a profile typed from scratch (no French level, a
skill outside the list, a long wish) gets proposals a person can act on, and every page of
every role fits a phone held upright (360 pixels) without scrolling sideways."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from browser_support import (
    LIEGE_DAY,
    PHONE,
    Guard,
    Site,
    shot,
    sideways_overflow,
    sign_in,
    tick_first_metier,
)

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]  # fmt: skip
WISH = "Je voudrais faire du ménage chez les gens, de l'aide ménagère, près de chez moi."


def test_a_new_profile_without_a_french_level_gets_proposals_a_person_can_act_on(
    pages: Site, browser: Any
) -> None:
    guard = Guard()
    page = sign_in(browser, pages, "coach.liege", guard)
    page.goto(pages.base + "/coach/beneficiaires/nouveau")
    page.get_by_label("Référence du dossier").fill("premier-matin-01")
    wish = page.get_by_label("Projet en ses mots")
    wish.fill("x" * 2100)  # too long: said by the counter, refused on save, never cut
    counter = page.locator("[data-counter-for=aspiration_text]")
    assert "raccourcissez de 100 caractères" in counter.inner_text()
    wish.fill(WISH)
    assert counter.inner_text().startswith(f"{len(WISH)} / 2")

    # the skill suggestions put the common items first; a typed skill outside the list is kept
    page.get_by_label("Ajouter une compétence").press_sequentially("repass", delay=30)
    page.locator("#skill-options option").first.wait_for(state="attached", timeout=15_000)
    first = page.locator("#skill-options option").first.get_attribute("value") or ""
    assert first.startswith("Repasser"), first
    page.get_by_label("Ajouter une compétence").fill(first)
    page.get_by_role("button", name="Ajouter", exact=True).click()
    skills = page.get_by_label("Compétences (une par ligne)")
    skills.fill(skills.input_value() + "aider ma voisine âgée\n")
    page.get_by_label("Code postal du domicile").fill("4000")
    assert page.get_by_label("Niveau de français (CECR)").input_value() == ""  # not assessed
    page.get_by_label(re.compile("Pas encore demandé")).uncheck()  # no licence, said so
    tick_first_metier(page)
    shot(page, "coach-profile-form")
    page.get_by_role("button", name="Enregistrer le profil").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Profil enregistré.").is_visible()
    assert "Gardées comme notes" in page.inner_text("main")
    assert "aider ma voisine âgée" in skills.input_value()

    # proposals: offers asking a French level stay, with the question for the coach
    page.get_by_role("button", name="Proposer des opportunités").first.click()
    page.wait_for_url("**/coach/shortlists/**")
    realistic = re.search(r"(\d+) opportunités réalistes sur (\d+)", page.inner_text("main"))
    assert realistic and int(realistic.group(1)) > 0
    cards = page.locator("article.card")
    text = " ".join(cards.all_inner_texts())
    assert re.search(r"niveau de français à vérifier \([ABC][12] demandé\)", text), text[:2000]
    assert "Repasser" not in " ".join(
        page.locator("ul.chips.missing").all_inner_texts()
    )  # a held skill is never "to acquire"
    card = page.locator("#panneau-job_offer article.card").first
    facts = card.locator("dl.facts").inner_text()
    for term in ("Employeur", "Contrat", "Lieu", "Dates", "Pour postuler"):
        assert term in facts, facts
    assert re.search(r"à \d+ km", facts) and "h par semaine" in facts
    assert re.search(r"via votre coach|leforem\.be|actiris\.brussels|voir l'offre", facts)
    shot(page, "coach-shortlist")
    # a pathway's steps run forward in time
    for pathway in page.locator("ol.pathway").all():
        dates = [
            dt.date(int(year), MONTHS.index(month) + 1, int(day))
            for day, month, year in re.findall(
                r"début le (\d+)(?:er)? (\w+) (\d{4})", pathway.inner_text()
            )
        ]
        assert dates == sorted(dates), pathway.inner_text()
    page.set_viewport_size(PHONE)
    assert sideways_overflow(page) <= 0
    shot(page, "coach-shortlist-phone")
    page.goto(pages.base + "/coach/beneficiaires/premier-matin-01")
    assert sideways_overflow(page) <= 0
    shot(page, "coach-profile-form-phone")
    assert guard.outside == [] and guard.failed == []
    page.context.close()


PHONE_PAGES = {
    "coach.liege": [
        "/coach/beneficiaires",
        "/coach/beneficiaires/nouveau",
        "/coach/demandes",
        "/coach/journees",
    ],
    "maison.liege": ["/maison/journees", f"/maison/journees/{LIEGE_DAY}", "/maison/opportunites"],
    "employer": ["/employeur/vivier", "/employeur/demandes"],
    "admin": [
        "/admin/modeles",
        "/admin/equite",
        "/admin/utilisateurs",
        "/admin/utilisateurs/coach.liege",
        "/admin/journal",
    ],
}


@pytest.mark.parametrize("user", sorted(PHONE_PAGES))
def test_every_page_of_a_role_fits_a_phone(pages: Site, browser: Any, user: str) -> None:
    """At 360 pixels wide nothing scrolls sideways: tables become stacked cards, forms one
    column; a person's own profile page too."""
    guard = Guard()
    page = sign_in(browser, pages, user, guard)
    page.set_viewport_size(PHONE)
    paths = list(PHONE_PAGES[user])
    if user == "coach.liege":
        paths.append(f"/coach/beneficiaires/{pages.people['cpas-liege'][0]}")
    wide = {}
    for path in paths:
        page.goto(pages.base + path)
        page.wait_for_load_state("networkidle")
        if (overflow := sideways_overflow(page)) > 0:
            wide[path] = overflow
    assert wide == {}, f"pages wider than a phone: {wide}"
    assert guard.outside == [] and guard.failed == []
    page.context.close()

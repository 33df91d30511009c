"""Shortlist suites on real job ads: the dev France Travail ads, imported without their codes.

Offers are the vendored dev ads (``training/suites/data/ft_ads_dev.jsonl.gz``) read by the
France Travail connector with their codes dropped, placed at postcodes within 20 km of Liège
(the distance filter must pass them) and open today. People want the métier France Travail
coded some ads with, stated as people state it, one recipe each:

* ``ads-title`` — a ROME job title of the métier that none of its ads uses, in a wish;
* ``ads-vague`` — a vague wish (the métier's first word: "conducteur", "agent", "chef") with
  five of the métier's core compétences as the person's skills, which say which one is meant;
* ``ads-activity`` — two of the métier's core activities, as a wish ("J'aimerais un travail où
  je peux …"), no title at all;
* ``ads-note`` — a coach's note naming the person's past job (another title of the métier);
* ``ads-source-codes`` — every person above, the offers *with* France Travail's codes: the
  reference that says what reading the ads costs.

Relevance is France Travail's own coding (ad métier M, target T, both as historic fiches:
2022–23 ads were coded with them): 3 — M is T; 2 — M is a ROME mobility of T; 1 — same
domain (first three characters); 0 — otherwise. Every figure here is a **dev** figure: the ad
coder was fitted on these ads (its folds by métier code each ad with a model that never saw
its métier, :func:`coded_out_of_fold`).
"""

from __future__ import annotations

import gzip
import json
import random
from collections import defaultdict
from collections.abc import Sequence

from data_contracts.enums import CefrLevel, Shift, TransportMode
from data_contracts.models import (
    Aspirations,
    BeneficiaryProfile,
    Constraints,
    LanguageSkill,
    Opportunity,
    ProfileSkill,
    Workplace,
)
from training.ad_coding import DEV_ADS
from training.suites.shortlists import WISHES, ShortlistSuite, _near_postcodes
from tremplin.feeds import france_travail
from tremplin.feeds.common import RecordError
from tremplin.taxonomy import Taxonomy
from tremplin.text import gender_variants, normalize

REAL_RECIPES: tuple[str, ...] = ("ads-title", "ads-vague", "ads-activity", "ads-note")
SOURCE_CODES = "ads-source-codes"
MIN_ADS = 3  # métiers with at least this many dev ads are people's targets
ACTIVITY_WISHES = (
    "J'aimerais un travail où je peux {} et {}.",
    "Je voudrais un métier où il faut {} et {}.",
    "Ce qui me plaît : {}, {}.",
)
NOTES = (
    "A travaillé {n} ans comme {t}. Souhaite retrouver un emploi dans ce métier.",
    "Expérience : {t} ({n} ans). Cherche un poste similaire, disponible rapidement.",
    "Ancien {t}, {n} ans d'expérience ; veut reprendre le même travail.",
)
VAGUE = ("Je souhaite travailler comme {}.", "Je cherche un emploi de {}.", "Je voudrais être {}.")


def _offers(tax: Taxonomy, rng: random.Random) -> tuple[list[Opportunity], dict[str, str]]:
    """The dev ads as uncoded offers near Liège, and each one's historic fiche (hidden)."""
    places = _near_postcodes()
    offers: list[Opportunity] = []
    metier: dict[str, str] = {}
    with gzip.open(DEV_ADS, "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            try:
                row = france_travail.opportunity_row(record, tax, keep_codes=False)
            except RecordError:
                continue  # not salaried work: not offered to anyone
            row.pop("valid_from", None)  # open today
            row["location"] = Workplace(postcode=rng.choice(places)).model_dump()
            o = Opportunity.model_validate(row)
            offers.append(o)
            metier[o.id] = tax.metiers[record["romeCode"]].parent
    return offers, metier


def recipe_wish(
    recipe: str, tax: Taxonomy, code: str, used: set[str], rng: random.Random
) -> str | None:
    """The recipe's wish for target ``code``, naming none of the titles in ``used`` (None
    when the métier gives no material)."""
    fiches = [c for c, m in tax.metiers.items() if m.parent == code]
    titles = sorted(
        {
            form
            for c in fiches
            for a in tax.appellations_of(c)
            for form in gender_variants(a.label)
            if normalize(form) not in used
        }
    )
    core = [tax.skill_label(s) for s in tax.core_skills(code)]
    if recipe == "ads-title" and titles:
        title = rng.choice(titles)
        return rng.choice(WISHES).format(title[:1].lower() + title[1:])
    if recipe == "ads-vague":
        word = gender_variants(tax.metiers[code].label)[0].split()[0].lower()
        return rng.choice(VAGUE).format(word)
    if recipe == "ads-activity" and len(core) >= 2:
        a, b = (s[:1].lower() + s[1:] for s in rng.sample(core, 2))
        return rng.choice(ACTIVITY_WISHES).format(a, b)
    if recipe == "ads-note" and titles:
        title = rng.choice(titles)
        return rng.choice(NOTES).format(n=rng.randint(1, 8), t=title[:1].lower() + title[1:])
    return None


def recipe_profile(
    recipe: str, tax: Taxonomy, code: str, text: str, n: int, rng: random.Random
) -> BeneficiaryProfile:
    """Person ``n`` of the recipe who wants ``code`` in words ``text``: five of its core
    compétences for a vague wish, three of its other compétences otherwise."""
    core = tax.core_skills(code)
    other = [s.skill_id for s in tax.metier_skills(code) if not s.core]
    if recipe == "ads-vague":
        skills = rng.sample(core, min(5, len(core)))
    else:
        skills = rng.sample(other, min(3, len(other)))
    return BeneficiaryProfile(
        id=f"real-{recipe}-{code}-{n}",
        cpas_id="cpas-externe",
        skills=[ProfileSkill(id=s) for s in skills],
        languages=[LanguageSkill(language="fr", level=CefrLevel.B2)],
        aspirations=Aspirations(text=text),
        constraints=Constraints(
            home_postcode=4000,
            max_distance_km=60.0,
            transport_modes=[TransportMode.PUBLIC_TRANSPORT, TransportMode.WALK],
            available_shifts=[Shift.DAY, Shift.EARLY, Shift.EVENING, Shift.WEEKEND],
            max_hours_per_week=40.0,
        ),
    )


def real_ads_suites(
    tax: Taxonomy, seed: int = 0, per_metier: int = 2, limit: int | None = None
) -> dict[str, ShortlistSuite]:
    """The four recipes and the source-codes reference (see the module docstring); ``limit``
    keeps that many target métiers (a quick slice)."""
    rng = random.Random(f"real-ads:{seed}")
    offers, metier = _offers(tax, rng)
    by_metier: dict[str, list[Opportunity]] = defaultdict(list)
    for o in offers:
        by_metier[metier[o.id]].append(o)
    targets = sorted(code for code, ads in by_metier.items() if len(ads) >= MIN_ADS)
    if limit is not None:
        targets = rng.sample(targets, min(limit, len(targets)))
    used: dict[str, set[str]] = defaultdict(set)
    with gzip.open(DEV_ADS, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            group = tax.metiers[r["romeCode"]].parent
            used[group] |= {normalize(r["intitule"]), normalize(r["appellationlibelle"] or "")}
    suites: dict[str, ShortlistSuite] = {}
    everyone: list[BeneficiaryProfile] = []
    target: dict[str, str] = {}
    for recipe in REAL_RECIPES:
        profiles: list[BeneficiaryProfile] = []
        for code in targets:
            for n in range(per_metier):
                text = recipe_wish(recipe, tax, code, used[code], rng)
                if text is not None:
                    profiles.append(recipe_profile(recipe, tax, code, text, n, rng))
                    target[profiles[-1].id] = code
        suites[recipe] = _suite(recipe, offers, profiles, target, metier)
        everyone += profiles
    coded = [
        o.model_copy(update={"occupation": o.occupation.model_copy(update={"rome_code": m})})
        for o, m in ((o, metier[o.id]) for o in offers)
    ]
    suites[SOURCE_CODES] = _suite(SOURCE_CODES, coded, everyone, target, metier)
    return suites


def _suite(
    name: str,
    offers: Sequence[Opportunity],
    profiles: Sequence[BeneficiaryProfile],
    target: dict[str, str],
    metier: dict[str, str],
) -> ShortlistSuite:
    return ShortlistSuite(
        name=name,
        opportunities=list(offers),
        profiles=list(profiles),
        target={p.id: target[p.id] for p in profiles},
        metier=dict(metier),
        split={p.id: "dev" for p in profiles},
    )

"""Shortlist suites: offers and profiles drawn from ROME's structure, graded by it.

Nothing here comes from the sample generator. Offers are real ROME appellations with ROME
definition sentences as descriptions and the métier's core compétences as required skills;
profiles want a trade in free French text naming *another* appellation of their métier (one no
offer uses), hold some of its non-core compétences and may have worked in a neighbouring
métier. Relevance is ROME's own structure (target métier T, opportunity métier M):

* 3 — M is T;
* 2 — M is one of ROME's mobility targets from T;
* 1 — M is in T's professional domain (same three first characters, e.g. K22);
* 0 — otherwise. A training module counts 3 for its métier, 1 for a mobility, else 0.

Recipes, each its own catalogue and profiles (:data:`RECIPES`):

* ``coded`` — offers carry their ROME code; wish in clean words; experience in a neighbouring
  métier, written as a title without code;
* ``uncoded`` — the same people, offers without any occupation code (the engine must read the
  title);
* ``noisy`` — wishes as typed (typos, "(h/f)", abbreviations, lost accents), no experience;
* ``esco-wish`` — the wish names an ESCO label of an occupation the official crosswalk links to
  the métier (another vocabulary than the offers'); no experience;
* ``pathways`` — job offers, internships and training modules together, ranked as one list.

Profiles are split dev/test by their target métier (:func:`training.suites.split.split_of`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from data_contracts.enums import (
    CefrLevel,
    ContractType,
    OpportunityKind,
    OpportunitySource,
    Shift,
    TransportMode,
)
from data_contracts.models import (
    Aspirations,
    BeneficiaryProfile,
    Constraints,
    Experience,
    LanguageSkill,
    Occupation,
    Opportunity,
    ProfileSkill,
    SkillRef,
    Workplace,
)
from training.suites.split import Split, split_of
from training.suites.titles import noisy_title
from tremplin.geo import distance_km, postcodes
from tremplin.taxonomy import Taxonomy
from tremplin.text import gender_variants

RECIPES: tuple[str, ...] = ("coded", "uncoded", "noisy", "esco-wish", "pathways")
RELEVANT_FROM = 2.0  # métier or mobility: what recall counts
REFERENCE_DAY = dt.date(2026, 11, 1)
EXTERNAL_SEEDS = 30  # target métiers per recipe in a training run (pairs and guard)
HOME = 4000  # Liège: offers and people within 20 km of it
WISHES = (
    "Je voudrais devenir {}.",
    "J'aimerais travailler comme {}, si possible près de chez moi.",
    "Mon projet : {}.",
    "Je cherche un emploi de {} à temps plein.",
    "Je veux me former pour devenir {}.",
)


def slice_targets(size: int) -> int:
    """Target métiers per recipe on a slice of ``size`` cases per title suite (a tenth, at
    least 4): what the quick runs of the evaluation and of the blends' fit read."""
    return max(4, size // 10)


@dataclass
class ShortlistSuite:
    """One recipe's catalogue, profiles and graded relevance."""

    name: str
    opportunities: list[Opportunity]
    profiles: list[BeneficiaryProfile]
    target: dict[str, str]  # profile id -> its target métier (hidden from the engine)
    metier: dict[str, str]  # opportunity id -> its métier (hidden when the offer is uncoded)
    split: dict[str, Split] = field(default_factory=dict)
    kinds: frozenset[OpportunityKind] = frozenset({OpportunityKind.JOB_OFFER})

    def gains(self, profile_id: str, tax: Taxonomy) -> dict[str, float]:
        """Every opportunity's gain for a profile (see the module docstring)."""
        t = self.target[profile_id]
        mobility = set(tax.mobilities(t))
        out: dict[str, float] = {}
        for o in self.opportunities:
            m = self.metier[o.id]
            if o.kind is OpportunityKind.TRAINING:
                out[o.id] = 3.0 if m == t else 1.0 if m in mobility else 0.0
            else:
                out[o.id] = (
                    3.0 if m == t else 2.0 if m in mobility else 1.0 if m[:3] == t[:3] else 0.0
                )
        return out


def _near_postcodes() -> list[int]:
    return sorted(
        code
        for code, p in postcodes().items()
        if 4000 <= code < 5000 and p.has_coordinates and (distance_km(HOME, code) or 99) <= 20
    )


def _eligible_metiers(tax: Taxonomy) -> list[str]:
    """Métiers with enough appellations (offers and a wish each), core skills and a text."""
    return [
        code
        for code in sorted(tax.metiers)
        if len(tax.appellations_of(code)) >= 6
        and len(tax.core_skills(code)) >= 3
        and len([s for s in tax.metier_skills(code) if not s.core]) >= 5
        and tax.definition_sentences(code)
    ]


def _choose_metiers(tax: Taxonomy, rng: random.Random, seeds: int) -> tuple[list[str], list[str]]:
    """Seed métiers (people's targets) and the catalogue's métiers: each seed with up to two
    of its mobility targets and one métier of its domain, so every grade occurs."""
    eligible = _eligible_metiers(tax)
    pool = set(eligible)
    chosen_seeds = rng.sample(eligible, seeds)
    catalogue: list[str] = []
    for code in chosen_seeds:
        mobility = [m for m in tax.mobilities(code) if m in pool]
        domain = [m for m in eligible if m[:3] == code[:3] and m != code]
        extra = rng.sample(mobility, min(2, len(mobility))) + rng.sample(
            domain, min(1, len(domain))
        )
        for m in [code, *extra]:
            if m not in catalogue:
                catalogue.append(m)
    return chosen_seeds, catalogue


@dataclass
class _Titles:
    """A métier's appellations shared out: offers use some, wishes the others."""

    offer: list[str]
    wish: list[str]


def _share_titles(tax: Taxonomy, code: str, rng: random.Random, offers: int) -> _Titles:
    titles = [a.label for a in tax.appellations_of(code)]
    rng.shuffle(titles)
    return _Titles(offer=titles[:offers], wish=titles[offers:])


def _offer(
    tax: Taxonomy,
    code: str,
    n: int,
    title: str,
    rng: random.Random,
    places: Sequence[int],
    kind: OpportunityKind,
    coded: bool,
) -> Opportunity:
    core = tax.core_skills(code)
    other = [s.skill_id for s in tax.metier_skills(code) if not s.core]
    sentences = tax.definition_sentences(code)
    form = rng.choice(gender_variants(title))
    contract = {
        OpportunityKind.JOB_OFFER: rng.choice((ContractType.CDI, ContractType.CDD)),
        OpportunityKind.INTERNSHIP: ContractType.STAGE,
        OpportunityKind.TRAINING: ContractType.FORMATION,
    }[kind]
    if kind is OpportunityKind.TRAINING:
        shown = f"Formation qualifiante : {gender_variants(tax.metiers[code].label)[0]}"
    elif kind is OpportunityKind.INTERNSHIP:
        shown = f"Stage en entreprise : {form}"
    else:
        shown = form + rng.choice(("", "", " (h/f/x)"))
    taught = rng.sample(core, min(4, len(core))) if kind is OpportunityKind.TRAINING else []
    required = [] if kind is OpportunityKind.TRAINING else rng.sample(core, min(3, len(core)))
    return Opportunity(
        id=f"ext-{kind.value[:3]}-{code}-{n}",
        kind=kind,
        title=shown[:200],
        description=" ".join(sentences[: rng.randint(1, 3)]).replace("''", "'")[:2000],
        occupation=Occupation(rome_code=code if coded else None),
        required_skills=[SkillRef(id=s) for s in required],
        optional_skills=[SkillRef(id=s) for s in rng.sample(other, 1) if s not in required],
        taught_skills=[SkillRef(id=s) for s in taught],
        employer_id=f"ext-employer-{code}-{n}",
        provider="Forem" if kind is OpportunityKind.TRAINING else None,
        location=Workplace(postcode=rng.choice(places)),
        contract_type=contract,
        hours_per_week=38.0,
        shifts=[Shift.DAY],
        start_date=REFERENCE_DAY + dt.timedelta(days=rng.randint(5, 60)),
        source=OpportunitySource.FOREM,
        valid_from=REFERENCE_DAY - dt.timedelta(days=rng.randint(1, 30)),
    )


def _wish_text(
    recipe: str, tax: Taxonomy, code: str, titles: _Titles, rng: random.Random
) -> str | None:
    if recipe == "esco-wish":
        labels = sorted(
            {
                label
                for a in tax.appellations_of(code)
                for uri, _ in tax.esco_for_appellation(a.code_ogr)
                for label in [
                    *gender_variants(tax.esco_occupations[uri].label),
                    *tax.esco_occupations[uri].alt_labels,
                ]
            }
        )
        used = {t.lower() for t in titles.offer}
        labels = [label for label in labels if label.lower() not in used and "/" not in label]
        if not labels:
            return None
        return rng.choice(WISHES).format(rng.choice(labels).lower())
    if not titles.wish:
        return None
    title = rng.choice(gender_variants(rng.choice(titles.wish)))
    if recipe == "noisy":
        return rng.choice(WISHES).format(noisy_title(title, rng, lead_in=False))
    return rng.choice(WISHES).format(title[:1].lower() + title[1:])


def _neighbour(tax: Taxonomy, code: str, rng: random.Random) -> str | None:
    """A métier from which ``code`` is a ROME mobility, else one of its domain."""
    sources = sorted(m for m in tax.metiers if code in tax.mobilities(m) and m != code)
    if not sources:
        sources = sorted(m for m in tax.metiers if m[:3] == code[:3] and m != code)
    return rng.choice(sources) if sources else None


def _profile(
    recipe: str,
    tax: Taxonomy,
    code: str,
    n: int,
    titles: _Titles,
    rng: random.Random,
    places: Sequence[int],
) -> BeneficiaryProfile | None:
    text = _wish_text(recipe, tax, code, titles, rng)
    if text is None:
        return None
    other = [s.skill_id for s in tax.metier_skills(code) if not s.core]
    experiences: list[Experience] = []
    if recipe in ("coded", "uncoded", "pathways"):
        neighbour = _neighbour(tax, code, rng)
        if neighbour is not None:
            past = rng.choice(tax.appellations_of(neighbour)).label
            experiences.append(
                Experience(title=rng.choice(gender_variants(past)), months=rng.randint(6, 48))
            )
    skills = rng.sample(other, 3 if recipe in ("noisy", "esco-wish") else 5)
    return BeneficiaryProfile(
        id=f"ext-{recipe}-{code}-{n}",
        cpas_id="cpas-externe",
        skills=[ProfileSkill(id=s) for s in skills],
        experiences=experiences,
        languages=[LanguageSkill(language="fr", level=CefrLevel.B2)],
        aspirations=Aspirations(text=text),
        constraints=Constraints(
            home_postcode=rng.choice(places),
            max_distance_km=60.0,
            transport_modes=[TransportMode.PUBLIC_TRANSPORT, TransportMode.WALK],
            available_shifts=[Shift.DAY],
            max_hours_per_week=38.0,
        ),
    )


def build_suite(recipe: str, tax: Taxonomy, seed: int = 0, seeds: int = 60) -> ShortlistSuite:
    """One recipe's suite: ``seeds`` target métiers (two people each) in a catalogue of about
    three times as many métiers, four job offers each (plus an internship and a training module
    per métier for ``pathways``)."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}: {', '.join(RECIPES)}")
    rng = random.Random(f"{seed}:{'coded' if recipe == 'uncoded' else recipe}")
    places = _near_postcodes()
    targets, metiers = _choose_metiers(tax, rng, seeds)
    titles = {code: _share_titles(tax, code, rng, 4) for code in metiers}
    coded = recipe != "uncoded"
    opportunities: list[Opportunity] = []
    extra = (OpportunityKind.INTERNSHIP, OpportunityKind.TRAINING) if recipe == "pathways" else ()
    for code in metiers:
        offers = [
            (n, title, OpportunityKind.JOB_OFFER) for n, title in enumerate(titles[code].offer)
        ]
        offers += [(0, titles[code].offer[0], kind) for kind in extra]
        for n, title, kind in offers:
            opportunities.append(_offer(tax, code, n, title, rng, places, kind, coded))
    profiles: list[BeneficiaryProfile] = []
    target: dict[str, str] = {}
    for code in targets:
        for n in range(2):
            p = _profile(recipe, tax, code, n, titles[code], rng, places)
            if p is not None:
                profiles.append(p)
                target[p.id] = code
    return ShortlistSuite(
        name=recipe,
        opportunities=opportunities,
        profiles=profiles,
        target=target,
        metier={o.id: o.id.split("-")[2] for o in opportunities},
        split={pid: split_of(code) for pid, code in target.items()},
        kinds=frozenset(OpportunityKind)
        if recipe == "pathways"
        else frozenset({OpportunityKind.JOB_OFFER}),
    )


def shortlist_suites(tax: Taxonomy, seed: int = 0, seeds: int = 60) -> dict[str, ShortlistSuite]:
    """Every recipe (``seeds`` target métiers each: 60 in full, fewer for a quick slice)."""
    return {recipe: build_suite(recipe, tax, seed, seeds) for recipe in RECIPES}

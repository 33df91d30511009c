"""In-memory ROME 4.0 + ESCO taxonomy with fast lookups.

ROME (France Travail, Licence Ouverte 2.0) is the skill backbone: métiers, their
appellations (real French job titles) and the métier → skill links, where the items
marked "Principale" are the core of the trade. ESCO (© European Union) provides the
occupation and skill identifiers that other systems exchange. The ROME ↔ ESCO occupation
crosswalk is France's official one (ROME appellation → ESCO occupations, typed matches, as
published with the MELO benchmark); métiers it does not cover keep the similarity links built by
``tools/build_crosswalk.py`` (see docs/taxonomy.md).

Skill identifiers are strings: ``rome:<code_ogr>`` for ROME compétences and savoirs,
the ESCO concept URI for ESCO skills that have no ROME equivalent.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from tremplin.taxonomy.files import DATA_DIR, read_rows
from tremplin.text import gender_variants, normalize

ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
ESCO_OCCUPATION_PREFIX = "http://data.europa.eu/esco/occupation/"
ROME_SKILL_PREFIX = "rome:"
COMMON_USES = 6  # past this many métiers (core counted twice), a skill counts as common
ROME_CODE = re.compile(r"^[A-N]\d{4}$")

SkillKind = Literal["competence", "macro_competence", "savoir", "esco"]
MatchType = Literal["exactMatch", "closeMatch", "narrowMatch", "broadMatch"]
# how much an official crosswalk link of each type says "the same occupation"
MATCH_WEIGHT: dict[str, float] = {
    "exactMatch": 1.0,
    "closeMatch": 0.9,
    "narrowMatch": 0.8,
    "broadMatch": 0.7,
}


@dataclass(frozen=True, slots=True)
class Metier:
    """A ROME métier (occupation family), e.g. K2204 "Agent / Agente de nettoyage industriel"."""

    code: str
    label: str
    parent: str


@dataclass(frozen=True, slots=True)
class Appellation:
    """A ROME appellation: a real job title attached to one métier."""

    code_ogr: str
    label: str
    short_label: str
    code_rome: str


@dataclass(frozen=True, slots=True)
class Skill:
    """A skill or knowledge item (ROME compétence/savoir, or ESCO skill)."""

    id: str
    label: str
    kind: SkillKind
    category: str = ""


@dataclass(frozen=True, slots=True)
class MetierSkill:
    """A skill linked to a métier; ``core`` marks ROME's "Principale" items."""

    skill_id: str
    core: bool
    emerging: bool


@dataclass(frozen=True, slots=True)
class EscoOccupation:
    """An ESCO occupation with its ISCO-08 unit group and French labels."""

    uri: str
    label: str
    isco: str
    alt_labels: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class BelgianTitle:
    """A job title used in Belgium that ROME files elsewhere or not at all (maintained list)."""

    title: str
    code_rome: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class SkillResolution:
    """The result of resolving a user-given skill token (code, URI or label)."""

    given: str
    skill: Skill | None
    how: Literal["rome_code", "esco_uri", "label", "unknown"]


class Taxonomy:
    """Lookups over ROME and ESCO; build it once with :func:`load_taxonomy`."""

    def __init__(self) -> None:
        self.metiers: dict[str, Metier] = {}
        self.appellations: dict[str, Appellation] = {}
        self.skills: dict[str, Skill] = {}
        self.esco_occupations: dict[str, EscoOccupation] = {}
        self._metier_skills: dict[str, list[MetierSkill]] = defaultdict(list)
        self._definitions: dict[str, list[str]] = defaultdict(list)
        self._mobilities: dict[str, list[str]] = defaultdict(list)
        self._appellations_by_metier: dict[str, list[str]] = defaultdict(list)
        self._title_index: dict[str, set[str]] = defaultdict(set)
        self._skill_label_index: dict[str, str] = {}
        self._esco_skill_label_index: dict[str, str] = {}
        self._rome_to_esco: dict[str, list[tuple[str, float]]] = defaultdict(list)
        self._esco_to_rome: dict[str, list[tuple[str, float]]] = defaultdict(list)
        self._appellation_esco: dict[str, list[tuple[str, MatchType]]] = {}
        self.crosswalk_source: dict[str, str] = {}  # métier -> "official" | "similarity"
        self.belgian_titles: list[BelgianTitle] = []
        self._skill_search: list[tuple[str, Skill]] = []
        self._skill_uses: dict[str, int] = defaultdict(int)  # métiers listing it (core: 2)

    # --- ROME -----------------------------------------------------------------------
    def metier(self, code: str) -> Metier:
        """Return the métier ``code`` or raise KeyError."""
        return self.metiers[code]

    def metier_skills(self, code: str) -> list[MetierSkill]:
        """Skills of a métier, core ("Principale") ones first."""
        return self._metier_skills.get(code, [])

    def core_skills(self, code: str) -> list[str]:
        """Identifiers of a métier's core skills."""
        return [ms.skill_id for ms in self.metier_skills(code) if ms.core]

    def definition(self, code: str) -> str:
        """The métier's French definition text (ROME 'definition' sentences)."""
        return " ".join(self._definitions.get(code, []))

    def definition_sentences(self, code: str) -> list[str]:
        """The métier's definition, one sentence per item."""
        return list(self._definitions.get(code, []))

    def mobilities(self, code: str) -> list[str]:
        """Métiers that ROME lists as professional mobility targets from ``code``."""
        return list(self._mobilities.get(code, []))

    def appellations_of(self, code: str) -> list[Appellation]:
        """All job titles (appellations) attached to a métier."""
        return [self.appellations[o] for o in self._appellations_by_metier.get(code, [])]

    def metiers_for_title(self, title: str) -> set[str]:
        """Métier codes whose label or appellation equals ``title`` once normalised."""
        return set(self._title_index.get(normalize(title), set()))

    # --- skills -----------------------------------------------------------------------
    def skill(self, skill_id: str) -> Skill:
        """Return a skill by identifier or raise KeyError."""
        return self.skills[skill_id]

    def skill_label(self, skill_id: str) -> str:
        """The French label of a skill, or the identifier itself when unknown."""
        s = self.skills.get(skill_id)
        return s.label if s else skill_id

    def suggest_skills(
        self, text: str, limit: int = 12, metiers: Sequence[str] = ()
    ) -> list[Skill]:
        """Skills whose French label holds every word of ``text`` (accents and case ignored),
        as a form proposes them while a coach types: the core items of the ``metiers`` (the
        project's) first, then by how common the skill is across ROME's métiers (the items
        offers ask), then how close the label is (starting with the words, then the
        shortest)."""
        words = normalize(text).split()
        if not words or len(text) > 200:
            return []
        if not self._skill_search:
            self._skill_search = [(normalize(s.label), s) for s in self.skills.values()]
            for items in self._metier_skills.values():
                for ms in items:
                    self._skill_uses[ms.skill_id] += 2 if ms.core else 1
        linked = {sid for code in metiers for sid in self.core_skills(code)}
        query = " ".join(words)

        def closeness(label: str) -> int:
            if label.startswith(query):
                return 0
            starts = label.split()
            return 1 if all(any(t.startswith(w) for t in starts) for w in words) else 2

        found = [
            (
                skill.id not in linked,
                -min(self._skill_uses.get(skill.id, 0), COMMON_USES),
                closeness(label),
                len(label),
                skill.label,
                skill,
            )
            for label, skill in self._skill_search
            if all(w in label for w in words)
        ]
        found.sort(key=lambda f: f[:5])
        seen: set[str] = set()
        out: list[Skill] = []
        for *_, skill in found:
            if skill.label.lower() not in seen:
                seen.add(skill.label.lower())
                out.append(skill)
            if len(out) == limit:
                break
        return out

    def resolve_skill(self, token: str) -> SkillResolution:
        """Resolve a ROME skill code, an ESCO skill URI or a French label to a skill.

        ESCO skills whose label equals a ROME skill's resolve to the ROME skill, so that
        overlap is computed on one identifier space.
        """
        given = token
        token = token.strip()
        code = token.removeprefix(ROME_SKILL_PREFIX)
        if code.isdigit():
            s = self.skills.get(ROME_SKILL_PREFIX + code)
            return SkillResolution(given, s, "rome_code" if s else "unknown")
        if token.startswith(ESCO_SKILL_PREFIX):
            esco = self.skills.get(token)
            if esco is None:
                return SkillResolution(given, None, "unknown")
            rome_id = self._skill_label_index.get(normalize(esco.label))
            return SkillResolution(given, self.skills[rome_id] if rome_id else esco, "esco_uri")
        key = normalize(token)
        skill_id = self._skill_label_index.get(key) or self._esco_skill_label_index.get(key)
        if skill_id:
            return SkillResolution(given, self.skills[skill_id], "label")
        return SkillResolution(given, None, "unknown")

    # --- ESCO and crosswalk -----------------------------------------------------------
    def esco_for_appellation(self, code_ogr: str) -> list[tuple[str, MatchType]]:
        """The official crosswalk's ESCO occupations for a ROME appellation, with match types."""
        return list(self._appellation_esco.get(code_ogr, []))

    def official_crosswalk(self) -> dict[str, list[tuple[str, MatchType]]]:
        """The whole official crosswalk: appellation code -> [(ESCO URI, match type)]."""
        return {k: list(v) for k, v in self._appellation_esco.items()}

    def esco_for_metier(self, code: str) -> list[tuple[str, float]]:
        """ESCO occupation URIs linked to a ROME métier, best first, with link scores
        (official crosswalk where it covers the métier, see :func:`metier_links`)."""
        return list(self._rome_to_esco.get(code, []))

    def metiers_for_esco(self, uri: str) -> list[tuple[str, float]]:
        """ROME métiers linked to an ESCO occupation, best first."""
        return list(self._esco_to_rome.get(uri, []))


def _load_rome(tax: Taxonomy) -> None:
    for r in read_rows("rome_metiers.csv.gz"):
        m = Metier(r["code_rome"], r["libelle_rome"], r["code_rome_parent"] or r["code_rome"])
        tax.metiers[m.code] = m
        for variant in gender_variants(m.label):
            tax._title_index[normalize(variant)].add(m.code)
    for r in read_rows("rome_appellations.csv.gz"):
        a = Appellation(
            r["code_ogr"],
            r["libelle_appellation_long"],
            r["libelle_appellation_court"],
            r["code_rome"],
        )
        tax.appellations[a.code_ogr] = a
        tax._appellations_by_metier[a.code_rome].append(a.code_ogr)
        for variant in {*gender_variants(a.label), a.short_label}:
            tax._title_index[normalize(variant)].add(a.code_rome)
    for r in read_rows("rome_competences.csv.gz"):
        kind: SkillKind = "macro_competence" if r["nature"] == "Macro-compétence" else "competence"
        s = Skill(ROME_SKILL_PREFIX + r["code_ogr"], r["libelle_competence"], kind, r["cat_comp"])
        tax.skills[s.id] = s
    for r in read_rows("rome_savoirs.csv.gz"):
        s = Skill(
            ROME_SKILL_PREFIX + r["code_ogr_savoir"],
            r["libelle_savoir"],
            "savoir",
            r["categorie_savoir"],
        )
        tax.skills[s.id] = s
    for s in list(tax.skills.values()):
        tax._skill_label_index.setdefault(normalize(s.label), s.id)
    coherence = {
        (r["code_rome"], r["code_ogr"]): r["coeur_metier"]
        for r in read_rows("rome_coherence_items.csv.gz")
    }
    for r in read_rows("rome_liens.csv.gz"):
        if r["code_compo_bloc"] != "5":
            continue
        sid = ROME_SKILL_PREFIX + r["code_ogr"]
        if sid not in tax.skills:
            continue
        mark = coherence.get((r["code_rome"], r["code_ogr"]), "")
        tax._metier_skills[r["code_rome"]].append(
            MetierSkill(sid, core=mark == "Principale", emerging=mark == "Émergente")
        )
    for code, items in tax._metier_skills.items():
        items.sort(key=lambda ms: not ms.core)
        tax._metier_skills[code] = items
    for r in read_rows("rome_textes.csv.gz"):
        if r["libelle_type_texte"] == "definition":
            tax._definitions[r["code_rome"]].append(r["libelle_texte"].replace("''", "'"))
    for r in read_rows("rome_mobilites.csv.gz"):
        tax._mobilities[r["code_rome"]].append(r["code_rome_cible"])


def _load_esco(tax: Taxonomy) -> None:
    for r in read_rows("esco_occupations_fr.csv.gz"):
        alts = tuple(a.strip() for a in r["altLabels"].split("\n") if a.strip())
        tax.esco_occupations[r["conceptUri"]] = EscoOccupation(
            r["conceptUri"], r["preferredLabel"], r["iscoGroup"], alts
        )
    for r in read_rows("esco_skills_fr.csv.gz"):
        s = Skill(r["conceptUri"], r["preferredLabel"], "esco", r["skillType"])
        tax.skills[s.id] = s
        labels = [s.label, *(a for a in r["altLabels"].split("\n") if a.strip())]
        for label in labels:
            tax._esco_skill_label_index.setdefault(normalize(label), s.id)


def metier_links(
    appellation_links: list[tuple[str, MatchType]],
) -> list[tuple[str, float]]:
    """Métier-level ESCO links from its appellations' official links, best first.

    score = weight of the best match type to that occupation × (0.7 + 0.3 × its share of the
    votes of the métier's most voted occupation), votes being the summed match weights: the
    occupation most of the métier's titles point to, exactly, comes first with 1.0.
    """
    votes: dict[str, float] = {}
    best: dict[str, float] = {}
    for uri, kind in appellation_links:
        weight = MATCH_WEIGHT[kind]
        votes[uri] = votes.get(uri, 0.0) + weight
        best[uri] = max(best.get(uri, 0.0), weight)
    if not votes:
        return []
    top = max(votes.values())
    scored = [(uri, round(best[uri] * (0.7 + 0.3 * votes[uri] / top), 4)) for uri in votes]
    return sorted(scored, key=lambda t: (-t[1], t[0]))


def _load_crosswalk(tax: Taxonomy) -> None:
    with gzip.open(DATA_DIR / "crosswalk_rome_esco_fra.json.gz", "rt", encoding="utf-8") as fh:
        official = json.load(fh)
    by_metier: dict[str, list[tuple[str, MatchType]]] = defaultdict(list)
    for code_ogr, entry in sorted(official.items()):
        links: list[tuple[str, MatchType]] = [
            (uri, kind)
            for uri, kind in sorted(entry["matches"].items())
            if uri in tax.esco_occupations and kind in MATCH_WEIGHT
        ]
        appellation = tax.appellations.get(code_ogr)
        if not links or appellation is None:
            continue
        tax._appellation_esco[code_ogr] = links
        by_metier[appellation.code_rome].extend(links)
    for code, links in by_metier.items():
        tax._rome_to_esco[code] = metier_links(links)
        tax.crosswalk_source[code] = "official"
    for r in read_rows("crosswalk_rome_esco.csv.gz"):  # similarity links, where France is silent
        if r["code_rome"] in by_metier:
            continue
        tax._rome_to_esco[r["code_rome"]].append((r["esco_uri"], float(r["score"])))
        tax.crosswalk_source[r["code_rome"]] = "similarity"
    for code, scored in tax._rome_to_esco.items():
        for uri, score in scored:
            tax._esco_to_rome[uri].append((code, score))
    for table in (tax._rome_to_esco, tax._esco_to_rome):
        for key, scored in table.items():
            table[key] = sorted(scored, key=lambda t: -t[1])


def _load_belgian_titles(tax: Taxonomy) -> None:
    with (DATA_DIR / "belgian_titles.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["code_rome"] not in tax.metiers:
                raise ValueError(f"belgian_titles.csv: unknown ROME code {r['code_rome']}")
            tax.belgian_titles.append(BelgianTitle(r["title"], r["code_rome"], r["note"] or ""))


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """Load (once per process) the vendored ROME + ESCO taxonomy."""
    tax = Taxonomy()
    _load_rome(tax)
    _load_esco(tax)
    _load_crosswalk(tax)
    _load_belgian_titles(tax)
    return tax

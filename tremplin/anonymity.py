"""What an employer may see of a pool member: generalised quasi-identifiers (k-anonymity) and
a card pseudonym that is stable for one employer and unlinkable across employers.

Quasi-identifiers are the facts that, combined, could single a person out: where they live,
their languages, their education, their driving licences and their experience. A card shows
each at a *level* of a hierarchy (commune → postcode zone → province → region → hidden, …);
:func:`k_anonymous` picks, over the whole population the employer could see, the levels that
lose least while every combination shown is shared by at least ``k`` people (global
recoding, searched over every combination of levels: a few hundred, each a ``numpy.unique``).

Age, gender and origin are never shown (they are fairness-monitoring attributes, and an
employer must not select on them); nor is a name, an address, a national number, a birth date,
a nationality, CPAS status, health, judicial or any free-text field.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from data_contracts.enums import CefrLevel, EducationLevel, LicenceCategory
from data_contracts.models import BeneficiaryProfile
from tremplin.geo import place

DEFAULT_K = 5
HIDDEN = "non précisé"

CARD_PREFIX = "C-"
CARD_CHARS = 12


def keyed_name(key: bytes, prefix: str, *parts: str) -> str:
    """``prefix`` and 12 base-32 characters of an HMAC of ``parts`` under the secret key."""
    message = "\x1f".join(parts).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return prefix + base64.b32encode(digest).decode()[:CARD_CHARS]


def card_pseudonym(key: bytes, employer_id: str, cpas_id: str, person_id: str) -> str:
    """The card name one employer sees for one person: an HMAC under the service's secret
    key, so the same person has the same card for that employer and another, unrelated card
    for any other employer (two employers cannot link their results)."""
    return keyed_name(key, CARD_PREFIX, "pool-card", employer_id, cpas_id, person_id)


def participant_code(key: bytes, job_day_id: str, cpas_id: str, person_id: str) -> str:
    """The code a Maison de l'emploi sees for a person invited to one job day (the CPAS's own
    file reference stays with the CPAS)."""
    return keyed_name(key, "P-", "job-day", job_day_id, cpas_id, person_id)


@dataclass(frozen=True)
class PersonFacts:
    """The quasi-identifiers of one person, before generalisation."""

    postcode: int
    languages: tuple[tuple[str, CefrLevel], ...]  # sorted by language code
    education: EducationLevel
    licences: tuple[LicenceCategory, ...]
    experience_months: int

    @classmethod
    def of(cls, profile: BeneficiaryProfile) -> PersonFacts:
        """The facts of a profile."""
        return cls(
            postcode=profile.constraints.home_postcode,
            languages=tuple(sorted((lang.language, lang.level) for lang in profile.languages)),
            education=profile.education_level,
            licences=tuple(sorted(set(profile.constraints.driving_licences))),
            experience_months=sum(e.months for e in profile.experiences),
        )


def _region(postcode: int) -> str:
    if 1000 <= postcode < 1300:
        return "Région de Bruxelles-Capitale"
    if 1300 <= postcode < 1500 or 4000 <= postcode < 8000:
        return "Wallonie"
    return "Flandre"


def _area(f: PersonFacts, level: int) -> str:
    found = place(f.postcode)
    if level == 0:
        return found.locality if found else f"{f.postcode}"
    if level == 1:
        return f"zone postale {f.postcode // 100:02d}xx"
    if level == 2:
        return found.province if found and found.province else _region(f.postcode)
    if level == 3:
        return _region(f.postcode)
    return HIDDEN


_BANDS = {
    CefrLevel.A1: "élémentaire",
    CefrLevel.A2: "élémentaire",
    CefrLevel.B1: "indépendant",
    CefrLevel.B2: "indépendant",
    CefrLevel.C1: "expérimenté",
    CefrLevel.C2: "expérimenté",
}


def _languages(f: PersonFacts, level: int) -> str:
    french = next((lvl for lang, lvl in f.languages if lang == "fr"), None)
    others = [(lang, lvl) for lang, lvl in f.languages if lang != "fr"]
    fr = (
        ("français " + (french.value if level == 0 else _BANDS[french]))
        if french
        else "français non évalué"
    )
    if level == 0:
        return ", ".join([fr, *(f"{lang} {lvl.value}" for lang, lvl in others)])
    if level == 1:
        return ", ".join([fr, *(f"{lang} {_BANDS[lvl]}" for lang, lvl in others)])
    if level == 2:
        return f"{fr}, {len(others)} autre(s) langue(s)" if others else fr
    if level == 3:
        return fr
    if level == 4:
        fluent = french is not None and french.rank >= 2
        return "français courant (B1 ou plus)" if fluent else "pas de B1 en français attesté"
    return HIDDEN


_EDUCATION = {
    EducationLevel.NONE: "sans diplôme",
    EducationLevel.PRIMARY: "CEB",
    EducationLevel.LOWER_SECONDARY: "secondaire inférieur",
    EducationLevel.UPPER_SECONDARY: "CESS",
    EducationLevel.HIGHER_SHORT: "bachelier",
    EducationLevel.HIGHER_LONG: "master",
}


def _education(f: PersonFacts, level: int) -> str:
    if level == 0:
        return _EDUCATION[f.education]
    if level == 1:
        rank = f.education.rank
        return "sans CESS" if rank < 3 else "CESS" if rank == 3 else "études supérieures"
    return HIDDEN


def _licence(f: PersonFacts, level: int) -> str:
    if level == 0:
        return ", ".join(lic.value for lic in f.licences) if f.licences else "aucun permis"
    if level == 1:
        car = {LicenceCategory.B, LicenceCategory.BE} & set(f.licences)
        return "permis B" if car else "pas de permis B"
    return HIDDEN


def _experience(f: PersonFacts, level: int) -> str:
    years = f.experience_months / 12
    if level == 0:
        if f.experience_months == 0:
            return "aucune expérience"
        return (
            "moins d'un an"
            if years < 1
            else "1 à 3 ans"
            if years < 3
            else "3 à 5 ans"
            if years < 5
            else "plus de 5 ans"
        )
    if level == 1:
        return "moins de 3 ans" if years < 3 else "3 ans et plus"
    return HIDDEN


HIERARCHIES: dict[str, tuple[int, Callable[[PersonFacts, int], str]]] = {
    # quasi-identifier: (number of levels, label at a level); the last level hides it
    "area": (5, _area),
    "languages": (6, _languages),
    "education": (3, _education),
    "licence": (3, _licence),
    "experience": (3, _experience),
}
QUASI_IDENTIFIERS: tuple[str, ...] = tuple(HIERARCHIES)


@dataclass(frozen=True)
class Generalisation:
    """The level each quasi-identifier is shown at, for one population and one ``k``."""

    levels: dict[str, int]
    k: int
    smallest_class: int  # the smallest number of people sharing a shown combination

    def show(self, facts: PersonFacts) -> dict[str, str]:
        """The quasi-identifiers of ``facts`` as a card shows them."""
        return {qi: HIERARCHIES[qi][1](facts, self.levels[qi]) for qi in QUASI_IDENTIFIERS}

    @property
    def loss(self) -> float:
        """Information lost: the weighted share of each hierarchy climbed (0 exact, 1 hidden)."""
        return information_loss(self.levels)


IMPORTANCE: dict[str, float] = {
    # how much an employer loses when a fact is coarsened (French level and experience most)
    "languages": 4.0,  # French is an offer's most frequent hard requirement
    "experience": 1.0,
    "licence": 1.0,
    "area": 1.0,
    "education": 0.5,
}


def information_loss(levels: dict[str, int]) -> float:
    """The importance-weighted mean share of each hierarchy climbed by ``levels``."""
    total = sum(IMPORTANCE.values())
    return float(
        sum(IMPORTANCE[qi] * levels[qi] / (HIERARCHIES[qi][0] - 1) for qi in QUASI_IDENTIFIERS)
        / total
    )


def fully_hidden(k: int, population: int) -> Generalisation:
    """Every quasi-identifier hidden (for a population too small to generalise)."""
    levels = {qi: HIERARCHIES[qi][0] - 1 for qi in QUASI_IDENTIFIERS}
    return Generalisation(levels=levels, k=k, smallest_class=population)


def k_anonymous(population: Sequence[PersonFacts], k: int = DEFAULT_K) -> Generalisation | None:
    """The least-lossy levels under which every shown combination of quasi-identifiers is
    shared by at least ``k`` people of ``population``; None when it has fewer than ``k``
    people (then nothing may be shown)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    n = len(population)
    if n < k:
        return None
    codes: dict[str, list[np.ndarray]] = {}
    for qi, (depth, label) in HIERARCHIES.items():
        codes[qi] = []
        for level in range(depth):
            names = [label(f, level) for f in population]
            codes[qi].append(np.unique(names, return_inverse=True)[1].astype(np.int64))
    best: tuple[float, int, dict[str, int], int] | None = None
    for combo in itertools.product(*(range(HIERARCHIES[qi][0]) for qi in QUASI_IDENTIFIERS)):
        levels = dict(zip(QUASI_IDENTIFIERS, combo, strict=True))
        key = np.zeros(n, dtype=np.int64)
        for qi in QUASI_IDENTIFIERS:
            column = codes[qi][levels[qi]]
            key = key * (int(column.max()) + 1) + column
        _, counts = np.unique(key, return_counts=True)
        smallest = int(counts.min())
        if smallest < k:
            continue
        loss = information_loss(levels)
        spread = int((counts.astype(np.int64) ** 2).sum())  # discernibility: ties broken here
        if best is None or (loss, spread) < (best[0], best[1]):
            best = (loss, spread, levels, smallest)
    assert best is not None  # every quasi-identifier hidden is one class of n >= k people
    return Generalisation(levels=best[2], k=k, smallest_class=best[3])

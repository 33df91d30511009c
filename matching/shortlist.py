"""The shortlist: one function that every caller (CLI, API, pages, planners) uses.

Score = weighted fusion of skill overlap (required skills weigh twice optional ones, and
the métier's core skills count as required), aspiration match (target métier, its ROME
family or a ROME mobility), lexical similarity between the person's aspirations and
experience titles and the opportunity, minus a distance penalty. Hard constraints are
applied first; what they removed is counted per constraint.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
from pydantic import BaseModel, Field
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

from data_contracts.enums import OpportunityKind
from data_contracts.models import BeneficiaryProfile, Opportunity
from matching.filters import CONSTRAINT_LABELS, violations
from tremplin.geo import distance_km
from tremplin.taxonomy import Taxonomy, load_taxonomy
from tremplin.text import normalize

ENGINE_VERSION = "fusion-v0"


class FusionWeights(BaseModel):
    """Weights of the score's parts (learnt later; a setting now)."""

    skills: float = 0.45
    aspiration: float = 0.35
    lexical: float = 0.20
    distance: float = 0.10


class ShortlistItem(BaseModel):
    """One ranked opportunity with the reasons a coach can read out."""

    opportunity_id: str
    kind: OpportunityKind
    title: str
    score: float
    distance_km: float | None
    matched_skills: list[str]
    missing_core_skills: list[str]
    reasons: list[str]


class Shortlist(BaseModel):
    """Ranked opportunities for one beneficiary, with what the hard filters removed."""

    beneficiary_id: str
    engine_version: str = ENGINE_VERSION
    candidates: int
    removed_by_constraint: dict[str, int] = Field(default_factory=dict)
    items: list[ShortlistItem]


class OpportunityCatalogue:
    """Active opportunities with their lexical vectors, built once and queried many times."""

    def __init__(self, opportunities: list[Opportunity], taxonomy: Taxonomy | None = None) -> None:
        self.opportunities = opportunities
        self.taxonomy = taxonomy or load_taxonomy()
        # the métier's core skills per opportunity: fixed for the catalogue, read on every query
        self.core_skills = [
            frozenset(self.taxonomy.core_skills(o.occupation.rome_code))
            if o.occupation.rome_code
            else frozenset()
            for o in opportunities
        ]
        self._vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True
        )
        texts = [normalize(f"{o.title} {o.title} {o.description[:300]}") for o in opportunities]
        try:
            self._matrix: csr_matrix | None = self._vectorizer.fit_transform(texts)
        except ValueError:  # no text at all (empty catalogue, titles of punctuation only)
            self._matrix = None

    def lexical(self, text: str) -> np.ndarray:
        """Cosine similarity of ``text`` to every opportunity."""
        if self._matrix is None or not text.strip():
            return np.zeros(len(self.opportunities))
        return np.asarray(
            (self._matrix @ self._vectorizer.transform([normalize(text)]).T).toarray()
        ).ravel()


def _aspiration(b: BeneficiaryProfile, o: Opportunity, tax: Taxonomy) -> tuple[float, str | None]:
    code = o.occupation.rome_code
    if not code:
        return 0.0, None
    for target in b.aspirations.target_rome_codes:
        if code == target:
            return (
                1.0,
                f"correspond au projet : {tax.metiers[target].label}"
                if target in tax.metiers
                else None,
            )
        if code in tax.mobilities(target) or code[:3] == target[:3]:
            label = tax.metiers[target].label if target in tax.metiers else target
            return 0.6, f"métier proche du projet ({label})"
    if any(e.rome_code == code for e in b.experiences):
        return 0.5, "métier déjà exercé"
    return 0.0, None


def shortlist(
    profile: BeneficiaryProfile,
    catalogue: OpportunityCatalogue,
    top: int = 10,
    kinds: frozenset[OpportunityKind] = frozenset(OpportunityKind),
    today: dt.date | None = None,
    weights: FusionWeights | None = None,
) -> Shortlist:
    """Rank the catalogue's opportunities for ``profile`` after the hard filters."""
    today = today or dt.date.today()
    w = weights or FusionWeights()
    tax = catalogue.taxonomy
    have = {s.id for s in profile.skills}
    query = " ".join([profile.aspirations.text, *(e.title for e in profile.experiences)])
    lexical = catalogue.lexical(query)
    removed: Counter[str] = Counter()
    scored: list[ShortlistItem] = []
    for i, o in enumerate(catalogue.opportunities):
        km = distance_km(profile.constraints.home_postcode, o.location.postcode)
        broken = violations(profile, o, today, kinds, km)
        if broken:
            removed.update(b for b in broken if b != "kind")
            continue
        core = catalogue.core_skills[i]
        required = [s.id for s in o.required_skills]
        optional = [s.id for s in o.optional_skills]
        if o.kind is OpportunityKind.TRAINING:
            gap = core - have
            taught = {s.id for s in o.taught_skills}
            skill_score = len(gap & taught) / len(gap) if gap else 0.3
            matched = [tax.skill_label(s) for s in sorted(gap & taught)]
            missing: list[str] = []
        else:
            denominator = 2 * len(required) + len(optional)
            skill_score = (
                (2 * len(have.intersection(required)) + len(have.intersection(optional)))
                / denominator
                if denominator
                else 0.3
            )
            matched = [tax.skill_label(s) for s in required + optional if s in have]
            missing = [
                tax.skill_label(s) for s in required if s not in have and (s in core or not core)
            ]
        wish, wish_reason = _aspiration(profile, o, tax)
        km_penalty = (km or 0.0) / profile.constraints.max_distance_km
        score = (
            w.skills * skill_score
            + w.aspiration * wish
            + w.lexical * float(lexical[i])
            - w.distance * km_penalty
        )
        reasons = [r for r in [wish_reason] if r]
        if matched:
            verb = "apprend" if o.kind is OpportunityKind.TRAINING else "maîtrise"
            reasons.append(
                f"{verb} {len(matched)} compétence(s) utile(s) : {', '.join(matched[:3])}"
            )
        if missing:
            reasons.append(f"à acquérir : {', '.join(missing[:3])}")
        if km is not None:
            reasons.append(f"à {km:.0f} km du domicile")
        scored.append(
            ShortlistItem(
                opportunity_id=o.id,
                kind=o.kind,
                title=o.title,
                score=round(score, 4),
                distance_km=round(km, 1) if km is not None else None,
                matched_skills=matched,
                missing_core_skills=missing,
                reasons=reasons,
            )
        )
    scored.sort(key=lambda item: (-item.score, item.opportunity_id))
    return Shortlist(
        beneficiary_id=profile.id,
        candidates=len(catalogue.opportunities),
        removed_by_constraint={CONSTRAINT_LABELS[k]: v for k, v in sorted(removed.items())},
        items=scored[:top],
    )

"""What the matching engine reads of a beneficiary profile, derived once per request."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from data_contracts.models import BeneficiaryProfile
from matching.encoder import Encoder
from tremplin.taxonomy import Taxonomy

TARGET = 1.0
NEIGHBOUR = 0.6  # same ROME family (first three characters) or a ROME mobility
EXPERIENCED = 0.5  # a métier the person has already worked in
LINK_MIN_SCORE = 0.8  # ESCO -> ROME crosswalk links below this are not trusted for targets


class ProfileView:
    """Skills, target métiers, skill gap and query texts of one profile."""

    def __init__(self, profile: BeneficiaryProfile, taxonomy: Taxonomy) -> None:
        self.profile = profile
        self.taxonomy = taxonomy

    @cached_property
    def skills(self) -> frozenset[str]:
        """Skill ids the person has."""
        return frozenset(s.id for s in self.profile.skills)

    @cached_property
    def targets(self) -> list[str]:
        """Aspired ROME métiers: the given codes, then those linked to aspired ESCO occupations."""
        codes = list(self.profile.aspirations.target_rome_codes)
        for uri in self.profile.aspirations.target_esco_uris:
            for code, score in self.taxonomy.metiers_for_esco(uri)[:1]:
                if score >= LINK_MIN_SCORE and code not in codes:
                    codes.append(code)
        return [c for c in codes if c in self.taxonomy.metiers]

    @cached_property
    def experienced(self) -> set[str]:
        """ROME métiers of the person's experiences."""
        return {e.rome_code for e in self.profile.experiences if e.rome_code}

    @cached_property
    def gap(self) -> frozenset[str]:
        """Core skills of the aspired métiers that the person lacks."""
        core: set[str] = set()
        for code in self.targets:
            core.update(self.taxonomy.core_skills(code))
        return frozenset(core - self.skills)

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to match on."""
        p = self.profile
        return not (p.skills or p.experiences or p.aspirations.text.strip() or self.targets)

    @cached_property
    def query_text(self) -> str:
        """What the person wants and has done, in words (the dense query)."""
        tax = self.taxonomy
        parts = [self.profile.aspirations.text.strip()]
        parts += [tax.metiers[c].label for c in self.targets]
        parts += [e.title for e in self.profile.experiences[:5]]
        text = ". ".join(p for p in parts if p)
        if not text:  # skills only
            text = ", ".join(tax.skill_label(s) for s in sorted(self.skills)[:10])
        return text[:1000]

    @cached_property
    def lexical_query(self) -> str:
        """The BM25 query: the dense query plus the person's skill labels."""
        skills = " ".join(self.taxonomy.skill_label(s) for s in sorted(self.skills)[:15])
        return f"{self.query_text} {skills}"

    def query_vector(self, encoder: Encoder) -> np.ndarray:
        """The profile's embedding (cached by the encoder for repeated queries)."""
        return encoder.encode_query(self.query_text)

    @cached_property
    def _neighbours(self) -> dict[str, float]:
        scores: dict[str, float] = {}
        for target in self.targets:
            for code in self.taxonomy.mobilities(target):
                scores.setdefault(code, NEIGHBOUR)
        for code in self.experienced:
            scores[code] = max(scores.get(code, 0.0), EXPERIENCED)
        for target in self.targets:
            scores[target] = TARGET
        return scores

    def aspiration_score(self, code: str) -> float:
        """How well a ROME métier matches the person's project (0 to 1)."""
        if not code:
            return 0.0
        explicit = self._neighbours.get(code)
        if explicit is not None:
            return explicit
        if any(code[:3] == t[:3] for t in self.targets):
            return NEIGHBOUR
        return 0.0

    def aspiration_scores(self, codes: list[str], inverse: np.ndarray) -> np.ndarray:
        """:meth:`aspiration_score` per opportunity, from distinct ``codes`` and each one's number."""
        values = np.array([self.aspiration_score(c) for c in codes], dtype=np.float32)
        return values[inverse] if len(values) else np.zeros(len(inverse), dtype=np.float32)

    def project_relations(self, codes: list[str], inverse: np.ndarray) -> np.ndarray:
        """Per opportunity (through distinct ``codes``): 4 columns, 1.0 where its métier is a
        target, a ROME mobility of a target, already exercised, in a target's domain (same
        first letter of the ROME code: e.g. K, services to people)."""
        targets = set(self.targets)
        mobility = {m for t in self.targets for m in self.taxonomy.mobilities(t)}
        domains = {t[:1] for t in self.targets}
        rows = np.array(
            [
                [
                    c in targets,
                    c in mobility,
                    c in self.experienced,
                    bool(c) and c[:1] in domains,
                ]
                for c in codes
            ],
            dtype=np.float32,
        ).reshape(len(codes), 4)
        return rows[inverse] if len(codes) else np.zeros((len(inverse), 4), dtype=np.float32)

    def aspiration_reason(self, code: str | None) -> str | None:
        """A French sentence saying how a métier relates to the project, if it does."""
        if not code:
            return None
        tax = self.taxonomy
        if code in self.targets:
            return f"correspond au projet : {tax.metiers[code].label}"
        for target in self.targets:
            if code in tax.mobilities(target) or code[:3] == target[:3]:
                return f"métier proche du projet ({tax.metiers[target].label})"
        if code in self.experienced:
            return "métier déjà exercé"
        return None

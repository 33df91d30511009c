"""Skills named or described in free text: an ad's missions, a CV pasted by a coach, a wish told
as activities ("conditionner des produits et contrôler un approvisionnement").

The text is cut into clauses (sentences, list items, "et"-joined activities); each clause is
compared with the labels of the ROME compétences and savoirs that some métier lists (word
TF-IDF over folded, singularised words, bigrams included), and a label close enough is a
*mention*, kept with the clause it came from. What a mention says about métiers — which ones
list the skill, and as a core item or not — reads a wish told as activities.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections import defaultdict

import numpy as np
from pydantic import BaseModel, Field
from sklearn.feature_extraction.text import TfidfVectorizer

from data_contracts.models import Opportunity, SkillRef, SkillSource
from tremplin.taxonomy import Taxonomy
from tremplin.text import tokens

MIN_SIMILARITY = 0.55  # chosen on the dev ads that list their compétences (docs/matching.md)
MAX_CLAUSE_WORDS = 30
CORE_WEIGHT = 1.0
OTHER_WEIGHT = 0.4
_CLAUSES = re.compile(
    r"(?<=[.!?;:])\s+|\n+|\s*[•·*]\s+|\s+-\s+|,\s+|\s+et\s+(?=\w+er\b|\w+ir\b|\w+re\b)"
)


class SkillMention(BaseModel):
    """A taxonomy skill found in a text, with the clause it came from."""

    id: str
    label: str
    sentence: str = Field(description="The words of the text that name or describe it.")
    similarity: float = Field(ge=0.0, le=1.0)


def clauses(text: str) -> list[str]:
    """The clauses of a text that may name a skill (2 to :data:`MAX_CLAUSE_WORDS` words)."""
    out: list[str] = []
    for raw in _CLAUSES.split(text):
        clause = raw.strip(" -–•*\t.;:,")
        words = clause.split()
        if 2 <= len(words) <= MAX_CLAUSE_WORDS and clause not in out:
            out.append(clause)
    return out


def _analyse(text: str) -> list[str]:
    words = tokens(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


class SkillReader:
    """Finds the ROME skills a text names (see the module docstring)."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        listed: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        for code in sorted(taxonomy.metiers):
            for ms in taxonomy.metier_skills(code):
                listed[ms.skill_id].append((code, ms.core))
        self.ids = sorted(listed)
        self.metiers_of = dict(listed)
        self.vectorizer = TfidfVectorizer(analyzer=_analyse, sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform([taxonomy.skills[i].label for i in self.ids])
        # a skill few métiers list says more about which métier is meant
        self.specificity = {
            i: 1.0 / math.log(2.0 + len(codes)) for i, codes in self.metiers_of.items()
        }

    def read(self, text: str, limit: int = 30) -> list[SkillMention]:
        """The skills ``text`` names, best match first (one mention per skill)."""
        parts = clauses(text)
        if not parts:
            return []
        sims = (self.vectorizer.transform(parts) @ self.matrix.T).toarray()
        best: dict[str, SkillMention] = {}
        for row, clause in enumerate(parts):
            for j in np.flatnonzero(sims[row] >= MIN_SIMILARITY):
                skill = self.ids[int(j)]
                similarity = float(min(1.0, sims[row, j]))
                if skill not in best or similarity > best[skill].similarity:
                    best[skill] = SkillMention(
                        id=skill,
                        label=self.taxonomy.skills[skill].label,
                        sentence=clause,
                        similarity=round(similarity, 4),
                    )
        ranked = sorted(best.values(), key=lambda m: (-m.similarity, m.label))
        return ranked[:limit]

    def metier_scores(self, mentions: list[SkillMention]) -> dict[str, float]:
        """How strongly the mentioned skills point at each métier that lists them (each
        mention weighs its similarity, see :meth:`skill_scores`)."""
        return self.skill_scores({m.id: m.similarity for m in mentions})

    def skill_scores(self, weights: dict[str, float]) -> dict[str, float]:
        """How strongly skills (id → weight) point at each métier that lists them: the sum of
        weight × specificity × (1 core, 0.4 otherwise); skills no métier lists are ignored."""
        scores: dict[str, float] = defaultdict(float)
        for skill, given in weights.items():
            weight = given * self.specificity.get(skill, 0.0)
            for code, core in self.metiers_of.get(skill, []):
                scores[code] += weight * (CORE_WEIGHT if core else OTHER_WEIGHT)
        return dict(scores)


SKILLS_FROM_TEXT = 10  # optional skills an ad that lists none gets from its text


def with_skills_from_text(offer: Opportunity, reader: SkillReader) -> Opportunity:
    """``offer`` with the skills its title and description name as optional skills, each with
    the words it came from — when it lists no skill of its own (unchanged otherwise)."""
    if offer.required_skills or offer.optional_skills or offer.taught_skills:
        return offer
    found = reader.read(f"{offer.title}.\n{offer.description}", limit=SKILLS_FROM_TEXT)
    if not found:
        return offer
    return offer.model_copy(
        update={
            "optional_skills": [SkillRef(id=m.id, label=m.label) for m in found],
            "skill_sources": [SkillSource(id=m.id, sentence=m.sentence[:300]) for m in found],
        }
    )


_READERS: dict[int, SkillReader] = {}
_READERS_LOCK = threading.Lock()


def skill_reader(taxonomy: Taxonomy) -> SkillReader:
    """The process's skill reader over ``taxonomy`` (built once: 3 s)."""
    with _READERS_LOCK:
        if id(taxonomy) not in _READERS:
            _READERS[id(taxonomy)] = SkillReader(taxonomy)
        return _READERS[id(taxonomy)]

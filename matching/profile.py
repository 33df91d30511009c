"""What the matching engine reads of a beneficiary profile, derived once per request.

The person's project is a set of weighted ROME métiers: the codes a coach gave (weight 1), the
ESCO occupations given, through the crosswalk, and the métiers the free-text wish may mean.
A wish is read as people write it — a precise title, a vague one ("chef"), activities ("où je
peux conditionner des produits"), a sector — by the fitted wish reader
(:mod:`matching.wish_reading`: title linker, ad coder, skill reader), each reading with a
calibrated probability; for a vague wish the person's skills and experience choose among what
it may mean. A reading weighs its probability, never as much as a given code. Experiences
without a code are linked by the title linker. The project outweighs the past: a target
scores 1, a métier already practised :data:`EXPERIENCED`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from data_contracts.models import BeneficiaryProfile
from matching.ad_coding import Ad, dense_texts
from matching.encoder import Encoder
from matching.occupations import wish_segments
from matching.wish_reading import CANDIDATES, PersonFile, read_wish, wish_ad
from tremplin.taxonomy import Taxonomy

if TYPE_CHECKING:
    from matching.ad_coding import AdCoder
    from matching.catalogue import OpportunityCatalogue
    from matching.embedding_cache import EmbeddingCache
    from matching.linking import ConceptMatch
    from matching.occupations import OccupationLinker

TARGET = 1.0
NEIGHBOUR = 0.6  # same ROME family (first three characters) or a ROME mobility
EXPERIENCED = 0.4  # a métier the person has already worked in (less than any target)
LINK_MIN_SCORE = 0.8  # ESCO -> ROME crosswalk links below this are not trusted for targets
WISH_LINKS = 3  # métiers kept from a free-text wish
WISH_MIN_SCORE = 0.05  # a wish's reading below this probability is dropped
WISH_MIN_RELATIVE = 0.3  # ... and one below this share of the best reading (noise beside it)
EXPERIENCE_MIN_SCORE = 0.3  # an experience title is linked to its best métier above this
GAP_MIN_WEIGHT = 0.5  # targets whose core skills make the skill gap (and name the query)
QUERY_EXPERIENCES = 5  # experience titles added to the dense query
QUERY_WISH_WORDS = 64  # words of the wish in the dense query (about 90 tokens at most)


class ProfileView:
    """Skills, target métiers, skill gap and query texts of one profile."""

    def __init__(
        self,
        profile: BeneficiaryProfile,
        taxonomy: Taxonomy,
        linker: OccupationLinker | None = None,
        coder: AdCoder | None = None,
    ) -> None:
        self.profile = profile
        self.taxonomy = taxonomy
        self.linker = linker
        self.coder = coder
        self._prepared = False
        self._query_vectors: dict[str, np.ndarray] = {}

    @classmethod
    def of(cls, profile: BeneficiaryProfile, catalogue: OpportunityCatalogue) -> ProfileView:
        """The view of ``profile`` with the catalogue's taxonomy, title linker and ad coder."""
        return cls(profile, catalogue.taxonomy, catalogue.linker, catalogue.coder)

    @cached_property
    def skills(self) -> frozenset[str]:
        """Skill ids the person has."""
        return frozenset(s.id for s in self.profile.skills)

    @property
    def _coded_project(self) -> bool:
        """Whether the coach gave the project's métiers as codes (ROME or ESCO)."""
        a = self.profile.aspirations
        return bool(a.target_rome_codes or a.target_esco_uris)

    @cached_property
    def target_weights(self) -> dict[str, float]:
        """Aspired ROME métiers and how sure the project names each (0-1), best first: the
        given codes, the ESCO occupations given, then the trades linked from the wish."""
        weights: dict[str, float] = {}
        for code in self.profile.aspirations.target_rome_codes:
            weights[code] = TARGET
        for uri in self.profile.aspirations.target_esco_uris:
            for code, score in self.taxonomy.metiers_for_esco(uri)[:1]:
                if score >= LINK_MIN_SCORE:
                    weights.setdefault(code, TARGET)
        if self._coded_project:
            # the coach coded the project: the wish's words add the trades the title linker
            # reads in them, as they always have (relative to the best link)
            links = self._title_links[0]
            top = links[0].score if links else 0.0
            for m in links[:WISH_LINKS]:
                if m.score >= WISH_MIN_SCORE and m.score >= WISH_MIN_RELATIVE * top:
                    weights.setdefault(m.concept, round(m.score / top, 4))
        else:
            readings = self.wish_readings[:WISH_LINKS]
            best = readings[0][1] if readings else 0.0
            for code, probability in readings:
                if probability >= max(WISH_MIN_SCORE, WISH_MIN_RELATIVE * best):
                    weights.setdefault(code, round(probability, 4))
        known = {c: w for c, w in weights.items() if c in self.taxonomy.metiers}
        return dict(sorted(known.items(), key=lambda kv: (-kv[1], kv[0])))

    @cached_property
    def targets(self) -> list[str]:
        """Aspired ROME métiers, surest first."""
        return list(self.target_weights)

    @cached_property
    def experienced(self) -> set[str]:
        """ROME métiers of the person's experiences (given, or linked from the title)."""
        codes = {e.rome_code for e in self.profile.experiences if e.rome_code}
        if self.linker is not None:
            for found in self._title_links[1:]:
                if found and found[0].score >= EXPERIENCE_MIN_SCORE:
                    codes.add(found[0].concept)
        return codes

    @cached_property
    def wish_readings(self) -> list[tuple[str, float]]:
        """The métiers the wish may mean, most probable first, with calibrated probabilities
        (:mod:`matching.wish_reading`: the title linker, the ad coder, the activities named
        and, for a vague wish, the person's skills and past jobs choosing among what it may
        mean). The total never exceeds 1; without an ad coder, the title linker's links."""
        text = self.profile.aspirations.text.strip()
        if not text or (self.linker is None and self.coder is None):
            return []
        links = self.wish_links
        if self.coder is None:
            return [(m.concept, m.score) for m in links if m.concept in self.taxonomy.metiers]
        return read_wish(text, links, self.coder, self.person_file)

    @property
    def wish_links(self) -> list[ConceptMatch]:
        """The title linker's métiers for the wish's clauses (empty without a linker)."""
        return self._title_links[0]

    @property
    def person_file(self) -> PersonFile:
        """What of the person's file speaks for a reading of the wish."""
        return PersonFile(self.skills, frozenset(self.experienced))

    @cached_property
    def _title_links(self) -> list[list[ConceptMatch]]:
        """The wish's métiers, then those of each experience title without a code: linked
        together, one encoder pass for all (empty without a linker)."""
        if self.linker is None:
            return [[]]
        if self.linker.encoder is not None:
            self.prepare(self.linker.encoder)
        wish_top = WISH_LINKS if self._coded_project else CANDIDATES
        texts = [(self.profile.aspirations.text, wish_top)]
        texts += [(e.title, 1) for e in self.profile.experiences if not e.rome_code]
        return self.linker.metiers_many(texts)

    @cached_property
    def gap(self) -> frozenset[str]:
        """Core skills of the surest aspired métiers that the person lacks."""
        core: set[str] = set()
        for code, weight in self.target_weights.items():
            if weight >= GAP_MIN_WEIGHT:
                core.update(self.taxonomy.core_skills(code))
        return frozenset(core - self.skills)

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to match on."""
        p = self.profile
        return not (p.skills or p.experiences or p.aspirations.text.strip() or self.targets)

    @cached_property
    def _experience_segments(self) -> list[str]:
        """The first experience titles as the title linker reads them (lead-ins removed)."""
        return [
            s for e in self.profile.experiences[:QUERY_EXPERIENCES] for s in wish_segments(e.title)
        ]

    @cached_property
    def _wish_query(self) -> str:
        """The wish as written, its first :data:`QUERY_WISH_WORDS` words (the dense query's
        part: measured better than its clauses without lead-in on the vague wishes)."""
        return " ".join(self.profile.aspirations.text.split()[:QUERY_WISH_WORDS])

    @cached_property
    def _skills_text(self) -> str:
        """The dense query of a person with skills only (no wish, no experience)."""
        return ", ".join(self.taxonomy.skill_label(s) for s in sorted(self.skills)[:10])

    @cached_property
    def encoded_texts(self) -> list[str]:
        """Every text of the person the engine embeds, known before any linking: the wish (the
        dense query's), its clauses and the experience titles (the title linker's), the
        uncoded wish as the ad coder reads it, or the skills' labels for a person with only skills.
        They go through the encoder in one pass (:meth:`prepare`); batch preparations embed
        them for many people at once."""
        wish = self.profile.aspirations.text
        texts = [self._wish_query, *wish_segments(wish), *self._experience_segments]
        texts += [
            s for e in self.profile.experiences if not e.rome_code for s in wish_segments(e.title)
        ]
        if wish.strip() and not self._coded_project:
            texts += dense_texts([self._wish_ad])
        if not texts and self.skills:
            texts.append(self._skills_text)
        return list(dict.fromkeys(t for t in texts if t))

    @property
    def _wish_ad(self) -> Ad:
        """The wish as the ad coder reads it (a title without lead-in, the whole text)."""
        return wish_ad(self.profile.aspirations.text)

    def prepare(self, encoder: Encoder) -> None:
        """Embed :attr:`encoded_texts` in one encoder pass and keep them in memory: the
        linker, the ad coder and the dense query then read them without encoding again."""
        if not self._prepared:
            encoder.encode_queries_cached(self.encoded_texts, remember=True)
            self._prepared = True

    @cached_property
    def query_parts(self) -> list[str]:
        """The texts whose embeddings make the dense query: the wish as written, the labels of
        the surest target métiers and the first experience titles (or the skills' labels)."""
        tax = self.taxonomy
        parts = [self._wish_query]
        parts += [
            tax.metiers[c].label for c, w in self.target_weights.items() if w >= GAP_MIN_WEIGHT
        ]
        parts += self._experience_segments
        return [p for p in parts if p] or ([self._skills_text] if self.skills else [])

    @cached_property
    def lexical_query(self) -> str:
        """The BM25 query: the dense query's texts plus the person's skill labels."""
        skills = " ".join(self.taxonomy.skill_label(s) for s in sorted(self.skills)[:15])
        return f"{'. '.join(self.query_parts)} {skills}"

    def query_vector(self, encoder: Encoder) -> np.ndarray:
        """The profile's embedding: its :attr:`query_parts`' embeddings averaged by their
        words, as mean pooling reads a text joining them (measured on the external shortlist
        suites against encoding that joined text: docs/decisions.md). The parts come from one
        encoder pass (:meth:`prepare`) and the linker's label vectors, and the result is kept
        for the view's next reads."""
        hit = self._query_vectors.get(encoder.version)
        if hit is not None:
            return hit
        parts = self.query_parts
        known: dict[str, np.ndarray] = {}
        linker = self.linker
        if linker is not None and getattr(linker.encoder, "version", None) == encoder.version:
            for text in parts:
                v = linker.label_vector(text)
                if v is not None:
                    known[text] = v
        self.prepare(encoder)
        todo = [t for t in parts if t not in known]
        if todo:
            known.update(zip(todo, encoder.encode_queries_cached(todo, remember=True), strict=True))
        if not parts:
            vector = np.zeros(encoder.dim, dtype=np.float32)
        else:
            words = np.asarray([max(1, len(t.split())) for t in parts], dtype=np.float32)
            summed = words @ np.stack([known[t] for t in parts]).astype(np.float32)
            vector = (summed / max(float(np.linalg.norm(summed)), 1e-12)).astype(np.float32)
        vector.setflags(write=False)
        self._query_vectors[encoder.version] = vector
        return vector

    @cached_property
    def _neighbours(self) -> dict[str, float]:
        scores: dict[str, float] = {}
        for target, weight in self.target_weights.items():
            for code in self.taxonomy.mobilities(target):
                scores[code] = max(scores.get(code, 0.0), NEIGHBOUR * weight)
        for code in self.experienced:
            scores[code] = max(scores.get(code, 0.0), EXPERIENCED)
        for target, weight in self.target_weights.items():
            scores[target] = max(scores.get(target, 0.0), TARGET * weight)
        return scores

    def aspiration_score(self, code: str) -> float:
        """How well a ROME métier matches the person's project (0 to 1)."""
        if not code:
            return 0.0
        family = max(
            (NEIGHBOUR * w for t, w in self.target_weights.items() if code[:3] == t[:3]),
            default=0.0,
        )
        return max(self._neighbours.get(code, 0.0), family)

    def aspiration_scores(self, codes: list[str], inverse: np.ndarray) -> np.ndarray:
        """:meth:`aspiration_score` per opportunity, from distinct ``codes`` and each one's number."""
        values = np.array([self.aspiration_score(c) for c in codes], dtype=np.float32)
        return values[inverse] if len(values) else np.zeros(len(inverse), dtype=np.float32)

    def project_relations(self, codes: list[str], inverse: np.ndarray) -> np.ndarray:
        """Per opportunity (through distinct ``codes``): 4 columns — how surely its métier is a
        target, a ROME mobility of a target, already exercised (0/1), in a target's domain
        (same first letter of the ROME code: e.g. K, services to people)."""
        weights = self.target_weights
        mobility: dict[str, float] = {}
        domains: dict[str, float] = {}
        for t, w in weights.items():
            for m in self.taxonomy.mobilities(t):
                mobility[m] = max(mobility.get(m, 0.0), w)
            domains[t[:1]] = max(domains.get(t[:1], 0.0), w)
        rows = np.array(
            [
                [
                    weights.get(c, 0.0),
                    mobility.get(c, 0.0),
                    c in self.experienced,
                    domains.get(c[:1], 0.0) if c else 0.0,
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


def prepare_views(views: Sequence[ProfileView], encoder: Encoder, cache: EmbeddingCache) -> None:
    """Embed the :attr:`ProfileView.encoded_texts` of many people through the persistent
    cache, in batches, and keep them in memory: their shortlists then encode nothing."""
    texts = list(dict.fromkeys(t for v in views for t in v.encoded_texts))
    if texts:
        encoder.remember_queries(texts, cache.embed(encoder, texts, "query"))

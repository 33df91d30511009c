"""Link free-text job titles to the concepts of a taxonomy: lookup first, then a learnt blend.

A :class:`TitleLinker` knows a taxonomy's own labels — ESCO occupations with their preferred
and alternative labels, or ROME métiers with their appellations — and curated *mappings* from
other vocabularies onto its concepts (the official ROME → ESCO crosswalk, the Belgian title
list). It ranks concepts for a query in two stages:

1. **Lookup.** The query's keys (every gender form normalised, and the bag of its folded
   words: "Agente de collecte des déchets (h/f/x)" and "agent collecte déchet" share one) are
   looked up among the mappings and the own labels. A mapping hit is an official answer and
   comes first; own-label hits come next.
2. **Learnt blend.** Candidates from every channel over the own labels — character n-gram
   TF-IDF, BM25 on folded words, dense cosine (the sentence encoder) — plus the lookup hits and
   a *sibling expansion* through another taxonomy's structure get the features of
   :data:`LINK_FEATURES`; a conditional logit fitted on concept-disjoint development splits
   (``training/linker.py``) turns them into the probability that the concept is the answer.

Mappings act only through lookup: the blend is fitted with a test concept's (or a dev fold's)
mappings hidden, where similarity to mapped titles points *away* from the answer — a model
reading it would learn the opposite of what it means in service. A title withheld as new is
withheld everywhere (its labels and its lookup keys, for every concept), so own-label lookup
hits keep their service meaning in the fitted data and are features as well as a rule.
Evaluations withhold what they test with a per-query :class:`LinkMask`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from matching.lexical import BM25, CharTfidf
from tremplin.text import gender_variants, normalize, search_terms

LabelSource = Literal["preferred", "alternative", "appellation", "metier", "crosswalk", "synonym"]
MAIN_SOURCES = frozenset({"preferred", "metier"})  # a concept's own name
# What a lookup hit weighs, by where it comes from; within each, the title as written
# (normalised) weighs one more than its bag of folded words ("chauffeur CE" and "chauffeur D"
# share the bag "chauffeur": "ce" and "d" are stop words). A local usage (the Belgian list)
# always wins: in Belgium "puéricultrice" is crèche staff, whatever ROME files.
LookupLevels = Mapping[str, int]  # "own", "crosswalk", "synonym" -> level (even, >= 2)
# ESCO: a ROME appellation's official link beats an ESCO label that happens to be equal
CROSSWALK_FIRST: LookupLevels = {"own": 2, "crosswalk": 4, "synonym": 6}
# ROME: a métier's own title beats an ESCO label the crosswalk reaches through another
# métier's appellation (broad matches make those loose)
OWN_FIRST: LookupLevels = {"crosswalk": 2, "own": 4, "synonym": 6}
CHANNEL_DEPTH = 25  # candidates taken from each channel
EXPANSION_DEPTH = 10  # candidates taken from the sibling expansion
MAPPED_CONFIDENCE = 0.95  # the least score of an official answer (crosswalk, Belgian list)

LINK_FEATURES: tuple[str, ...] = (
    "char",  # best character n-gram cosine among the concept's labels
    "bm25",  # best BM25 among its labels, over the query's best BM25
    "dense",  # best embedding cosine among its labels (0 without an encoder)
    "char_gap",  # char minus the best char among the candidates
    "dense_gap",  # dense minus the best dense among the candidates
    "exact",  # found by lookup among its own labels
    "exact_main",  # ... by its main label (ESCO preferred label, ROME métier label)
    "exact_share",  # 1 / number of concepts found by lookup (0 when it is not one of them)
    "sibling",  # log(1 + sibling-expansion votes)
    "rank_char",  # 1 / rank among the candidates by char
    "rank_bm25",
    "rank_dense",
    "labels",  # log(1 + the concept's number of labels)
    "char_support",  # log(1 + its labels within 0.1 of the query's best char)
    "dense_support",  # log(1 + its labels within 0.03 of the query's best dense)
    "short_dense",  # dense / the query's number of words (short titles lean on the encoder)
    "short_char",  # char / the query's number of words
)
SUPPORT_MARGIN = {"char": 0.1, "dense": 0.03}


def title_keys(text: str) -> frozenset[str]:
    """Lookup keys of a title: each gender form normalised, and its sorted folded words."""
    keys: set[str] = set()
    for form in gender_variants(text):
        norm = normalize(form)
        if norm:
            keys.add(norm)
            folded = " ".join(sorted(set(search_terms(form))))
            if folded:
                keys.add("~" + folded)
    return frozenset(keys)


@dataclass(frozen=True, slots=True)
class LabelRow:
    """One label (or mapped title) of one concept, and where it comes from.

    ``written`` is the label as the source writes it when the row is one of its forms
    ("Conducteur / Conductrice de bus" for the row "Conductrice de bus"): the forms of one
    label share its embedding, so the encoder reads each source label once.
    """

    concept: str
    label: str
    source: LabelSource
    written: str = ""

    @property
    def vector_text(self) -> str:
        """The text this row's embedding is computed from."""
        return self.written or self.label


@dataclass(frozen=True)
class LinkMask:
    """Knowledge withheld from one query (evaluations only; production masks nothing).

    ``concepts``: the mappings (crosswalk, synonyms) onto these concepts are ignored;
    ``labels``: these (concept, normalised label) own labels are ignored;
    ``mapped_labels``: these (concept, normalised title) mappings are ignored;
    ``keys``: these lookup keys find nothing (a title withheld as new is new everywhere);
    ``no_mappings``: every mapping is ignored (the taxonomy's own labels only).
    """

    concepts: frozenset[str] = frozenset()
    labels: frozenset[tuple[str, str]] = frozenset()
    mapped_labels: frozenset[tuple[str, str]] = frozenset()
    keys: frozenset[str] = frozenset()
    no_mappings: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.concepts or self.labels or self.mapped_labels or self.keys or self.no_mappings
        )


NO_MASK = LinkMask()


class LinkModel(BaseModel):
    """A conditional logit over standardised :data:`LINK_FEATURES` (JSON, shipped and logged):
    a query's candidates compete, and the softmax of their scores is the probability that each
    is the answer."""

    features: list[str] = Field(default_factory=lambda: list(LINK_FEATURES))
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    fitted_on: str = Field(default="", description="What the model was fitted on.")
    encoder_version: str | None = None

    def logits(self, x: np.ndarray) -> np.ndarray:
        """The model's scores for rows of features (a softmax over a query's candidates)."""
        z = (x - np.asarray(self.mean, dtype=np.float32)) / np.asarray(self.scale, dtype=np.float32)
        return np.asarray(z @ np.asarray(self.coef, dtype=np.float32) + self.intercept)

    @classmethod
    def untrained(cls) -> LinkModel:
        """The documented fallback: a hand-set blend (dense 0.55, char 0.30, BM25 0.15, scaled
        by 8 for the softmax), used only when no fitted model is available."""
        weights = dict.fromkeys(LINK_FEATURES, 0.0)
        weights.update(dense=0.55 * 8, char=0.30 * 8, bm25=0.15 * 8)
        return cls(
            mean=[0.0] * len(LINK_FEATURES),
            scale=[1.0] * len(LINK_FEATURES),
            coef=[weights[f] for f in LINK_FEATURES],
            intercept=0.0,
            fitted_on="untrained fallback (hand-set weights)",
        )

    def save(self, path: Path) -> None:
        """Write the model as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LinkModel:
        """Read a model written by :meth:`save`."""
        return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))


class ConceptMatch(BaseModel):
    """A concept proposed for a query, with the model's probability that it is right."""

    concept: str
    label: str
    score: float = Field(description="Probability (0-1) that this is the right concept.")
    exact: bool = Field(default=False, description="Found by lookup of the title itself.")
    mapped: bool = Field(
        default=False, description="Found through the official crosswalk or the Belgian list."
    )


@dataclass
class Candidates:
    """The candidate concepts of one query and their features (aligned arrays)."""

    concepts: np.ndarray  # concept numbers
    features: np.ndarray  # len(concepts) x len(LINK_FEATURES)
    level: np.ndarray  # lookup level: 0 none, else the linker's level (+1 as written)
    mapped: np.ndarray  # bool: the hit that counts comes from a mapping (an official answer)

    @property
    def exact(self) -> np.ndarray:
        """Found by lookup (own label or mapping)."""
        return np.asarray(self.level > 0)

    def first(self) -> np.ndarray:
        """Rank before the rest, highest first: the lookup level."""
        return self.level


Expansion = Callable[[frozenset[str], LinkMask], Mapping[str, float]]


@dataclass
class SiblingExpansion:
    """Votes for concepts reached through a second taxonomy's structure.

    A query's keys find groups of the second taxonomy (e.g. the ROME métier of an appellation);
    every *other* title of those groups is looked up among the target's labels, and each
    concept found gets a vote. ROME files "Éboueur" beside "Agent de collecte de déchets", and
    "éboueur" is an ESCO label: the expansion proposes that occupation for the second title.
    """

    group_of_key: Mapping[str, frozenset[str]]
    keys_of_group: Mapping[str, Sequence[frozenset[str]]]
    linker_keys: Callable[[frozenset[str], LinkMask], set[str]] = field(repr=False)

    def __call__(self, keys: frozenset[str], mask: LinkMask) -> Counter[str]:
        """Votes per concept for a query with ``keys``."""
        groups: set[str] = set()
        for key in keys:
            groups |= self.group_of_key.get(key, frozenset())
        votes: Counter[str] = Counter()
        for group in sorted(groups):
            for member in self.keys_of_group.get(group, ()):
                if member & keys:
                    continue  # the query itself: that is the lookup, not a sibling
                for concept in self.linker_keys(member, mask):
                    votes[concept] += 1
        return votes


class TitleLinker:
    """Ranks a taxonomy's concepts for free-text titles (see the module docstring)."""

    def __init__(
        self,
        rows: Sequence[LabelRow],
        mappings: Sequence[LabelRow],
        concept_label: Callable[[str], str],
        vectors: np.ndarray | None = None,
        encode_query: Callable[[Sequence[str]], np.ndarray] | None = None,
        model: LinkModel | None = None,
        levels: LookupLevels | None = None,
    ) -> None:
        if not rows:
            raise ValueError("a title linker needs labels")
        self.rows = list(rows)
        known = {r.concept for r in rows}
        self.mappings = [m for m in mappings if m.concept in known]
        self.concept_label = concept_label
        self.concepts = sorted({r.concept for r in self.rows})
        self.number = {c: i for i, c in enumerate(self.concepts)}
        self.owner = np.asarray([self.number[r.concept] for r in self.rows], dtype=np.int64)
        self.label_count = np.bincount(self.owner, minlength=len(self.concepts))
        self._rows_of: dict[tuple[str, str], list[int]] = defaultdict(list)
        for p, r in enumerate(self.rows):
            self._rows_of[(r.concept, normalize(r.label))].append(p)
        self._own_keys = self._key_index(self.rows)
        self._mapped_keys = self._key_index(self.mappings)
        self.levels = dict(levels or CROSSWALK_FIRST)
        self._mapped_level: dict[tuple[str, str], int] = {}
        for m in self.mappings:
            key = (m.concept, normalize(m.label))
            level = self.levels[m.source]
            self._mapped_level[key] = max(self._mapped_level.get(key, 0), level)
        own = self.levels["own"]
        self.mapping_levels = frozenset(
            v + i for k, v in self.levels.items() if k != "own" for i in (0, 1)
        ) - {own, own + 1}
        self._main_keys = self._key_index([r for r in self.rows if r.source in MAIN_SOURCES])
        self.char = CharTfidf([r.label for r in self.rows])
        self.bm25 = BM25([r.label for r in self.rows], k1=1.2, b=0.3)
        if vectors is not None and len(vectors) != len(self.rows):
            raise ValueError("one vector per label row is needed")
        self.vectors = vectors
        self._row_of_text: dict[str, int] = {}
        for p, r in enumerate(self.rows):
            self._row_of_text.setdefault(r.vector_text, p)
        self.encode_query = encode_query if vectors is not None else None
        self.model = model or LinkModel.untrained()
        self.expansion: Expansion | None = None

    @staticmethod
    def _key_index(rows: Sequence[LabelRow]) -> dict[str, list[tuple[str, str]]]:
        """key -> [(concept, normalised label)] of the rows holding it."""
        index: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for r in rows:
            norm = normalize(r.label)
            for key in title_keys(r.label):
                index[key].append((r.concept, norm))
        return index

    @property
    def has_dense(self) -> bool:
        """Whether the dense channel is available."""
        return self.vectors is not None and self.encode_query is not None

    # --- lookup ----------------------------------------------------------------------
    def lookup(self, keys: Iterable[str], mask: LinkMask = NO_MASK) -> dict[str, int]:
        """Concepts found by lookup of ``keys`` -> the highest level that found each (the
        linker's ``levels``, +1 when the title itself, not only its folded words, matched)."""
        found: dict[str, int] = {}
        for key in keys:
            if key in mask.keys:
                continue
            written = 0 if key.startswith("~") else 1
            for concept, norm in self._own_keys.get(key, ()):
                if (concept, norm) not in mask.labels:
                    found[concept] = max(found.get(concept, 0), self.levels["own"] + written)
            if mask.no_mappings:
                continue
            for concept, norm in self._mapped_keys.get(key, ()):
                if concept not in mask.concepts and (concept, norm) not in mask.mapped_labels:
                    level = self._mapped_level[(concept, norm)] + written
                    found[concept] = max(found.get(concept, 0), level)
        return found

    def lookup_concepts(self, keys: frozenset[str], mask: LinkMask = NO_MASK) -> set[str]:
        """The concepts found by lookup for ``keys`` (used by sibling expansions)."""
        return set(self.lookup(keys, mask))

    # --- ranking ---------------------------------------------------------------------
    def _hidden_rows(self, mask: LinkMask) -> np.ndarray:
        rows = [p for held in mask.labels for p in self._rows_of.get(held, ())]
        return np.asarray(rows, dtype=np.int64)

    def _per_concept(self, label_scores: np.ndarray) -> np.ndarray:
        best = np.full(len(self.concepts), -1.0, dtype=np.float32)
        np.maximum.at(best, self.owner, label_scores)
        return best

    def candidates(
        self, query: str, vector: np.ndarray | None, mask: LinkMask = NO_MASK
    ) -> Candidates:
        """The candidate concepts of ``query`` with their features."""
        keys = title_keys(query)
        char = self.char.scores(query)
        bm = self.bm25.scores(query)
        dense = (
            self.vectors @ vector
            if self.vectors is not None and vector is not None
            else np.zeros(len(self.rows), dtype=np.float32)
        )
        hidden = self._hidden_rows(mask)
        if len(hidden):
            for arr in (char, bm, dense):
                arr[hidden] = -1.0
        top_bm = float(bm.max()) if len(bm) else 0.0
        bm = bm / top_bm if top_bm > 0 else np.maximum(bm, 0.0)
        per = {"char": self._per_concept(char), "bm25": self._per_concept(bm)}
        per["dense"] = self._per_concept(dense)
        found = self.lookup(keys, mask)
        votes = self.expansion(keys, mask) if self.expansion is not None else {}
        pool: set[int] = {self.number[c] for c in found}
        for name, arr in per.items():
            if name == "dense" and not self.has_dense:
                continue
            k = min(CHANNEL_DEPTH, len(arr))
            pool.update(np.argpartition(-arr, k - 1)[:k].tolist())
        ranked_votes = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[:EXPANSION_DEPTH]
        pool.update(self.number[c] for c, _ in ranked_votes if c in self.number)
        concepts = np.asarray(sorted(pool), dtype=np.int64)
        n = len(concepts)
        columns: dict[str, np.ndarray] = {}
        for name, arr in per.items():
            values = np.maximum(arr[concepts], 0.0)
            columns[name] = values
            order = np.argsort(-values, kind="stable")
            ranks = np.empty(n, dtype=np.float32)
            ranks[order] = np.arange(1, n + 1)
            columns[f"rank_{name}"] = 1.0 / ranks
        columns["char_gap"] = columns["char"] - (columns["char"].max() if n else 0.0)
        columns["dense_gap"] = columns["dense"] - (columns["dense"].max() if n else 0.0)
        names = [self.concepts[c] for c in concepts]
        exact = np.asarray([c in found for c in names], dtype=bool)
        main = {
            concept
            for key in keys
            if key not in mask.keys
            for concept, norm in self._main_keys.get(key, ())
            if (concept, norm) not in mask.labels
        }
        columns["exact"] = exact.astype(np.float32)
        columns["exact_main"] = np.asarray([c in main for c in names], dtype=np.float32)
        columns["exact_share"] = exact / max(len(found), 1)
        words = max(1, len(search_terms(query)))
        columns["short_dense"] = columns["dense"] / words
        columns["short_char"] = columns["char"] / words
        columns["sibling"] = np.log1p(
            np.asarray([votes.get(c, 0.0) for c in names], dtype=np.float32)
        )
        columns["labels"] = np.log1p(self.label_count[concepts].astype(np.float32))
        for name, arr in (("char", char), ("dense", dense)):
            near = arr >= float(arr.max()) - SUPPORT_MARGIN[name] if len(arr) else arr > 0
            support = np.bincount(self.owner[near], minlength=len(self.concepts))
            columns[f"{name}_support"] = np.log1p(support[concepts].astype(np.float32))
        return Candidates(
            concepts=concepts,
            features=np.column_stack(
                [np.asarray(columns[f], dtype=np.float32) for f in LINK_FEATURES]
            ),
            level=np.asarray([found.get(c, 0) for c in names], dtype=np.int64),
            mapped=np.asarray([found.get(c, 0) in self.mapping_levels for c in names], dtype=bool),
        )

    def rank(self, found: Candidates, top: int) -> list[ConceptMatch]:
        """The ``top`` best candidates: mapping hits, then own-label hits, then the rest, each
        group ordered by the model.

        Scores are the model's probabilities, except that a lookup hit is given at least the
        best probability of what it is ranked above — and a mapping hit leading the list, an
        official answer, at least :data:`MAPPED_CONFIDENCE` — so scores never rise down the
        list.
        """
        if not len(found.concepts):
            return []
        logits = self.model.logits(found.features).astype(np.float64)
        probability = np.exp(logits - logits.max())
        probability /= probability.sum()
        first = found.first()
        order = np.lexsort((found.concepts, -logits, -first))
        shown = probability[order].copy()
        groups = first[order]
        levels = sorted({int(g) for g in groups if g > 0})
        for group in levels:
            below = groups < group
            floor = float(shown[below].max()) if below.any() else 0.0
            if group == levels[-1] and group in self.mapping_levels:
                floor = max(floor, MAPPED_CONFIDENCE)  # the official answer leads
            shown[groups == group] = np.maximum(shown[groups == group], floor)
        out = []
        for i, score in zip(order[: max(top, 0)], shown, strict=False):
            concept = self.concepts[int(found.concepts[i])]
            out.append(
                ConceptMatch(
                    concept=concept,
                    label=self.concept_label(concept),
                    score=round(float(score), 4),
                    exact=bool(found.exact[i]),
                    mapped=bool(found.mapped[i]),
                )
            )
        return out

    def text_vector(self, text: str) -> np.ndarray | None:
        """The embedding of the label rows written ``text`` (None without one, or without
        vectors): a métier's label read by a dense query without an encoder pass."""
        if self.vectors is None:
            return None
        row = self._row_of_text.get(text)
        return None if row is None else np.asarray(self.vectors[row])

    def query_vectors(self, queries: Sequence[str]) -> list[np.ndarray | None]:
        """Embeddings of the queries (None each without an encoder)."""
        if self.encode_query is None or not queries:
            return [None] * len(queries)
        return list(self.encode_query(list(queries)))

    def link_many(
        self,
        queries: Sequence[str],
        top: int = 5,
        masks: Sequence[LinkMask] | None = None,
    ) -> list[list[ConceptMatch]]:
        """The best concepts for each query, in order (an empty query gets none)."""
        vectors = iter(self.query_vectors([q for q in queries if normalize(q)]))
        out: list[list[ConceptMatch]] = []
        for i, query in enumerate(queries):
            if not normalize(query):
                out.append([])
                continue
            mask = masks[i] if masks is not None else NO_MASK
            out.append(self.rank(self.candidates(query, next(vectors), mask), top))
        return out

    def link(self, query: str, top: int = 5, mask: LinkMask = NO_MASK) -> list[ConceptMatch]:
        """The best concepts for one query."""
        return self.link_many([query], top, [mask])[0]

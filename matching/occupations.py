"""Link free-text job titles and aspirations to ESCO occupations (hybrid lexical + dense).

Each ESCO occupation is represented by all its French labels: the preferred label split into
its masculine and feminine forms, the alternative labels, and the real job titles of ROME
appellations whose métier the crosswalk links to it confidently. A query is compared with
every label through three channels — character n-gram TF-IDF (robust to typos and gender
forms), BM25 on folded words, and multilingual-e5 embeddings (the "query: " prompt on both
sides, as e5 recommends for symmetric similarity) — and an occupation scores as its best label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
from pydantic import BaseModel, Field

from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder
from matching.lexical import BM25, CharTfidf
from tremplin.taxonomy import Taxonomy, load_taxonomy
from tremplin.text import gender_variants, normalize

APPELLATION_WEIGHT = 0.95  # ROME titles reach ESCO through the crosswalk: slightly less sure
APPELLATION_MIN_LINK = 0.9
_WISH = re.compile(
    r"^\s*(?:je\s+)?(?:voudrais|veux|souhaite|aimerais|cherche|recherche)\s+"
    r"(?:(?:un\s+)?(?:travail|emploi|job|poste)\s+)?(?:travailler\s+|devenir\s+|être\s+|faire\s+)?"
    r"(?:comme|en\s+tant\s+que|dans\s+(?:les?|la|l'|le\s+secteur\s+de(?:s|\s+la)?)|en|de)?\s*",
    re.IGNORECASE,
)


class LinkWeights(BaseModel):
    """How the three channels are fused (tuned on held-out ESCO labels; see docs/matching.md)."""

    dense: float = Field(default=0.55, ge=0)
    char: float = Field(default=0.30, ge=0)
    bm25: float = Field(default=0.15, ge=0)


class OccupationMatch(BaseModel):
    """An ESCO occupation proposed for a title."""

    uri: str
    label: str
    score: float


class LinkResult(BaseModel):
    """The occupations proposed for one query, best first."""

    query: str
    results: list[OccupationMatch]


def clean_query(text: str) -> str:
    """Drop the "je voudrais travailler dans ..." lead-in of a wish, keep the substance."""
    stripped = _WISH.sub("", text).strip()
    return stripped or text.strip()


def occupation_labels(
    taxonomy: Taxonomy, exclude: set[tuple[str, str]] | None = None
) -> list[tuple[str, str, float]]:
    """(uri, label, weight) for every French label of every ESCO occupation."""
    exclude = exclude or set()
    out: list[tuple[str, str, float]] = []
    seen: set[tuple[str, str]] = set()

    def add(uri: str, label: str, weight: float) -> None:
        key = (uri, normalize(label))
        if key[1] and key not in seen and (uri, label) not in exclude:
            seen.add(key)
            out.append((uri, label, weight))

    for uri in sorted(taxonomy.esco_occupations):
        occ = taxonomy.esco_occupations[uri]
        for form in gender_variants(occ.label):
            add(uri, form, 1.0)
        for alt in occ.alt_labels:
            add(uri, alt, 1.0)
    for code in sorted(taxonomy.metiers):
        links = taxonomy.esco_for_metier(code)
        if not links or links[0][1] < APPELLATION_MIN_LINK:
            continue
        uri = links[0][0]
        for app in taxonomy.appellations_of(code):
            for form in gender_variants(app.label):
                add(uri, form, APPELLATION_WEIGHT)
    return out


class OccupationLinker:
    """Ranks ESCO occupations for free-text titles."""

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        encoder: Encoder | None = None,
        cache: EmbeddingCache | None = None,
        exclude: set[tuple[str, str]] | None = None,
        weights: LinkWeights | None = None,
        progress: bool = False,
    ) -> None:
        self.taxonomy = taxonomy or load_taxonomy()
        self.weights = weights or LinkWeights()
        rows = occupation_labels(self.taxonomy, exclude)
        self.uris = sorted({uri for uri, _, _ in rows})
        number = {u: i for i, u in enumerate(self.uris)}
        self.labels = [label for _, label, _ in rows]
        self.owner = np.asarray([number[u] for u, _, _ in rows], dtype=np.int64)
        self.label_weight = np.asarray([w for _, _, w in rows], dtype=np.float32)
        self.char = CharTfidf(self.labels)
        self.bm25 = BM25(self.labels, k1=1.2, b=0.3)
        self.encoder = encoder
        self.vectors: np.ndarray | None = None
        if encoder is not None:
            if cache is None:
                raise ValueError("a dense occupation linker needs an embedding cache")
            self.vectors = cache.embed(encoder, self.labels, "query", progress=progress)

    def channel_scores(self, query: str, vector: np.ndarray | None) -> dict[str, np.ndarray]:
        """Per-label scores of each channel (for evaluation and fusion)."""
        text = clean_query(query)
        bm = self.bm25.scores(text)
        top = float(bm.max()) if len(bm) else 0.0
        out = {"char": self.char.scores(text), "bm25": bm / top if top > 0 else bm}
        if vector is not None and self.vectors is not None:
            out["dense"] = self.vectors @ vector
        return out

    def _occupation_scores(self, label_scores: np.ndarray) -> np.ndarray:
        best = np.full(len(self.uris), -np.inf, dtype=np.float32)
        np.maximum.at(best, self.owner, label_scores * self.label_weight)
        return best

    def rank(self, label_scores: np.ndarray, top: int) -> list[OccupationMatch]:
        """The ``top`` distinct occupations for per-label scores."""
        per_occ = self._occupation_scores(label_scores)
        k = min(top, len(per_occ))
        if k <= 0:
            return []
        best = np.argpartition(-per_occ, k - 1)[:k]
        best = best[np.lexsort((best, -per_occ[best]))]
        return [
            OccupationMatch(
                uri=self.uris[i],
                label=gender_variants(self.taxonomy.esco_occupations[self.uris[i]].label)[0],
                score=round(float(max(per_occ[i], 0.0)), 4),
            )
            for i in best
        ]

    def fused(self, channels: dict[str, np.ndarray]) -> np.ndarray:
        """The weighted fusion of the channels that are present."""
        w = self.weights
        parts = {"dense": w.dense, "char": w.char, "bm25": w.bm25}
        total = sum(parts[k] for k in channels)
        return sum(parts[k] / total * v for k, v in channels.items())  # type: ignore[return-value]

    def query_vectors(self, queries: Sequence[str]) -> list[np.ndarray | None]:
        """Embeddings of cleaned queries (None for each when there is no encoder)."""
        if self.encoder is None:
            return [None] * len(queries)
        vectors = self.encoder.encode_queries([clean_query(q) for q in queries])
        return list(vectors)

    def link_many(self, queries: Iterable[str], top: int = 5) -> list[LinkResult]:
        """Occupations for each query, in order."""
        items = list(queries)
        out = []
        for query, vector in zip(items, self.query_vectors(items), strict=True):
            if not normalize(query):
                out.append(LinkResult(query=query, results=[]))
                continue
            out.append(
                LinkResult(
                    query=query,
                    results=self.rank(self.fused(self.channel_scores(query, vector)), top),
                )
            )
        return out

    def link(self, query: str, top: int = 5) -> list[OccupationMatch]:
        """Occupations for one title, best first."""
        return self.link_many([query], top)[0].results

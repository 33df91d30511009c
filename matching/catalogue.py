"""The opportunity catalogue: every per-opportunity fact the shortlist reads, built once.

It holds the hard-filter columns, the taxonomy skill matrices (required skills, core skills of
the métier, skills taught), a BM25 index over the French text, and the dense side: an encoder
and the FAISS :class:`~matching.vector_index.VectorIndex` whose int64 ids are the
catalogue's ``ids`` (database keys, or positions for an ad-hoc list).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from data_contracts.enums import OpportunityKind
from data_contracts.models import Opportunity
from matching.ad_coding import Ad
from matching.column_sums import RowsBuilder
from matching.embedding_cache import EmbeddingCache, text_key
from matching.encoder import Encoder
from matching.filters import FilterColumns
from matching.lexical import BM25
from matching.vector_index import (
    APPROXIMATE_FACTORY,
    EXACT_FACTORY,
    VectorIndex,
    release_freed_memory,
)
from tremplin.taxonomy import Taxonomy, load_taxonomy
from tremplin.text import search_terms

if TYPE_CHECKING:
    from matching.ad_coding import AdCoder
    from matching.occupations import OccupationLinker

# catalogues from this size hand the memory their build freed back to the system (a small
# one's is not worth it: the pages come back as faults on the next allocations)
TRIM_AFTER = 50_000
DENSE_MATRIX_LIMIT = 50_000  # catalogues up to this size keep their vectors as one matrix
REQUIRED_WEIGHT = 2.0
CORE_BONUS = 1.0
OPTIONAL_WEIGHT = 1.0
# title words of a training module that prepares a prerequisite (folded by search_terms)
PREPARES = {"licence": {"permis", "conduite"}, "french": {"francais", "fle", "alphabetisation"}}
INFER_MIN_SCORE = 0.2  # an uncoded offer takes the ad's best métier above this probability
INFER_ALTERNATIVES = 3  # métiers an uncoded offer may be, weighed by their probability
INFER_MIN_ALTERNATIVE = 0.05


def infer_occupations(
    opportunities: Sequence[Opportunity],
    linker: OccupationLinker | None,
    coder: AdCoder | None = None,
) -> tuple[list[str], dict[int, list[tuple[str, float]]]]:
    """Each opportunity's ROME métier: its own code, else the one read from the ad (title and
    description, :class:`~matching.ad_coding.AdCoder`; the title linker alone without one),
    when sure enough; and, for every uncoded one, the métiers it may be with their
    probabilities (what the project channel weighs)."""
    codes = [o.occupation.rome_code or "" for o in opportunities]
    inferred: dict[int, list[tuple[str, float]]] = {}
    missing = [p for p, c in enumerate(codes) if not c]
    if not missing or (linker is None and coder is None):
        return codes, inferred
    if coder is not None:
        ads = [Ad(opportunities[p].title, opportunities[p].description) for p in missing]
        found = [
            [(m.code, m.probability) for m in coded]
            for coded in coder.code_many(ads, INFER_ALTERNATIVES)
        ]
    else:
        assert linker is not None
        titles = linker.metiers_for_titles([opportunities[p].title for p in missing])
        found = [[(m.concept, m.score)] if m is not None else [] for m in titles]
    for p, alternatives in zip(missing, found, strict=True):
        kept = [(c, s) for c, s in alternatives if s >= INFER_MIN_ALTERNATIVE]
        if kept:
            inferred[p] = kept
        if kept and kept[0][1] >= INFER_MIN_SCORE:
            codes[p] = kept[0][0]
    return codes, inferred


@dataclass(frozen=True)
class SoftOccupations:
    """The uncoded opportunities' possible métiers as arrays: positions, then per position
    up to :data:`INFER_ALTERNATIVES` numbers into ``codes`` (0 is no métier) and weights."""

    positions: np.ndarray  # int64
    codes: list[str]
    number: np.ndarray  # int64 (len(positions), INFER_ALTERNATIVES)
    probability: np.ndarray  # float32, same shape

    @classmethod
    def of(cls, inferred: dict[int, list[tuple[str, float]]]) -> SoftOccupations:
        """Arrays of :func:`infer_occupations`' alternatives."""
        codes = ["", *sorted({c for found in inferred.values() for c, _ in found})]
        at = {c: i for i, c in enumerate(codes)}
        positions = sorted(inferred)
        number = np.zeros((len(positions), INFER_ALTERNATIVES), dtype=np.int64)
        probability = np.zeros((len(positions), INFER_ALTERNATIVES), dtype=np.float32)
        for row, p in enumerate(positions):
            for k, (code, prob) in enumerate(inferred[p][:INFER_ALTERNATIVES]):
                number[row, k], probability[row, k] = at[code], prob
        return cls(np.asarray(positions, dtype=np.int64), codes, number, probability)

    def spread(self, per_code: np.ndarray) -> np.ndarray:
        """Per listed position, the probability-weighted value of its métiers, from one value
        per :attr:`codes` entry."""
        return np.asarray((per_code[self.number] * self.probability).sum(axis=1), np.float32)


def dense_text(o: Opportunity, taxonomy: Taxonomy) -> str:
    """The text an opportunity is embedded from: its title and its métier's name.

    Short on purpose: titles carry the meaning the encoder is good at, skills are scored on
    the taxonomy, and the description feeds BM25. Short texts also repeat across offers, so
    the embedding cache spares most encoding.
    """
    code = o.occupation.rome_code
    label = taxonomy.metiers[code].label if code and code in taxonomy.metiers else ""
    return f"{o.title}. {label}".strip(". ") if label else o.title


def lexical_text(o: Opportunity, taxonomy: Taxonomy) -> str:
    """The text BM25 reads: title (twice, it matters most), métier, skills and description."""
    code = o.occupation.rome_code
    label = taxonomy.metiers[code].label if code and code in taxonomy.metiers else ""
    skills = " ".join(
        taxonomy.skill_label(s.id) for s in [*o.required_skills, *o.taught_skills][:8]
    )
    return f"{o.title} {o.title} {label} {skills} {o.description[:600]}"


class SkillSpace:
    """Column numbers for skill ids, shared by the catalogue's sparse matrices."""

    def __init__(self) -> None:
        self.column: dict[str, int] = {}

    def of(self, skill_id: str) -> int:
        """The column of ``skill_id`` (assigned on first sight)."""
        return self.column.setdefault(skill_id, len(self.column))

    def columns(self, skill_ids: Iterable[str]) -> list[int]:
        """The columns of the known ``skill_ids`` (unknown skills are dropped: nothing asks
        for them)."""
        found = (self.column.get(s) for s in skill_ids)
        return sorted({c for c in found if c is not None})


def shared_core_skills(taxonomy: Taxonomy, codes: Sequence[str]) -> list[frozenset[str]]:
    """Each code's core skills; one frozenset per distinct code, shared by its offers."""
    per_code: dict[str, frozenset[str]] = {"": frozenset()}
    out: list[frozenset[str]] = []
    for code in codes:
        found = per_code.get(code)
        if found is None:
            found = per_code[code] = frozenset(taxonomy.core_skills(code))
        out.append(found)
    return out


class OpportunityCatalogue:
    """Active opportunities and their precomputed features."""

    def __init__(
        self,
        opportunities: Sequence[Opportunity],
        taxonomy: Taxonomy | None = None,
        ids: Sequence[int] | np.ndarray | None = None,
        encoder: Encoder | None = None,
        index: VectorIndex | None = None,
        linker: OccupationLinker | None = None,
        coder: AdCoder | None = None,
    ) -> None:
        self.opportunities = list(opportunities)
        self.taxonomy = taxonomy or load_taxonomy()
        self.linker = linker
        tax = self.taxonomy
        n = len(self.opportunities)
        self.ids = np.asarray(ids if ids is not None else np.arange(n), dtype=np.int64)
        if len(self.ids) != n or len(set(self.ids.tolist())) != n:
            raise ValueError("catalogue ids must be unique, one per opportunity")
        self._by_id = np.argsort(self.ids, kind="stable")
        self.by_external_id = {o.id: p for p, o in enumerate(self.opportunities)}
        self.columns = FilterColumns.of(self.opportunities)
        self.kind_mask = {
            k: self.columns.kind == i for i, k in enumerate(OpportunityKind)
        }  # bool per opportunity, one mask per kind
        # the métier of each opportunity: its code, or the one read from the ad
        self.coder = coder
        rome, self.inferred_occupations = infer_occupations(self.opportunities, linker, coder)
        self.soft = SoftOccupations.of(self.inferred_occupations)
        self.occupation_codes = rome
        # distinct ROME codes and, per opportunity, the number of its code (per-query scoring
        # then works on a few hundred codes, not on every opportunity)
        unique, inverse = np.unique(np.asarray(rome, dtype=str), return_inverse=True)
        self.rome_codes: list[str] = [str(c) for c in unique]
        self.rome_inverse = np.asarray(inverse, dtype=np.int64).reshape(-1)
        groups: dict[str, list[int]] = defaultdict(list)
        for p, code in enumerate(rome):
            if code:
                groups[code].append(p)
        self.by_rome = {k: np.asarray(v, dtype=np.int64) for k, v in groups.items()}
        families: dict[str, list[np.ndarray]] = defaultdict(list)
        for code, positions in self.by_rome.items():
            families[code[:3]].append(positions)
        self.by_family = {k: np.sort(np.concatenate(v)) for k, v in families.items()}
        self.start = np.array(
            [o.start_date.toordinal() if o.start_date else 0 for o in self.opportunities],
            dtype=np.int32,
        )
        self.duplicate_group = _duplicate_groups(self.opportunities)
        self.prepares = {
            key: np.array([bool(words & set(search_terms(o.title))) for o in self.opportunities])
            & self.kind_mask[OpportunityKind.TRAINING]
            for key, words in PREPARES.items()
        }  # training modules that prepare a prerequisite (licence, French)
        self.core_skills = shared_core_skills(tax, rome)
        self.skills = SkillSpace()
        asked, required, optional, taught = (RowsBuilder() for _ in range(4))
        for o, core in zip(self.opportunities, self.core_skills, strict=True):
            row: dict[int, float] = {}
            for s in o.required_skills:
                row[self.skills.of(s.id)] = REQUIRED_WEIGHT + (CORE_BONUS if s.id in core else 0.0)
            required.add(dict.fromkeys(row, 1.0))
            extra: dict[int, float] = {}
            for s in o.optional_skills:
                column = self.skills.of(s.id)
                if column not in row:
                    row[column] = OPTIONAL_WEIGHT
                    extra[column] = 1.0
            optional.add(extra)
            asked.add(row)
            taught.add({self.skills.of(s.id): 1.0 for s in o.taught_skills})
        width = len(self.skills.column)
        # column-major: a person's dozen skills are summed over every offer in one pass
        self.asked = asked.columns(width)
        self.required = required.columns(width)
        self.optional = optional.columns(width)
        self.taught = taught.columns(width)
        self.bm25 = BM25(lexical_text(o, tax) for o in self.opportunities)
        self.encoder = encoder
        self.index = index
        if encoder is not None and index is None:
            raise ValueError("a catalogue with an encoder needs its vector index")
        # vectors in catalogue order, for exact scoring without a FAISS lookup per id (kept up
        # to DENSE_MATRIX_LIMIT opportunities; above, the IVF index answers)
        self.dense_matrix: np.ndarray | None = (
            np.ascontiguousarray(index.vectors(self.ids), dtype=np.float32)
            if index is not None and encoder is not None and 0 < n <= DENSE_MATRIX_LIMIT
            else None
        )
        if n >= TRIM_AFTER:  # the build's temporaries (rows, counts) left the heap holed
            release_freed_memory()

    def __len__(self) -> int:
        return len(self.opportunities)

    @property
    def has_dense(self) -> bool:
        """Whether the dense (embedding) channel is available."""
        return self.encoder is not None and self.index is not None

    def skill_columns(self, skill_ids: Iterable[str]) -> list[int]:
        """The catalogue's skill columns of ``skill_ids`` (those no opportunity names dropped)."""
        return self.skills.columns(skill_ids)

    def positions_of(self, ids: np.ndarray) -> np.ndarray:
        """Catalogue positions of ``ids`` (all must be catalogue ids), in the same order."""
        found = np.searchsorted(self.ids, ids, sorter=self._by_id)
        return np.asarray(self._by_id[found], dtype=np.int64)

    def missing_required(self, skill_ids: set[str] | frozenset[str]) -> np.ndarray:
        """How many required skills each opportunity asks that ``skill_ids`` lacks (float32
        counts: whole numbers, exact)."""
        held = self.required.sums(self.skill_columns(skill_ids))
        return np.asarray(self.required.row_totals - held, dtype=np.float32)

    def family_positions(self, code: str) -> tuple[np.ndarray, np.ndarray]:
        """Positions (ascending) of the opportunities of ROME métier ``code``, and of its
        family (same first 3 characters)."""
        none = np.zeros(0, dtype=np.int64)
        return self.by_rome.get(code, none), self.by_family.get(code[:3], none)


def duplicate_key(o: Opportunity) -> tuple[str, ...]:
    """Offers with the same key are the same job posted twice."""
    return (
        o.kind.value,
        o.employer_id or o.provider or o.employer_name or "",
        " ".join(sorted(set(search_terms(o.title)))),
        str(o.location.postcode or o.location.commune or ""),
        o.contract_type.value,
    )


def _duplicate_groups(opportunities: Sequence[Opportunity]) -> np.ndarray:
    """Per opportunity, the number of its :func:`duplicate_key` (equal numbers: duplicates).

    Keys are compared by a 16-byte BLAKE2 digest held in one array (no key kept per offer;
    two different keys collide with odds of about n² / 2¹²⁹)."""
    if not opportunities:
        return np.zeros(0, dtype=np.int64)
    digests = b"".join(
        hashlib.blake2b("\x1f".join(duplicate_key(o)).encode(), digest_size=16).digest()
        for o in opportunities
    )
    rows = np.frombuffer(digests, dtype=np.uint8).reshape(len(opportunities), 16)
    _, number = np.unique(rows, axis=0, return_inverse=True)
    return np.asarray(number, dtype=np.int64).reshape(-1)


def build_vector_index(
    opportunities: Sequence[Opportunity],
    ids: np.ndarray,
    encoder: Encoder,
    cache: EmbeddingCache,
    taxonomy: Taxonomy | None = None,
    approximate_threshold: int = 50_000,
    progress: bool = False,
    factories: tuple[str, str] = (EXACT_FACTORY, APPROXIMATE_FACTORY),
    memory_budget_mb: float = 1024.0,
    tuning_texts: Sequence[str] = (),
) -> VectorIndex:
    """A fresh vector index over ``opportunities`` (texts found in ``cache`` are not re-encoded);
    ``factories``: the FAISS factory strings, exact and above the threshold; an approximate
    index is tuned on the queries ``tuning_texts`` (profiles' query texts) when given."""
    tax = taxonomy or load_taxonomy()
    texts = [dense_text(o, tax) for o in opportunities]
    vectors = cache.embed(encoder, texts, "passage", progress=progress)
    keys = [text_key(t, "passage") for t in texts]
    return VectorIndex.build(
        encoder.version,
        ids,
        vectors,
        keys,
        approximate_threshold=approximate_threshold,
        factory=factories[0],
        approximate_factory=factories[1],
        memory_budget_mb=memory_budget_mb,
        tuning_queries=(
            cache.embed(encoder, list(tuning_texts), "query")
            if tuning_texts and len(opportunities) >= approximate_threshold
            else None
        ),
    )


def sync_vector_index(
    index: VectorIndex,
    opportunities: Sequence[Opportunity],
    ids: np.ndarray,
    encoder: Encoder,
    cache: EmbeddingCache,
    taxonomy: Taxonomy | None = None,
    progress: bool = False,
) -> dict[str, int]:
    """Bring ``index`` in line with ``opportunities``: add new, replace changed, drop the rest."""
    tax = taxonomy or load_taxonomy()
    texts = [dense_text(o, tax) for o in opportunities]
    keys = [text_key(t, "passage") for t in texts]
    ids = np.asarray(ids, dtype=np.int64)
    stale = np.setdiff1d(index.entries.ids, ids)
    changed = np.flatnonzero(index.entries.changed(ids, keys)).tolist()
    added = int((~index.entries.contains(ids[changed])).sum()) if changed else 0
    removed = index.remove(stale)
    if changed:
        vectors = cache.embed(encoder, [texts[p] for p in changed], "passage", progress=progress)
        index.upsert(ids[changed], vectors, [keys[p] for p in changed])
    return {"added": added, "replaced": len(changed) - added, "removed": removed}

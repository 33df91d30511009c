"""Link free-text job titles and aspirations to ESCO occupations and ROME métiers.

Two :class:`~matching.linking.TitleLinker` share one vocabulary:

* **ESCO occupations** — preferred labels (split into their gender forms) and alternative
  labels; the ROME appellations that France's official crosswalk links to each occupation
  (a mapping row); the maintained Belgian title list through its métier's best official link;
* **ROME métiers** — the métier labels and every appellation (the titles people write:
  "commis de cuisine"); the ESCO labels of occupations that the crosswalk links to the
  métier's appellations (a mapping row); the Belgian title list.

Each ranks with a lookup first, then a conditional logit fitted on concept-disjoint dev splits
(``training/linker.py``; shipped in ``matching/fitted/``, replaced by the one fitted with a
fine-tuned encoder when that encoder is served). A sibling expansion goes through the other
taxonomy's structure: an appellation's neighbours in its ROME métier that are ESCO labels.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel

from matching import label_vectors
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder
from matching.linking import (
    CROSSWALK_FIRST,
    NO_MASK,
    OWN_FIRST,
    ConceptMatch,
    LabelRow,
    LabelSource,
    LinkMask,
    LinkModel,
    SiblingExpansion,
    TitleLinker,
    title_keys,
)
from tremplin.taxonomy import Taxonomy, load_taxonomy
from tremplin.text import gender_variants, normalize

log = logging.getLogger(__name__)

LinkerKind = Literal["esco", "rome"]
FITTED_DIR = Path(__file__).resolve().parent / "fitted"  # blends fitted on the dev splits
WISH_CACHE_SIZE = 4096  # free-text wishes whose links are remembered
SYNONYM_MIN_LINK = 0.9  # a Belgian title reaches ESCO through its métier's link at least this sure
_WISH = re.compile(
    r"^\s*(?:j['’]|je\s+)?(?:voudrais|veux|souhaite|souhaiterais|aimerais|cherche|recherche)\s+"
    r"(?:(?:un\s+)?(?:travail|emploi|job|poste)\s+)?"
    r"(?:(?:me\s+former\s+pour\s+)?(?:travailler\s+|devenir\s+|être\s+|faire\s+))?"
    r"(?:comme|en\s+tant\s+que|dans\s+(?:les?|la|l'|le\s+secteur\s+de(?:s|\s+la)?)|en|de)?\s*",
    re.IGNORECASE,
)
_SEGMENT = re.compile(r"[.;!?\n]+|,\s+(?:si|mais|et|ou|de\s+préférence)\b", re.IGNORECASE)
_LEAD = re.compile(
    r"^\s*(?:mon\s+projet\s*:?|projet\s*:|objectif\s*:|souhait\s*:|j'ai\s+déjà\s+travaillé\s+)\s*",
    re.IGNORECASE,
)


def clean_query(text: str) -> str:
    """Drop the "je voudrais travailler dans ..." lead-in of a wish, keep the substance."""
    stripped = _WISH.sub("", _LEAD.sub("", text)).strip()
    return stripped or text.strip()


def wish_segments(text: str, limit: int = 4) -> list[str]:
    """The title-like parts of a free-text aspiration: each sentence or clause, lead-in removed.

    "J'aimerais devenir aide-soignante. Je suis motivée." -> ["aide-soignante", "Je suis
    motivée"]; the linker's lookup and model then decide which part names a trade.
    """
    parts = [clean_query(p) for p in _SEGMENT.split(text) if normalize(p)]
    seen: list[str] = []
    for p in parts:
        if p and p not in seen:
            seen.append(p)
    return seen[:limit]


class OccupationMatch(BaseModel):
    """An ESCO occupation proposed for a title."""

    uri: str
    label: str
    score: float


class MetierMatch(BaseModel):
    """A ROME métier proposed for a title."""

    code: str
    label: str
    score: float


class LinkResult(BaseModel):
    """The occupations (and ROME métiers) proposed for one query, best first."""

    query: str
    results: list[OccupationMatch]
    metiers: list[MetierMatch] = []


# --- label rows ------------------------------------------------------------------------------


def _dedupe(rows: Iterable[LabelRow]) -> list[LabelRow]:
    seen: set[tuple[str, str]] = set()
    out: list[LabelRow] = []
    for row in rows:
        key = (row.concept, normalize(row.label))
        if key[1] and key not in seen:
            seen.add(key)
            out.append(row)
    return out


def esco_rows(taxonomy: Taxonomy) -> list[LabelRow]:
    """Every own label of every ESCO occupation: the preferred label as written ("a/b") and
    each of its forms, and the alternative labels."""
    own: list[LabelRow] = []
    for uri in sorted(taxonomy.esco_occupations):
        occ = taxonomy.esco_occupations[uri]
        forms = [occ.label, *gender_variants(occ.label)]
        own += [LabelRow(uri, form, "preferred") for form in forms]
        own += [LabelRow(uri, alt, "alternative") for alt in occ.alt_labels]
    return _dedupe(own)


def esco_mappings(taxonomy: Taxonomy) -> list[LabelRow]:
    """Titles mapped onto ESCO occupations: ROME appellations through the official crosswalk,
    Belgian titles through their métier's best official link."""
    mapped: list[LabelRow] = []
    for code_ogr, links in sorted(taxonomy.official_crosswalk().items()):
        label = taxonomy.appellations[code_ogr].label
        mapped += [LabelRow(uri, label, "crosswalk") for uri, _ in links]
    for bt in taxonomy.belgian_titles:
        best = taxonomy.esco_for_metier(bt.code_rome)[:1]
        if best and best[0][1] >= SYNONYM_MIN_LINK:
            mapped.append(LabelRow(best[0][0], bt.title, "synonym"))
    return _dedupe(mapped)


def rome_rows(taxonomy: Taxonomy) -> list[LabelRow]:
    """Every own title of every ROME métier: its label and its appellations, each form."""
    own: list[LabelRow] = []
    for code in sorted(taxonomy.metiers):
        label = taxonomy.metiers[code].label
        own += [LabelRow(code, f, "metier", label) for f in gender_variants(label)]
        for app in taxonomy.appellations_of(code):
            forms = [*gender_variants(app.label), app.short_label]
            own += [LabelRow(code, f, "appellation", app.label) for f in forms if f]
    return _dedupe(own)


def rome_mappings(taxonomy: Taxonomy) -> list[LabelRow]:
    """Titles mapped onto ROME métiers: the labels of the ESCO occupations the official
    crosswalk links to a métier's appellations, and the Belgian title list."""
    mapped: list[LabelRow] = []
    for code_ogr, links in sorted(taxonomy.official_crosswalk().items()):
        code = taxonomy.appellations[code_ogr].code_rome
        for uri, _ in links:
            occ = taxonomy.esco_occupations[uri]
            labels = [*gender_variants(occ.label), *occ.alt_labels]
            mapped += [LabelRow(code, label, "crosswalk") for label in labels]
    mapped += [LabelRow(bt.code_rome, bt.title, "synonym") for bt in taxonomy.belgian_titles]
    return _dedupe(mapped)


# --- models ----------------------------------------------------------------------------------


def link_model_path(kind: LinkerKind, directory: Path | None = None) -> Path:
    """Where the fitted link model of ``kind`` lives (shipped, or beside an encoder)."""
    return (directory or FITTED_DIR) / f"link_{kind}.json"


def load_link_model(kind: LinkerKind, encoder: Encoder | None) -> LinkModel:
    """The link model fitted for ``encoder``: beside a fine-tuned encoder's weights, else the
    shipped one, else (lexical only, or nothing shipped) the untrained fallback."""
    folder = getattr(encoder, "path", None)
    candidates = [link_model_path(kind, folder)] if isinstance(folder, Path) else []
    candidates.append(link_model_path(kind))
    for path in candidates:
        if path.exists():
            model = LinkModel.load(path)
            if encoder is None and model.coef[model.features.index("dense")] != 0.0:
                break  # fitted with a dense channel that a lexical linker does not have
            return model
    log.info("no fitted %s link model for this encoder: hand-set fallback", kind)
    return LinkModel.untrained()


# --- the two linkers ---------------------------------------------------------------------------


def _vectors(
    rows: Sequence[LabelRow], encoder: Encoder | None, cache: EmbeddingCache | None, progress: bool
) -> np.ndarray | None:
    if encoder is None:
        return None
    if cache is None:
        raise ValueError("a dense title linker needs an embedding cache")
    label_vectors.seed(cache, encoder.version)  # the shipped vectors, for the bundled encoder
    return cache.embed(encoder, [r.vector_text for r in rows], "query", progress=progress)


def label_texts(taxonomy: Taxonomy | None = None) -> list[str]:
    """Every text the two linkers embed (ESCO's and ROME's labels), once each, in order."""
    tax = taxonomy or load_taxonomy()
    return list(dict.fromkeys(r.vector_text for r in [*esco_rows(tax), *rome_rows(tax)]))


def _group_keys(
    pairs: Iterable[tuple[str, str]],
) -> tuple[dict[str, frozenset[str]], dict[str, list[frozenset[str]]]]:
    """(group, title) pairs -> key -> groups, and group -> the key sets of its titles."""
    of_key: dict[str, set[str]] = defaultdict(set)
    of_group: dict[str, list[frozenset[str]]] = defaultdict(list)
    for group, title in pairs:
        keys = title_keys(title)
        if keys:
            of_group[group].append(keys)
            for key in keys:
                of_key[key].add(group)
    return {k: frozenset(v) for k, v in of_key.items()}, dict(of_group)


@dataclass
class Linkers:
    """The ESCO and ROME linkers, built together over one taxonomy and encoder."""

    esco: TitleLinker
    rome: TitleLinker
    taxonomy: Taxonomy
    encoder: Encoder | None

    def get(self, kind: LinkerKind) -> TitleLinker:
        """The linker of ``kind``."""
        return self.esco if kind == "esco" else self.rome


def build_linkers(
    taxonomy: Taxonomy | None = None,
    encoder: Encoder | None = None,
    cache: EmbeddingCache | None = None,
    models: dict[LinkerKind, LinkModel] | None = None,
    progress: bool = False,
) -> Linkers:
    """Both linkers (label vectors through ``cache``; models fitted for ``encoder``)."""
    tax = taxonomy or load_taxonomy()
    models = models or {}
    # texts in memory (a profile's, from its one encoder pass) are not encoded again; the
    # others are, without being kept (offer titles read at a catalogue build would push the
    # profiles' vectors out of memory)
    encode = encoder.encode_queries_cached if encoder is not None else None

    def linker(kind: LinkerKind, rows: list[LabelRow], mappings: list[LabelRow]) -> TitleLinker:
        return TitleLinker(
            rows,
            mappings,
            concept_label=_esco_label(tax) if kind == "esco" else _metier_label(tax),
            vectors=_vectors(rows, encoder, cache, progress),
            encode_query=encode,
            model=models.get(kind) or load_link_model(kind, encoder),
            levels=CROSSWALK_FIRST if kind == "esco" else OWN_FIRST,
        )

    esco = linker("esco", esco_rows(tax), esco_mappings(tax))
    rome = linker("rome", rome_rows(tax), rome_mappings(tax))
    rome_titles = [(c, tax.metiers[c].label) for c in sorted(tax.metiers)]
    rome_titles += [(a.code_rome, a.label) for a in tax.appellations.values()]
    esco_titles = [
        (uri, label)
        for uri, occ in sorted(tax.esco_occupations.items())
        for label in [*gender_variants(occ.label), *occ.alt_labels]
    ]
    of_key, of_group = _group_keys(rome_titles)
    esco.expansion = SiblingExpansion(of_key, of_group, esco.lookup_concepts)
    of_key, of_group = _group_keys(esco_titles)
    rome.expansion = SiblingExpansion(of_key, of_group, rome.lookup_concepts)
    return Linkers(esco=esco, rome=rome, taxonomy=tax, encoder=encoder)


def _esco_label(tax: Taxonomy) -> Callable[[str], str]:
    return lambda uri: gender_variants(tax.esco_occupations[uri].label)[0]


def _metier_label(tax: Taxonomy) -> Callable[[str], str]:
    return lambda code: tax.metiers[code].label


class OccupationLinker:
    """The service's title linker: ESCO occupations (and ROME métiers) for free titles."""

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        encoder: Encoder | None = None,
        cache: EmbeddingCache | None = None,
        progress: bool = False,
        linkers: Linkers | None = None,
        mask: LinkMask = NO_MASK,
    ) -> None:
        self.linkers = linkers or build_linkers(taxonomy, encoder, cache, progress=progress)
        self.mask = mask  # what evaluations withhold from every wish and title (none in service)
        self.taxonomy = self.linkers.taxonomy
        self.encoder = self.linkers.encoder
        self._wishes: OrderedDict[tuple[str, int], list[ConceptMatch]] = OrderedDict()
        self._lock = threading.Lock()

    def link_many(self, queries: Iterable[str], top: int = 5) -> list[LinkResult]:
        """Occupations and métiers for each query, in order."""
        items = list(queries)
        cleaned = [clean_query(q) for q in items]
        esco = self.linkers.esco.link_many(cleaned, top)
        rome = self.linkers.rome.link_many(cleaned, top)
        return [
            LinkResult(
                query=query,
                results=[OccupationMatch(uri=m.concept, label=m.label, score=m.score) for m in e],
                metiers=[MetierMatch(code=m.concept, label=m.label, score=m.score) for m in r],
            )
            for query, e, r in zip(items, esco, rome, strict=True)
        ]

    def link(self, query: str, top: int = 5) -> list[OccupationMatch]:
        """Occupations for one title, best first."""
        return self.link_many([query], top)[0].results

    def label_vector(self, label: str) -> np.ndarray | None:
        """The embedding of a ROME label (a métier's or an appellation's, as written), read
        from the label vectors (None when the linker has none for it)."""
        return self.linkers.rome.text_vector(label)

    def forget(self) -> None:
        """Empty the remembered wishes (benchmarks measure cold profiles with it)."""
        with self._lock:
            self._wishes.clear()

    def withholding(self, mask: LinkMask) -> OccupationLinker:
        """The same linkers, withholding ``mask`` from every wish and title (evaluations)."""
        return OccupationLinker(linkers=self.linkers, mask=mask)

    def metiers(self, text: str, top: int = 3, mask: LinkMask | None = None) -> list[ConceptMatch]:
        """ROME métiers for a free-text wish: its clauses are linked and merged (best score
        per métier), so "J'aimerais devenir tuyauteur, si possible près de chez moi" finds the
        trade in its first clause. The last :data:`WISH_CACHE_SIZE` answers are remembered."""
        return self.metiers_many([(text, top)], mask)[0]

    def metiers_many(
        self, texts: Sequence[tuple[str, int]], mask: LinkMask | None = None
    ) -> list[list[ConceptMatch]]:
        """:meth:`metiers` of several ``(text, top)`` at once (a profile's wish and experience
        titles): the clauses of every text not remembered go through the encoder in one batch."""
        mask = self.mask if mask is None else mask
        out: list[list[ConceptMatch] | None] = [None] * len(texts)
        if not mask:
            with self._lock:
                for i, key in enumerate(texts):
                    if key in self._wishes:
                        self._wishes.move_to_end(key)
                        out[i] = list(self._wishes[key])
        todo = [i for i, found in enumerate(out) if found is None]
        segments = {i: wish_segments(texts[i][0]) for i in todo}
        flat = [seg for i in todo for seg in segments[i]]
        top = max((texts[i][1] for i in todo), default=0)
        linked = iter(self.linkers.rome.link_many(flat, top, [mask] * len(flat)))
        for i in todo:
            found = _merge([next(linked) for _ in segments[i]], texts[i][1])
            out[i] = found
            if not mask:
                with self._lock:
                    self._wishes[texts[i]] = found
                    while len(self._wishes) > WISH_CACHE_SIZE:
                        self._wishes.popitem(last=False)
        return [list(found or []) for found in out]

    def metiers_for_titles(self, titles: Sequence[str]) -> list[ConceptMatch | None]:
        """The best ROME métier of each offer title (distinct titles linked once, in a batch)."""
        distinct = sorted({clean_query(t) for t in titles})
        masks = [self.mask] * len(distinct)
        best = {
            title: (matches[0] if matches else None)
            for title, matches in zip(
                distinct, self.linkers.rome.link_many(distinct, 1, masks), strict=True
            )
        }
        return [best[clean_query(t)] for t in titles]


def _merge(per_clause: Sequence[list[ConceptMatch]], top: int) -> list[ConceptMatch]:
    """The best ``top`` métiers over a text's clauses (best score per métier, then rank)."""
    best: dict[str, tuple[float, int, ConceptMatch]] = {}
    for matches in per_clause:
        for rank, m in enumerate(matches):
            seen = best.get(m.concept)
            if seen is None or (m.score, -rank) > (seen[0], -seen[1]):
                best[m.concept] = (m.score, rank, m)
    ordered = sorted(best.values(), key=lambda t: (-t[0], t[1], t[2].concept))
    return [m for _, _, m in ordered][:top]


__all__ = [
    "LabelRow",
    "LabelSource",
    "LinkResult",
    "Linkers",
    "MetierMatch",
    "OccupationLinker",
    "OccupationMatch",
    "build_linkers",
    "clean_query",
    "esco_mappings",
    "esco_rows",
    "rome_mappings",
    "rome_rows",
    "wish_segments",
]

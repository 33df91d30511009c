"""Read a job ad's ROME métier (and appellation) from its title *and* description.

An ad as employers write it ("Technicien-ne définition electrique f/h", three paragraphs about
the company, then the missions) is coded the way France Travail's coders do: the title says
the trade when it is a known job title; otherwise the missions do. Four channels propose
métiers for each ad:

* the **title linker** (:class:`~matching.occupations.OccupationLinker`'s ROME side: lookup,
  lexical and dense title matching, its own calibrated probability);
* a **dense** match of the ad (title, then the description's start) against each métier's
  passage (its label, appellations and definition), and of the title alone;
* a **word TF-IDF** match of the whole ad against each métier's ROME text (label three times,
  every appellation, the definition, every compétence and savoir);
* a **character TF-IDF** match of the title against the métier's label and appellations.

A conditional logit over the candidates' features (shared weights, so it applies to métiers
it never saw) turns them into one calibrated probability per métier. It is fitted on real
France Travail ads with folds by métier (``training/ad_coding.py``) and shipped in
``matching/fitted/ad_coding.json``.

ROME 4.0 keeps the 532 historic fiches (the codes France Travail coded offers with until the
new fiches came, and the first five characters of Le Forem's DIMECO codes) and adds some
thousand finer fiches under them (``Metier.parent``). An ad published before
:data:`FINER_FICHES_FROM` is coded as its publisher coded it: the historic fiche, with the
probability summed over the fiches under it; a later or undated ad gets the finest fiche.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

from matching import label_vectors
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder
from matching.linking import ConceptMatch
from matching.occupations import OccupationLinker, clean_query
from matching.skill_text import skill_reader
from tremplin.taxonomy import Taxonomy, load_taxonomy
from tremplin.text import normalize

FITTED_PATH = Path(__file__).resolve().parent / "fitted" / "ad_coding.json"
DESCRIPTION_HEAD = 700  # characters of the description the dense channel reads
PASSAGE_APPELLATIONS = 12  # appellations named in a métier's dense passage
DEFINITION_HEAD = 600
CODED_CACHE_SIZE = 20_000  # ads whose coding a coder remembers (by text hash)
# ROME 4.0 went live on 20 March 2023 with the 532 historic fiches; its finer fiches were
# published from then on, three releases a year (France Travail's open-data page on the ROME)
FINER_FICHES_FROM = dt.date(2024, 1, 1)

FEATURES = (
    "link_p",
    "link_top",
    "dense_ad",
    "dense_ad_gap",
    "dense_title",
    "dense_title_gap",
    "tfidf",
    "tfidf_gap",
    "char_title",
    "char_title_gap",
)


class CodedMetier(BaseModel):
    """A ROME métier read from an ad, with the probability that it is France Travail's code."""

    code: str
    label: str
    appellation: str | None = Field(default=None, description="The closest ROME job title.")
    probability: float = Field(ge=0.0, le=1.0)


@dataclass(frozen=True)
class Ad:
    """What the coder reads of an ad: its title, description and publication date."""

    title: str
    description: str = ""
    published: dt.date | None = None

    @property
    def historic(self) -> bool:
        """Published when offers were coded with the 532 historic fiches only."""
        return self.published is not None and self.published < FINER_FICHES_FROM


class AdCodingModel(BaseModel):
    """The fitted conditional logit: one weight per feature, a temperature, the pool sizes."""

    features: list[str]
    coef: list[float]
    temperature: float = 1.0
    candidates_per_channel: int = 10
    trained_on: str = ""
    dev_metrics: dict[str, float] = {}

    @classmethod
    def load(cls, path: Path = FITTED_PATH) -> AdCodingModel:
        """The shipped model (or another one saved by the fitting)."""
        return cls.model_validate_json(path.read_text(encoding="utf-8"))

    def save(self, path: Path = FITTED_PATH) -> None:
        """Write the model as indented JSON."""
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Each candidate's score (features in :data:`FEATURES` order), before the softmax."""
        order = [self.features.index(f) for f in FEATURES]
        weights = np.asarray(self.coef, dtype=np.float64)[order]
        return np.asarray(x @ weights, dtype=np.float64) / max(self.temperature, 1e-6)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Probabilities from scores (stable)."""
    z = np.exp(scores - scores.max()) if len(scores) else scores
    return z / z.sum() if len(scores) else z


@dataclass
class AdCandidates:
    """One ad's candidate métiers and their features (rows aligned with ``codes``)."""

    codes: list[str]
    x: np.ndarray  # float64, (len(codes), len(FEATURES))


def _metier_text(tax: Taxonomy, code: str) -> str:
    m = tax.metiers[code]
    apps = [a.label for a in tax.appellations_of(code)]
    skills = [tax.skill_label(s.skill_id) for s in tax.metier_skills(code)]
    return " ".join([m.label] * 3 + apps + [tax.definition(code), *skills])


def _passage(tax: Taxonomy, code: str) -> str:
    apps = ", ".join(a.label for a in tax.appellations_of(code)[:PASSAGE_APPELLATIONS])
    return f"{tax.metiers[code].label}. {apps}. {tax.definition(code)[:DEFINITION_HEAD]}"


def _titles(ads: Sequence[Ad]) -> list[str]:
    """The titles the coder reads (lead-ins such as "je voudrais être" removed)."""
    return [clean_query(a.title) or a.title for a in ads]


def dense_texts(ads: Sequence[Ad]) -> list[str]:
    """The texts :meth:`AdCoder.candidates` embeds for ``ads`` (a profile has them embedded
    with its own texts, in one encoder pass)."""
    titles = _titles(ads)
    return [*(ad_query(t, a.description) for t, a in zip(titles, ads, strict=True)), *titles]


def ad_query(title: str, description: str) -> str:
    """The dense query of an ad: its title, then the description's start."""
    head = " ".join(description.split())[:DESCRIPTION_HEAD]
    return f"{title}. {head}" if head else title


def metier_passages(taxonomy: Taxonomy | None = None) -> list[str]:
    """The métiers' dense passages, in code order (what the ad coder embeds)."""
    tax = taxonomy or load_taxonomy()
    return [_passage(tax, c) for c in sorted(tax.metiers)]


class MetierTexts:
    """The métiers' ROME texts as TF-IDF matrices (words of the whole text; characters of the
    titles), and their dense passages when an encoder is given."""

    def __init__(
        self, taxonomy: Taxonomy, encoder: Encoder | None, cache: EmbeddingCache | None
    ) -> None:
        self.taxonomy = taxonomy
        self.codes = sorted(taxonomy.metiers)
        self.position = {c: i for i, c in enumerate(self.codes)}
        self.group = {c: taxonomy.metiers[c].parent for c in self.codes}  # historic fiche
        self.words = TfidfVectorizer(
            preprocessor=normalize, ngram_range=(1, 2), sublinear_tf=True, min_df=1
        )
        self.word_matrix: csr_matrix = self.words.fit_transform(
            [_metier_text(taxonomy, c) for c in self.codes]
        )
        self.chars = TfidfVectorizer(
            preprocessor=normalize, analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True
        )
        titles = [
            " | ".join([taxonomy.metiers[c].label, *(a.label for a in taxonomy.appellations_of(c))])
            for c in self.codes
        ]
        self.char_matrix: csr_matrix = self.chars.fit_transform(titles)
        app_labels = [
            (c, a.label) for c in self.codes for a in taxonomy.appellations_of(c) if a.label
        ]
        self.app_labels = [label for _, label in app_labels]
        self.app_rows: dict[str, list[int]] = {}  # fiche -> its appellations' rows
        self.group_rows: dict[str, list[int]] = {}  # historic fiche -> those under it too
        for i, (c, _) in enumerate(app_labels):
            self.app_rows.setdefault(c, []).append(i)
            self.group_rows.setdefault(self.group[c], []).append(i)
        self.app_matrix: csr_matrix = self.chars.transform(self.app_labels)
        self.skills = skill_reader(taxonomy)  # activities and compétences named in a text
        self.passages: np.ndarray | None = None
        if encoder is not None:
            passages = metier_passages(taxonomy)
            if cache is not None:
                label_vectors.seed(cache, encoder.version)
            self.passages = (
                cache.embed(encoder, passages, "passage")
                if cache is not None
                else encoder.encode_passages(passages)
            )

    def appellation(self, code: str, title: str, group: bool = False) -> str | None:
        """The métier's appellation closest to ``title`` (characters), if it has any; with
        ``group``, among every fiche under the historic fiche ``code``."""
        rows = (self.group_rows if group else self.app_rows).get(code, [])
        if not rows:
            return None
        sims = (self.app_matrix[rows] @ self.chars.transform([title]).T).toarray().ravel()
        return self.app_labels[rows[int(np.argmax(sims))]]


def _gap(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    return values - (pool.max() if len(pool) else 0.0)


class AdCoder:
    """ROME métiers of ads from their title and description, with calibrated probabilities."""

    def __init__(
        self,
        texts: MetierTexts,
        linker: OccupationLinker | None,
        encoder: Encoder | None,
        cache_path: Path | None = None,
        model: AdCodingModel | None = None,
    ) -> None:
        """``cache_path``: the embedding cache that keeps the ads' vectors across processes."""
        self.texts = texts
        self.taxonomy = texts.taxonomy
        self.linker = linker
        self.encoder = encoder
        self.cache_path = cache_path
        self.model = model or AdCodingModel.load()
        self._coded: OrderedDict[str, list[CodedMetier]] = OrderedDict()
        self._lock = threading.Lock()

    # -- features ------------------------------------------------------------------------
    def _dense(self, texts: list[str]) -> np.ndarray | None:
        """Each text's similarity to every métier's passage (texts in the encoder's memory,
        a profile's encoded with its other texts, are not encoded again)."""
        if self.encoder is None or self.texts.passages is None or not texts:
            return None
        known = self.encoder.remembered(texts)
        missing = [t for t, v in zip(texts, known, strict=True) if v is None]
        if missing:
            found = dict(zip(missing, self._embed(missing), strict=True))
            known = [found[t] if v is None else v for t, v in zip(texts, known, strict=True)]
        vectors = np.stack([np.asarray(v, dtype=np.float32) for v in known])
        return np.asarray(vectors @ self.texts.passages.T, dtype=np.float64)

    def _embed(self, texts: list[str]) -> np.ndarray:
        assert self.encoder is not None
        if self.cache_path is None:
            return self.encoder.encode_queries(texts)
        cache = EmbeddingCache(self.cache_path)
        try:
            return cache.embed(self.encoder, texts, "query")
        finally:
            cache.close()

    def candidates(self, ads: Sequence[Ad]) -> list[AdCandidates]:
        """Every ad's candidate métiers (the best of each channel) with their features."""
        if not ads:
            return []
        titles = _titles(ads)
        k = self.model.candidates_per_channel
        texts = self.texts
        word = (
            texts.words.transform(
                [f"{t} {t} {t} {a.description}" for t, a in zip(titles, ads, strict=True)]
            )
            @ texts.word_matrix.T
        ).toarray()
        char = (texts.chars.transform(titles) @ texts.char_matrix.T).toarray()
        dense_ad = self._dense(
            [ad_query(t, a.description) for t, a in zip(titles, ads, strict=True)]
        )
        dense_title = self._dense(titles)
        links = self._links(titles, 2 * k)
        out: list[AdCandidates] = []
        for i in range(len(ads)):
            link = {m.concept: m.score for m in links[i] if m.concept in texts.position}
            pool: list[int] = [texts.position[c] for c in link]
            channels = [word[i], char[i]]
            channels += [m[i] for m in (dense_ad, dense_title) if m is not None]
            for channel in channels:
                pool.extend(int(j) for j in np.argsort(-channel)[:k])
            rows = np.asarray(sorted(set(pool)), dtype=np.int64)
            codes = [texts.codes[j] for j in rows]
            zeros = np.zeros(len(rows))
            da = dense_ad[i, rows] if dense_ad is not None else zeros
            dt = dense_title[i, rows] if dense_title is not None else zeros
            top = links[i][0].concept if links[i] else None
            x = np.column_stack(
                [
                    [link.get(c, 0.0) for c in codes],
                    [float(c == top) for c in codes],
                    da,
                    _gap(da, da),
                    dt,
                    _gap(dt, dt),
                    word[i, rows],
                    _gap(word[i, rows], word[i, rows]),
                    char[i, rows],
                    _gap(char[i, rows], char[i, rows]),
                ]
            )
            out.append(AdCandidates(codes, np.asarray(x, dtype=np.float64)))
        return out

    def _links(self, titles: Sequence[str], top: int) -> list[list[ConceptMatch]]:
        """The title linker's métiers for each title (one batch; measured on the dev ads:
        linking the parts of a title joined by dashes too did worse)."""
        if self.linker is None:
            return [[] for _ in titles]
        return self.linker.linkers.rome.link_many(titles, top, [self.linker.mask] * len(titles))

    def forget(self) -> None:
        """Empty the remembered codings (an erasure; benchmarks measure cold wishes)."""
        with self._lock:
            self._coded.clear()

    # -- coding --------------------------------------------------------------------------
    def code_many(self, ads: Sequence[Ad], top: int = 3) -> list[list[CodedMetier]]:
        """The ``top`` métiers of each ad, most probable first (ads already coded are
        remembered by the hash of their text and era)."""
        keys = [_key(a) for a in ads]
        found: dict[str, list[CodedMetier]] = {}
        with self._lock:
            for key in keys:
                if key in self._coded:
                    self._coded.move_to_end(key)
                    found[key] = self._coded[key]
        todo = sorted({i for i, key in enumerate(keys) if key not in found}, key=keys.__getitem__)
        unique = list({keys[i]: i for i in todo}.values())
        for i, cands in zip(unique, self.candidates([ads[i] for i in unique]), strict=True):
            found[keys[i]] = self._ranked(ads[i], cands)
        with self._lock:
            for i in unique:
                self._coded[keys[i]] = found[keys[i]]
            while len(self._coded) > CODED_CACHE_SIZE:
                self._coded.popitem(last=False)
        return [found[key][:top] for key in keys]

    def with_linker(self, linker: OccupationLinker | None) -> AdCoder:
        """The same coder over another title linker (one that withholds what an evaluation
        must not see)."""
        return AdCoder(self.texts, linker, self.encoder, self.cache_path, self.model)

    def remember(self, other: AdCoder) -> None:
        """Take ``other``'s remembered codings as this coder's own (evaluations answer each ad
        with a model fitted without it)."""
        with self._lock, other._lock:
            self._coded.update(other._coded)

    def code(self, ad: Ad, top: int = 3) -> list[CodedMetier]:
        """:meth:`code_many` of one ad."""
        return self.code_many([ad], top)[0]

    def pooled(self, cands: AdCandidates) -> AdCandidates:
        """The candidates as historic fiches: each feature the best of the fiches under it,
        the title link's probability their sum."""
        groups: dict[str, list[int]] = {}
        for row, code in enumerate(cands.codes):
            groups.setdefault(self.texts.group[code], []).append(row)
        codes = sorted(groups)
        x = np.vstack([cands.x[groups[g]].max(axis=0) for g in codes])
        link = FEATURES.index("link_p")
        x[:, link] = [min(1.0, float(cands.x[groups[g], link].sum())) for g in codes]
        return AdCandidates(codes, x)

    def probabilities(self, ad: Ad, cands: AdCandidates) -> dict[str, float]:
        """Each candidate code's probability (for a historic ad, each historic fiche's)."""
        pool = self.pooled(cands) if ad.historic else cands
        p = softmax(self.model.logits(pool.x))
        return {code: float(prob) for code, prob in zip(pool.codes, p, strict=True)}

    def _ranked(self, ad: Ad, cands: AdCandidates, keep: int = 5) -> list[CodedMetier]:
        if not cands.codes:
            return []
        probs = self.probabilities(ad, cands)
        order = sorted(probs, key=lambda c: (-probs[c], c))[:keep]
        tax = self.taxonomy
        return [
            CodedMetier(
                code=code,
                label=tax.metiers[code].label,
                appellation=(
                    self.texts.appellation(code, ad.title, group=ad.historic) if rank == 0 else None
                ),
                probability=round(probs[code], 4),
            )
            for rank, code in enumerate(order)
        ]


def _key(ad: Ad) -> str:
    text = f"{ad.title}\x00{ad.description}\x00{ad.historic}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


__all__ = [
    "FEATURES",
    "Ad",
    "AdCoder",
    "AdCodingModel",
    "CodedMetier",
    "MetierTexts",
    "ad_query",
    "softmax",
]

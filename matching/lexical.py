"""Lexical scoring over French text: Okapi BM25 on folded terms, and a character TF-IDF.

BM25 is computed with sparse matrices (scikit-learn's vectoriser for the vocabulary, SciPy
for the weights, kept column-major), so a query costs one sum over its terms' entries.
Terms come from :func:`tremplin.text.search_terms`: accents, case, gender markers
("h/f/x", "technicien(ne)") and plural/feminine endings are folded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix, diags
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from matching.column_sums import ColumnSums
from tremplin.text import normalize, search_terms


def _terms(text: str) -> list[str]:
    return search_terms(text)


QUERIES_KEPT = 1024  # queries whose term columns a BM25 index keeps (a few kB each)


class _Counted:
    """An iterable that counts what it yielded (a generator's length, once read)."""

    def __init__(self, items: Iterable[str]) -> None:
        self.items = items
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        for item in self.items:
            self.count += 1
            yield item


class BM25:
    """Okapi BM25 (k1, b) over a fixed list of documents, read once: a generator keeps one
    document in memory at a time (a million ads' texts would otherwise be held together)."""

    def __init__(self, documents: Iterable[str], k1: float = 1.2, b: float = 0.75) -> None:
        self._vectorizer = CountVectorizer(analyzer=_terms)
        read = _Counted(documents)
        self._weights: ColumnSums | None = None
        # a profile's query is long (wish, métiers, experiences, skills: ~1,000 characters) and
        # asked again as the coach moves between pages: its term columns are kept
        # (an LRU per index, safe between the service's threads)
        self._query_columns = lru_cache(maxsize=QUERIES_KEPT)(self._read_columns)
        try:
            counts = csr_matrix(self._vectorizer.fit_transform(read), dtype=np.float32)
        except ValueError:  # not one term in any document
            self.size = read.count
            return
        self.size = counts.shape[0]
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        avg = lengths.mean() if lengths.size else 1.0
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        idf = np.log1p((self.size - df + 0.5) / (df + 0.5)).astype(np.float32)
        # tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg)), row by row
        norm = k1 * (1 - b + b * lengths / max(avg, 1e-9))
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        tf = counts.data
        counts.data = (tf * (k1 + 1) / (tf + norm[rows])).astype(np.float32)
        self._weights = ColumnSums(counts @ diags(idf))

    def _read_columns(self, query: str) -> frozenset[int]:
        vocab = self._vectorizer.vocabulary_
        return frozenset(vocab[t] for t in _terms(query) if t in vocab)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros when nothing matches)."""
        out = np.zeros(self.size, dtype=np.float32)
        if self._weights is None:
            return out
        columns = self._query_columns(query)
        if not columns:
            return out
        return self._weights.sums(columns)


class CharTfidf:
    """Cosine similarity on character 3-5-grams of normalised text (a strong typo-proof baseline)."""

    def __init__(self, documents: Sequence[str]) -> None:
        self.size = len(documents)
        self._vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32
        )
        try:
            # column-major: a query touches a few dozen n-gram columns, sliced directly
            self._matrix: csc_matrix | None = csc_matrix(
                self._vectorizer.fit_transform([normalize(d) for d in documents])
            )
        except ValueError:  # no text at all
            self._matrix = None

    def scores(self, query: str) -> np.ndarray:
        """Cosine similarity of ``query`` to every document."""
        if self._matrix is None or not normalize(query):
            return np.zeros(self.size, dtype=np.float32)
        q = csr_matrix(self._vectorizer.transform([normalize(query)]))
        if not q.nnz:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._matrix[:, q.indices] @ q.data, dtype=np.float32).ravel()

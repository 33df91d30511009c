"""Embeddings cached by (encoder version, text hash): unchanged texts are never re-encoded.

The cache is a local SQLite file beside the index (not the domain database): vectors of
opportunity and occupation texts, and of stored profiles' query texts (the service prepares
them at start). Those are derived from a person's free text, so erasing a person deletes them
(:meth:`EmbeddingCache.forget`). The file can be deleted at any time. Writes happen in one
transaction per batch, so an interrupted build keeps what it had.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from matching.encoder import Encoder, TextKind


def text_key(text: str, kind: TextKind) -> str:
    """Stable key of a text and the prompt it is encoded with."""
    return hashlib.sha256(f"{kind}\x00{' '.join(text.split())}".encode()).hexdigest()


class EmbeddingCache:
    """A persistent map (encoder version, text key) -> float32 vector."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=60)
        self._db.execute("PRAGMA secure_delete=ON")  # forgotten vectors leave no trace on disk
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key TEXT NOT NULL, "
            "vector BLOB NOT NULL, PRIMARY KEY (model, key))"
        )
        self._db.commit()
        self.hits = 0
        self.misses = 0

    def close(self) -> None:
        """Close the underlying file."""
        self._db.close()

    def forget(self, texts: Sequence[str], kind: TextKind) -> int:
        """Delete the vectors of ``texts`` under every encoder version; returns how many."""
        keys = sorted({text_key(t, kind) for t in texts})
        removed = 0
        with self._db:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                cursor = self._db.execute(f"DELETE FROM vectors WHERE key IN ({marks})", chunk)
                removed += cursor.rowcount
        return removed

    def contains(self, text: str, kind: TextKind) -> bool:
        """Whether any encoder version's vector of ``text`` is kept."""
        row = self._db.execute(
            "SELECT 1 FROM vectors WHERE key = ? LIMIT 1", [text_key(text, kind)]
        ).fetchone()
        return row is not None

    def _lookup(self, model: str, keys: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({marks})",
                [model, *chunk],
            )
            found.update(rows)
        return found

    def lookup(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors of ``keys`` under encoder version ``model`` (missing ones absent)."""
        raw = self._lookup(model, sorted(set(keys)))
        return {k: np.frombuffer(v, dtype=np.float32) for k, v in raw.items()}

    def store(self, model: str, keys: Sequence[str], vectors: np.ndarray) -> int:
        """Keep ``vectors`` (one per key) under encoder version ``model``; returns how many."""
        rows = [
            (model, k, np.ascontiguousarray(v, dtype=np.float32).tobytes())
            for k, v in zip(keys, vectors, strict=True)
        ]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
        return len(rows)

    def embed(
        self,
        encoder: Encoder,
        texts: Sequence[str],
        kind: TextKind,
        batch_size: int = 256,
        progress: bool = False,
    ) -> np.ndarray:
        """Vectors for ``texts``, encoding only the (distinct) texts not cached yet."""
        keys = [text_key(t, kind) for t in texts]
        found = self._lookup(encoder.version, sorted(set(keys)))
        todo: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found and key not in todo:
                todo[key] = text
        self.hits += len(texts) - sum(1 for k in keys if k in todo)
        self.misses += len(todo)
        pending = list(todo.items())
        bar = tqdm(
            total=len(pending), desc="encodage", unit="texte", disable=not progress or not pending
        )
        for start in range(0, len(pending), batch_size):
            chunk = pending[start : start + batch_size]
            vectors = encoder.encode([t for _, t in chunk], kind)
            rows = [
                (encoder.version, k, v.tobytes()) for (k, _), v in zip(chunk, vectors, strict=True)
            ]
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
            for (k, _), v in zip(chunk, vectors, strict=True):
                found[k] = v.tobytes()
            bar.update(len(chunk))
        bar.close()
        out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
        for i, key in enumerate(keys):
            out[i] = np.frombuffer(found[key], dtype=np.float32)
        return out

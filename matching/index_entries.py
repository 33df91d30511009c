"""Which text each vector of the index came from, as two NumPy arrays.

An entry is an opportunity's int64 id and the SHA-256 key of the text its vector was encoded
from (:func:`matching.embedding_cache.text_key`, 64 hex characters): an update re-encodes
only the ids whose text changed. Held as sorted ids and a ``(n, 32)`` byte matrix, an entry
costs 40 bytes and no Python object (a dict of a million ids to hex strings took ~180 MB).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

KEY_BYTES = 32  # a SHA-256 digest


def key_bytes(keys: Sequence[str]) -> np.ndarray:
    """Hex text keys as a ``(n, 32)`` uint8 matrix (one conversion, no object per key)."""
    if not len(keys):
        return np.zeros((0, KEY_BYTES), dtype=np.uint8)
    try:
        raw = bytes.fromhex("".join(keys))
    except ValueError:
        raw = b""
    if len(raw) != KEY_BYTES * len(keys):
        raise ValueError("text keys must be SHA-256 digests in hex (64 characters)")
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(keys), KEY_BYTES).copy()


@dataclass(frozen=True)
class IndexEntries:
    """Sorted unique int64 ``ids`` and their text keys (``keys``: one 32-byte row each)."""

    ids: np.ndarray
    keys: np.ndarray

    @classmethod
    def empty(cls) -> IndexEntries:
        """No entry."""
        return cls(np.zeros(0, dtype=np.int64), np.zeros((0, KEY_BYTES), dtype=np.uint8))

    @classmethod
    def of(cls, ids: np.ndarray | Sequence[int], keys: Sequence[str]) -> IndexEntries:
        """Entries for ``ids`` and their hex text keys (the last one wins for a repeated id)."""
        return cls.empty().with_entries(np.asarray(ids, dtype=np.int64), key_bytes(keys))

    @classmethod
    def from_arrays(cls, ids: np.ndarray, keys: np.ndarray) -> IndexEntries:
        """Entries read back from a file: ``ids`` must be sorted and unique."""
        ids = np.asarray(ids, dtype=np.int64)
        keys = np.asarray(keys, dtype=np.uint8).reshape(-1, KEY_BYTES)
        if len(ids) != len(keys) or (len(ids) > 1 and not bool(np.all(np.diff(ids) > 0))):
            raise ValueError("index entries must be sorted unique ids, one key each")
        return cls(ids, keys)

    def __len__(self) -> int:
        return len(self.ids)

    def _positions(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each of ``ids`` is (clipped) and whether it is there."""
        at = np.searchsorted(self.ids, ids)
        at = np.minimum(at, max(len(self.ids) - 1, 0))
        found = self.ids[at] == ids if len(self.ids) else np.zeros(len(ids), dtype=bool)
        return at, np.asarray(found, dtype=bool)

    def contains(self, ids: np.ndarray) -> np.ndarray:
        """Whether each of ``ids`` has an entry."""
        return self._positions(np.asarray(ids, dtype=np.int64))[1]

    def changed(self, ids: np.ndarray, keys: Sequence[str]) -> np.ndarray:
        """Whether each of ``ids`` is missing or was encoded from another text than ``keys``'."""
        ids = np.asarray(ids, dtype=np.int64)
        at, found = self._positions(ids)
        if not len(self.ids):
            return np.ones(len(ids), dtype=bool)
        same = np.all(self.keys[at] == key_bytes(keys), axis=1)
        return np.asarray(~(found & same), dtype=bool)

    def with_entries(self, ids: np.ndarray, keys: np.ndarray) -> IndexEntries:
        """These entries with ``ids`` added or their keys replaced (``keys``: byte rows)."""
        ids = np.asarray(ids, dtype=np.int64)
        # the last occurrence of a repeated id wins, as a dict update would
        last = len(ids) - 1 - np.unique(ids[::-1], return_index=True)[1]
        ids, keys = ids[last], keys[last]
        kept = ~np.isin(self.ids, ids)
        all_ids = np.concatenate([self.ids[kept], ids])
        all_keys = np.concatenate([self.keys[kept], keys])
        order = np.argsort(all_ids, kind="stable")
        return IndexEntries(all_ids[order], all_keys[order])

    def without(self, ids: np.ndarray) -> IndexEntries:
        """These entries less ``ids`` (unknown ones are ignored)."""
        kept = ~np.isin(self.ids, np.asarray(ids, dtype=np.int64))
        return IndexEntries(self.ids[kept], self.keys[kept])

    def key_of(self, id_: int) -> str | None:
        """The hex text key of ``id_``, or None without an entry."""
        at, found = self._positions(np.asarray([id_], dtype=np.int64))
        return self.keys[at[0]].tobytes().hex() if bool(found[0]) else None

    def as_dict(self) -> dict[int, str]:
        """Every entry as id -> hex key (for a small index: tests, a status line)."""
        return {int(i): k.tobytes().hex() for i, k in zip(self.ids, self.keys, strict=True)}

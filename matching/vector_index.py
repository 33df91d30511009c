"""The FAISS index over opportunity vectors, persisted crash-safely with its model version.

* The index is described by a FAISS factory string (settings ``index_factory``, exact by
  default: ``IDMap2,Flat``); above ``approximate_threshold`` vectors the approximate one
  (``index_factory_approximate``) is used, with a direct map so vectors can be read back and
  removed, its ``nprobe`` raised until recall@10 against exact search (on the vectors as
  given, not as stored) reaches ``target_recall``; the measured recall and the factory
  string are recorded in the header. ``auto`` (the default) chooses the approximate index by
  size and memory budget (:func:`choose_factory`): inverted lists of full vectors while they
  fit, half-float then 8-bit scalar-quantised ones beyond, product-quantised ones when
  even those do not fit (``benchmarks/bench_index.py`` measures each at 100k and 1M vectors).
* A search restricted to allowed ids probes more lists the fewer ids are allowed, so the
  allowed vectors it scans stay as many as an unrestricted search would scan.
* Stable int64 ids (the opportunities' database keys) map to opportunities; each id also
  records the key of the text its vector came from, so an update re-encodes only changed
  texts and removes expired ones without a rebuild.
* One file holds a JSON header (model version, kind, count, SHA-256 of what follows), the
  entries (ids, then text keys: :class:`~matching.index_entries.IndexEntries`, raw arrays)
  and the serialised index; a format-1 file (entries in the JSON header) is still read. It is written to a temporary file, flushed and renamed over the
  old one: a crash mid-save leaves the previous index intact. Loading checks the magic, the
  checksum and the model version, and refuses a mismatch with a message that says what to do.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from pydantic import BaseModel, Field

from matching.index_entries import KEY_BYTES, IndexEntries, key_bytes

_faiss: Any = faiss  # the SWIG bindings' stubs miss keyword arguments
MAGIC = b"TFXI"
FORMAT_VERSION = 2  # 1: entries in the JSON header (still read)
READABLE_VERSIONS = (1, 2)
EXACT_FACTORY = "IDMap2,Flat"
APPROXIMATE_FACTORY = "auto"
ID_BYTES = 8 + 16  # per vector: the id in its list, and its slot in the hash-table direct map
SIMILARITY_BLOCK = 256  # vectors decoded at a time by VectorIndex.similarities
BITMAP_MAX_BITS = 1 << 24  # id filters use a bitmap while the largest allowed id is below


class IndexFileError(RuntimeError):
    """The index file is missing, corrupted or built by another encoder."""


class IndexEncoderMismatch(IndexFileError):
    """The index was built by another encoder than the one loading it."""


class IndexHeader(BaseModel):
    """What a saved index says about itself."""

    format_version: int = FORMAT_VERSION
    model_version: str
    dim: int
    kind: str
    factory: str = EXACT_FACTORY
    nprobe: int = 0
    count: int
    checksum: str
    built_at: dt.datetime
    updated_at: dt.datetime
    recall_at_10: float | None = None
    entries: dict[str, str] = Field(
        default_factory=dict, description="format 1 only: id -> text key (now raw arrays)"
    )


class VectorIndex:
    """Inner-product search over normalised vectors with stable integer ids."""

    def __init__(
        self,
        model_version: str,
        dim: int,
        approximate_threshold: int = 50_000,
        target_recall: float = 0.95,
        factory: str = EXACT_FACTORY,
    ) -> None:
        self.model_version = model_version
        self.dim = dim
        self.approximate_threshold = approximate_threshold
        self.target_recall = target_recall
        self.index: Any = make_index(factory, dim)
        self.factory = factory
        self.nprobe = 0
        self.recall_at_10: float | None = None
        self.entries = IndexEntries.empty()
        now = dt.datetime.now(dt.UTC)
        self.built_at = now
        self.updated_at = now

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def kind(self) -> str:
        """``ivf`` for an inverted-file index (searched with nprobe), else ``flat``."""
        return "ivf" if isinstance(self.index, faiss.IndexIVF) else "flat"

    # --- building --------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        model_version: str,
        ids: np.ndarray,
        vectors: np.ndarray,
        keys: list[str],
        approximate_threshold: int = 50_000,
        target_recall: float = 0.95,
        factory: str = EXACT_FACTORY,
        approximate_factory: str = APPROXIMATE_FACTORY,
        memory_budget_mb: float = 1024.0,
        tuning_queries: np.ndarray | None = None,
    ) -> VectorIndex:
        """A fresh index over ``vectors``: ``factory`` below the threshold, else
        ``approximate_factory`` (``{nlist}`` replaced by sqrt(n), at least 16; ``auto``:
        :func:`choose_factory` within ``memory_budget_mb``), trained; an approximate index's
        nprobe is tuned on ``tuning_queries`` (real query vectors) when given."""
        out = cls(model_version, vectors.shape[1], approximate_threshold, target_recall, factory)
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) >= approximate_threshold:
            if approximate_factory == "auto":
                approximate_factory = choose_factory(len(ids), out.dim, memory_budget_mb)
            out._make_approximate(vectors, approximate_factory)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        out.index.add_with_ids(vectors, ids)
        out.entries = IndexEntries.of(ids, keys)
        if out.kind == "ivf":
            out._compact()
            out._tune_nprobe(ids, vectors, tuning_queries)
        return out

    def _compact(self) -> None:
        """Rewrite the index through a file. FAISS grows each inverted list as vectors arrive
        (a doubling vector), which leaves about a fifth of a freshly built IVF index unused;
        read back, each list holds exactly its codes (1M vectors of 384 dimensions, SQfp16:
        1,066 -> 850 MB resident)."""
        with tempfile.TemporaryDirectory(prefix="tremplin-index-") as tmp:
            path = str(Path(tmp) / "index.faiss")
            faiss.write_index(self.index, path)
            self.index = None
            release_freed_memory()
            self.index = faiss.read_index(path)

    def _make_approximate(self, vectors: np.ndarray, factory: str) -> None:
        n = len(vectors)
        resolved = factory.format(nlist=max(16, int(np.sqrt(n))))
        index = make_index(resolved, self.dim)
        rng = np.random.default_rng(0)
        nlist = int(index.nlist) if isinstance(index, faiss.IndexIVF) else 16
        sample = vectors[rng.choice(n, size=min(n, max(64 * nlist, 10_000)), replace=False)]
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        self.index = index
        self.factory = resolved

    def _tune_nprobe(
        self,
        ids: np.ndarray,
        vectors: np.ndarray,
        queries: np.ndarray | None = None,
        sample_size: int = 200,
    ) -> None:
        """Raise nprobe until recall@10 against exact search over ``vectors`` (the originals:
        a quantised index is judged against what it approximates) reaches the target, on
        ``queries`` or, without them, on stored vectors moved far off (noise of norm 1.5).

        Profile queries sit between the opportunities' clusters (the e5 query prompt moves
        them): measured on the sample, near-copies of stored vectors (noise 0.5) asked for a
        quarter of the lists real queries need; noise 1.5 asked for as many or more."""
        rng = np.random.default_rng(1)
        if queries is None or len(queries) < 20:
            picked = rng.choice(len(ids), size=min(sample_size, len(ids)), replace=False)
            queries = vectors[picked] + rng.normal(
                scale=1.5 / np.sqrt(self.dim), size=(len(picked), self.dim)
            )
        queries = np.asarray(queries[:sample_size], dtype=np.float32)
        queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
        truth = [set(ids[row].tolist()) for row in exact_top(queries, vectors, 10)]
        nlist = int(self.index.nlist)
        nprobe = 1
        while True:
            self.index.nprobe = nprobe
            _, found = self.index.search(queries, 10)
            recall = float(
                np.mean([len(t & set(f)) / len(t) for t, f in zip(truth, found, strict=True)])
            )
            if recall >= self.target_recall or nprobe >= nlist:
                break
            nprobe = min(nlist, nprobe * 2)
        self.nprobe = nprobe
        self.recall_at_10 = round(recall, 4)

    # --- incremental changes -----------------------------------------------------------------

    def upsert(self, ids: np.ndarray, vectors: np.ndarray, keys: list[str]) -> None:
        """Add new ids and replace the vectors of existing ones."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return
        self.remove(ids[self.entries.contains(ids)])
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        self.entries = self.entries.with_entries(ids, key_bytes(keys))
        self.updated_at = dt.datetime.now(dt.UTC)

    def remove(self, ids: np.ndarray) -> int:
        """Remove ``ids`` (unknown ones are ignored); returns how many were removed."""
        ids = np.asarray(ids, dtype=np.int64)
        ids = np.ascontiguousarray(np.unique(ids[self.entries.contains(ids)]), dtype=np.int64)
        if not len(ids):
            return 0
        removed = int(self.index.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))))
        self.entries = self.entries.without(ids)
        self.updated_at = dt.datetime.now(dt.UTC)
        return removed

    # --- reading ---------------------------------------------------------------------------

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (all must be present)."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self.index.reconstruct_batch(ids), dtype=np.float32)

    def similarities(self, ids: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Inner products of ``query`` with the stored vectors of ``ids`` (all must be present).

        Vectors are decoded a block at a time into one reused buffer: 4,000 vectors decoded
        into a fresh 12 MB matrix took 8 ms (page faults), block by block under 1 ms.
        """
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        out = np.empty(len(ids), dtype=np.float32)
        buffer = np.empty((min(len(ids), SIMILARITY_BLOCK), self.dim), dtype=np.float32)
        for start in range(0, len(ids), SIMILARITY_BLOCK):
            block = ids[start : start + SIMILARITY_BLOCK]
            decoded = buffer[: len(block)]
            self.index.reconstruct_batch(block, decoded)
            out[start : start + len(block)] = decoded @ q
        return out

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (ids, scores) for one query, optionally restricted to ``allowed`` ids."""
        if len(self) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params: Any = None
        if allowed is not None:
            if not len(allowed):
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            selector = _selector(np.asarray(allowed, dtype=np.int64))
            if self.kind == "ivf":
                params = _faiss.SearchParametersIVF(
                    sel=selector, nprobe=self.restricted_nprobe(len(allowed))
                )
            else:
                params = _faiss.SearchParameters(sel=selector)
        elif self.kind == "ivf":
            params = _faiss.SearchParametersIVF(nprobe=self.nprobe)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self.index.search(q, min(k, len(self)), params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def restricted_nprobe(self, allowed: int) -> int:
        """Lists to probe when ``allowed`` of the stored ids may be returned: as many more as
        the allowed share is small, so about as many allowed vectors are scanned as an
        unrestricted search scans (capped at every list)."""
        nlist = int(self.index.nlist)
        share = max(allowed, 1) / max(len(self), 1)
        return int(min(nlist, max(self.nprobe, np.ceil(self.nprobe / share))))

    # --- persistence -----------------------------------------------------------------------

    def header(self, checksum: str = "") -> IndexHeader:
        """The header describing this index."""
        return IndexHeader(
            model_version=self.model_version,
            dim=self.dim,
            kind=self.kind,
            factory=self.factory,
            nprobe=self.nprobe,
            count=len(self),
            checksum=checksum,
            built_at=self.built_at,
            updated_at=self.updated_at,
            recall_at_10=self.recall_at_10,
        )

    def save(self, path: Path) -> None:
        """Write the index atomically (temporary file, fsync, rename)."""
        body = b"".join(
            (
                np.ascontiguousarray(self.entries.ids, dtype="<i8").tobytes(),
                np.ascontiguousarray(self.entries.keys, dtype=np.uint8).tobytes(),
                faiss.serialize_index(self.index).tobytes(),
            )
        )
        header = self.header(hashlib.sha256(body).hexdigest())
        head = header.model_dump_json(exclude={"entries"}).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(MAGIC + struct.pack("<IQ", FORMAT_VERSION, len(head)))
                fh.write(head)
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    @classmethod
    def load(cls, path: Path, expected_model_version: str | None = None) -> VectorIndex:
        """Read an index, checking its integrity and (if given) the encoder version."""
        header, entries, body = read_index_file(path)
        if expected_model_version and header.model_version != expected_model_version:
            raise IndexEncoderMismatch(
                f"index {path} was built by encoder {header.model_version}, not "
                f"{expected_model_version}: rebuild it with `tremplin index build`"
            )
        out = cls(header.model_version, header.dim)
        out.index = faiss.deserialize_index(np.frombuffer(body, dtype=np.uint8))
        del body
        release_freed_memory()
        out.factory = header.factory
        out.nprobe = header.nprobe
        out.recall_at_10 = header.recall_at_10
        out.built_at = header.built_at
        out.updated_at = header.updated_at
        out.entries = entries
        if len(out) != header.count or len(out.entries) != header.count:
            raise IndexFileError(
                f"index {path} is inconsistent: rebuild it with `tremplin index build`"
            )
        return out


def release_freed_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``): memory
    freed in the middle of the heap (a rebuilt index, a file read) stays resident otherwise.
    Does nothing where the C library has no such call."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def choose_factory(n: int, dim: int, memory_budget_mb: float = 1024.0) -> str:
    """The approximate index for ``n`` vectors of ``dim`` floats within the memory budget:
    ``IVF{nlist},Flat`` (full vectors) while it fits, else ``IVF{nlist},SQfp16`` (half
    floats: recall as the full vectors', measured), else ``IVF{nlist},SQ8`` (one byte per
    dimension: near-identical offers may swap places), else ``IVF{nlist},PQ{m}`` with the
    most sub-quantisers ``m`` (a divisor of ``dim``, ``m`` bytes per vector) that fits, whose
    recall is low (``benchmarks/bench_index.py``; the header records it). The lists'
    directory (``nlist`` centroids) counts too. ``{nlist}`` is left for
    :meth:`VectorIndex.build` to fill."""
    budget = memory_budget_mb * 2**20
    centroids = 4 * dim * max(16, int(np.sqrt(max(n, 1))))
    for code, per_vector in (("Flat", 4 * dim), ("SQfp16", 2 * dim), ("SQ8", dim)):
        if n * (per_vector + ID_BYTES) + centroids <= budget:
            return f"IVF{{nlist}},{code}"
    for m in sorted((m for m in range(1, dim + 1) if dim % m == 0 and m <= 96), reverse=True):
        if n * (m + ID_BYTES) + centroids + 4 * 256 * dim <= budget:
            return f"IVF{{nlist}},PQ{m}"
    raise ValueError(
        f"{n} vecteurs ne tiennent pas dans {memory_budget_mb:.0f} Mo : augmentez "
        f"TREMPLIN_INDEX_MEMORY_BUDGET_MB / {n} vectors do not fit in {memory_budget_mb:.0f} MB"
    )


def exact_top(queries: np.ndarray, vectors: np.ndarray, k: int, chunk: int = 65_536) -> np.ndarray:
    """Positions in ``vectors`` of each query's ``k`` best inner products, best first, computed
    exactly in chunks (a million vectors never make one huge score matrix)."""
    rows = np.arange(len(queries))[:, None]
    best_scores = np.zeros((len(queries), 0), dtype=np.float32)
    best_pos = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), chunk):
        scores = np.concatenate([best_scores, queries @ vectors[start : start + chunk].T], axis=1)
        pos = np.concatenate(
            [
                best_pos,
                np.tile(
                    np.arange(start, start + scores.shape[1] - best_pos.shape[1]), (len(queries), 1)
                ),
            ],
            axis=1,
        )
        keep = np.argpartition(-scores, min(k, scores.shape[1]) - 1, axis=1)[:, :k]
        best_scores, best_pos = scores[rows, keep], pos[rows, keep]
    order = np.argsort(-best_scores, axis=1)
    return np.asarray(best_pos[rows, order])


def make_index(factory: str, dim: int) -> Any:
    """An empty inner-product index from a FAISS factory string. Only indexes that keep
    stable ids, read vectors back and remove ids are accepted: ``IDMap2,...`` over a flat
    index, or the IVF family (given a hash-table direct map here)."""
    try:
        index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as exc:
        raise ValueError(
            f"chaîne de fabrique FAISS invalide {factory!r} / invalid FAISS factory string: "
            f"{str(exc).splitlines()[0]}"
        ) from None
    if isinstance(index, faiss.IndexIVF):
        index.set_direct_map_type(_faiss.DirectMap.Hashtable)
        return index
    if isinstance(index, faiss.IndexIDMap2):
        return index
    raise ValueError(
        f"index FAISS {factory!r} non pris en charge : utilisez IDMap2,Flat ou IVF<n>,Flat / "
        "unsupported FAISS index: use IDMap2,Flat or an IVF index"
    )


def _selector(allowed: np.ndarray) -> Any:
    """A FAISS id filter: a bitmap when ids are dense enough (O(1) to build), else a hash set.

    The bitmap array must outlive the search, so it is attached to the selector.
    """
    top = int(allowed.max())
    if top < 0:
        return faiss.IDSelectorBatch(allowed)
    if top < BITMAP_MAX_BITS and allowed.min() >= 0:
        mask = np.zeros(top + 1, dtype=bool)
        mask[allowed] = True
        bits = np.packbits(mask, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))
        selector.bits_ref = bits  # type: ignore[attr-defined]  # keep the buffer alive
        return selector
    return faiss.IDSelectorBatch(allowed)


def read_index_file(path: Path) -> tuple[IndexHeader, IndexEntries, memoryview]:
    """The header, entries and FAISS bytes of an index file, after the integrity checks.

    The file is read once and sliced without copies (a million vectors' file is 800 MB); the
    entries are copied out of it, so it is freed once the FAISS bytes are read."""
    if not path.exists():
        raise IndexFileError(f"no index at {path}: build it with `tremplin index build`")
    data = memoryview(path.read_bytes())
    broken = f"index {path} is corrupted: rebuild it with `tremplin index build`"
    if len(data) < 16 or data[:4] != MAGIC:
        raise IndexFileError(broken)
    version, head_len = struct.unpack_from("<IQ", data, 4)
    if version not in READABLE_VERSIONS:
        raise IndexFileError(
            f"index {path} has format {version}: rebuild it with `tremplin index build`"
        )
    try:
        header = IndexHeader.model_validate(json.loads(bytes(data[16 : 16 + head_len])))
    except ValueError as exc:
        raise IndexFileError(broken) from exc
    body = data[16 + head_len :]
    if hashlib.sha256(body).hexdigest() != header.checksum:
        raise IndexFileError(broken)
    if version == 1:
        ids = [int(i) for i in header.entries]
        return header, IndexEntries.of(ids, list(header.entries.values())), body
    n = header.count
    try:
        entries = IndexEntries.from_arrays(
            np.frombuffer(body, dtype="<i8", count=n).copy(),
            np.frombuffer(body, dtype=np.uint8, count=n * KEY_BYTES, offset=8 * n).copy(),
        )
    except ValueError as exc:
        raise IndexFileError(broken) from exc
    return header, entries, body[n * (8 + KEY_BYTES) :]

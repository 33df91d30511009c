"""The FAISS index: exact and approximate search, incremental updates, crash-safe files."""

from __future__ import annotations

import hashlib
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from matching.embedding_cache import text_key
from matching.index_entries import IndexEntries, key_bytes
from matching.vector_index import (
    FORMAT_VERSION,
    MAGIC,
    IndexFileError,
    VectorIndex,
    choose_factory,
    exact_top,
    read_index_file,
)

DIM = 16


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def keys(ids: np.ndarray, tag: str = "v1") -> list[str]:
    return [text_key(f"{tag}-{i}", "passage") for i in ids]


def test_exact_search_equals_brute_force_and_honours_the_allowed_ids() -> None:
    rng = np.random.default_rng(0)
    ids = np.arange(100, 400, dtype=np.int64)
    vectors = unit(rng, len(ids))
    index = VectorIndex.build("m@1", ids, vectors, keys(ids))
    q = unit(rng, 1)[0]
    found, scores = index.search(q, 10)
    expected = ids[np.argsort(-(vectors @ q))[:10]]
    assert found.tolist() == expected.tolist()
    assert np.allclose(scores, np.sort(vectors @ q)[::-1][:10], atol=1e-5)
    allowed = ids[::7]
    found, _ = index.search(q, 10, allowed=allowed)
    assert set(found.tolist()) <= set(allowed.tolist()) and len(found) == 10
    assert len(index.search(q, 10, allowed=np.zeros(0, dtype=np.int64))[0]) == 0


def test_incremental_update_is_equivalent_to_a_rebuild() -> None:
    rng = np.random.default_rng(1)
    ids = np.arange(500, dtype=np.int64)
    vectors = unit(rng, 500)
    index = VectorIndex.build("m@1", ids, vectors, keys(ids))
    # expire 50, change 30, add 40
    expired = ids[:50]
    changed = ids[100:130]
    added = np.arange(1000, 1040, dtype=np.int64)
    new_vectors = {int(i): v for i, v in zip(ids, vectors, strict=True)}
    for i in expired:
        del new_vectors[int(i)]
    fresh = unit(rng, 70)
    for i, v in zip([*changed, *added], fresh, strict=True):
        new_vectors[int(i)] = v
    index.remove(expired)
    index.upsert(
        np.concatenate([changed, added]), fresh, keys(np.concatenate([changed, added]), "v2")
    )
    final_ids = np.array(sorted(new_vectors), dtype=np.int64)
    rebuilt = VectorIndex.build(
        "m@1", final_ids, np.stack([new_vectors[int(i)] for i in final_ids]), keys(final_ids)
    )
    assert len(index) == len(rebuilt) == 490
    assert index.entries.ids.tolist() == rebuilt.entries.ids.tolist()
    for q in unit(rng, 20):
        a, sa = index.search(q, 15)
        b, sb = rebuilt.search(q, 15)
        assert a.tolist() == b.tolist() and np.allclose(sa, sb, atol=1e-5)
    assert np.allclose(index.vectors(changed), fresh[:30], atol=1e-6)


@pytest.mark.parametrize("threshold", [None, 500])
def test_similarities_read_block_by_block_equal_the_stored_vectors_products(
    threshold: int | None,
) -> None:
    rng = np.random.default_rng(5)
    ids = np.arange(10, 1210, dtype=np.int64)
    vectors = unit(rng, len(ids))
    index = VectorIndex.build(
        "m@1", ids, vectors, keys(ids), approximate_threshold=threshold or 50_000
    )
    assert index.kind == ("flat" if threshold is None else "ivf")
    q = unit(rng, 1)[0]
    asked = rng.permutation(ids)[:700]  # more than one block, in no particular order
    expected = vectors[np.searchsorted(ids, asked)] @ q
    assert np.allclose(index.similarities(asked, q), expected, atol=1e-5)
    assert index.similarities(np.zeros(0, dtype=np.int64), q).shape == (0,)


def test_approximate_index_above_threshold_with_measured_recall() -> None:
    rng = np.random.default_rng(2)
    centres = unit(rng, 40)
    vectors = centres[rng.integers(0, 40, 6000)] + 0.3 * unit(rng, 6000)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(6000, dtype=np.int64)
    index = VectorIndex.build("m@1", ids, vectors, keys(ids), approximate_threshold=5000)
    assert index.kind == "ivf" and index.recall_at_10 is not None
    assert index.recall_at_10 >= 0.95
    queries = centres[rng.integers(0, 40, 50)] + 0.3 * unit(rng, 50)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    recall = np.mean(
        [
            len(set(index.search(q, 10)[0].tolist()) & set(e.tolist())) / 10
            for q, e in zip(queries, exact, strict=True)
        ]
    )
    assert recall >= 0.9
    index.remove(ids[:10])
    index.upsert(np.array([9000]), vectors[:1], keys(np.array([9000])))
    assert 9000 in index.search(vectors[0], 5)[0].tolist()


def test_save_load_roundtrip_and_model_version_check(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    ids = np.arange(50, dtype=np.int64)
    index = VectorIndex.build("m@1", ids, unit(rng, 50), keys(ids))
    path = tmp_path / "idx.tfx"
    index.save(path)
    loaded = VectorIndex.load(path, "m@1")
    q = unit(rng, 1)[0]
    assert loaded.search(q, 5)[0].tolist() == index.search(q, 5)[0].tolist()
    assert loaded.entries.as_dict() == index.entries.as_dict()
    assert index.entries.as_dict() == dict(zip(ids.tolist(), keys(ids), strict=True))
    with pytest.raises(IndexFileError, match="built by encoder m@1"):
        VectorIndex.load(path, "other@2")
    with pytest.raises(IndexFileError, match="no index"):
        VectorIndex.load(tmp_path / "missing.tfx")


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_a_corrupted_index_is_refused(tmp_path: Path, damage: str) -> None:
    rng = np.random.default_rng(4)
    ids = np.arange(50, dtype=np.int64)
    path = tmp_path / "idx.tfx"
    VectorIndex.build("m@1", ids, unit(rng, 50), keys(ids)).save(path)
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[-100] ^= 0xFF
    elif damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data = bytearray(b"hello world, not an index")
    path.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="corrupted"):
        VectorIndex.load(path)


def test_entries_follow_upserts_and_removals_as_a_dict_would() -> None:
    """The id -> text key arrays: a repeated id keeps its last key, an upsert replaces keys,
    a removal forgets ids (unknown ones ignored), ``changed`` names missing or re-worded ids."""
    entries = IndexEntries.of([5, 1, 5], [text_key("a", "passage"), "0" * 64, "f" * 64])
    assert entries.as_dict() == {1: "0" * 64, 5: "f" * 64}
    entries = entries.with_entries(np.array([1, 9]), key_bytes(["1" * 64, "2" * 64]))
    assert entries.as_dict() == {1: "1" * 64, 5: "f" * 64, 9: "2" * 64}
    assert entries.ids.tolist() == [1, 5, 9] and entries.key_of(7) is None
    assert entries.changed(np.array([1, 5, 7]), ["1" * 64, "e" * 64, "1" * 64]).tolist() == [
        False,
        True,
        True,
    ]
    assert entries.without(np.array([5, 42])).as_dict() == {1: "1" * 64, 9: "2" * 64}
    assert IndexEntries.empty().changed(np.array([3]), ["0" * 64]).tolist() == [True]
    with pytest.raises(ValueError, match="SHA-256"):
        IndexEntries.of([1], ["not-hex"])


def test_a_file_of_the_first_format_is_still_read(tmp_path: Path) -> None:
    """An index saved before the entries became arrays (entries in the JSON header) loads as
    it was, and is saved back in the current format."""
    import faiss

    rng = np.random.default_rng(6)
    ids = np.arange(40, dtype=np.int64)
    index = VectorIndex.build("m@1", ids, unit(rng, 40), keys(ids))
    body = faiss.serialize_index(index.index).tobytes()
    header = index.header(hashlib.sha256(body).hexdigest()).model_copy(
        update={"entries": {str(i): k for i, k in index.entries.as_dict().items()}}
    )
    head = header.model_dump_json().encode()
    path = tmp_path / "old.tfx"
    path.write_bytes(MAGIC + struct.pack("<IQ", 1, len(head)) + head + body)
    old = VectorIndex.load(path, "m@1")
    assert old.entries.as_dict() == index.entries.as_dict() and len(old) == 40
    old.save(path)
    assert struct.unpack_from("<I", path.read_bytes(), 4)[0] == FORMAT_VERSION == 2
    assert VectorIndex.load(path).entries.as_dict() == index.entries.as_dict()


SAVER = """
import sys, numpy as np
from pathlib import Path
from matching.vector_index import VectorIndex
rng = np.random.default_rng(0)
n = 60000
v = rng.normal(size=(n, 128)).astype(np.float32)
v /= np.linalg.norm(v, axis=1, keepdims=True)
ids = np.arange(n, dtype=np.int64)
index = VectorIndex.build("m@new", ids, v, [f"{i:064x}" for i in ids], approximate_threshold=10**9)
print("ready", flush=True)
while True:
    index.save(Path(sys.argv[1]))
"""


def test_killing_a_save_never_leaves_a_broken_index(tmp_path: Path) -> None:
    path = tmp_path / "idx.tfx"
    rng = np.random.default_rng(5)
    ids = np.arange(10, dtype=np.int64)
    VectorIndex.build("m@old", ids, unit(rng, 10, 128), keys(ids)).save(path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for delay in (0.05, 0.2, 0.45):
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, env=env
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        header, _, _ = read_index_file(path)  # never raises: old or new, always whole
        assert header.model_version in {"m@old", "m@new"}
        assert len(VectorIndex.load(path)) in {10, 60000}


def test_entries_read_back_do_not_keep_the_file_in_memory(tmp_path: Path) -> None:
    """The entries are copied out of the file's bytes: a view would keep the whole file
    (800 MB at a million vectors) alive beside the index read from it."""
    rng = np.random.default_rng(6)
    ids = np.arange(3000, dtype=np.int64)
    path = tmp_path / "index.faiss"
    VectorIndex.build("m@1", ids, unit(rng, 3000), keys(ids), approximate_threshold=1000).save(path)
    loaded = VectorIndex.load(path)
    for column in (loaded.entries.ids, loaded.entries.keys):
        root = column
        while isinstance(root.base, np.ndarray):
            root = root.base
        assert root.base is None  # owned by NumPy, not a view of the file's bytes
    assert loaded.kind == "ivf" and loaded.entries.ids.tolist() == ids.tolist()


@pytest.mark.parametrize("sparse_ids", [False, True])
def test_allowed_ids_filter_the_same_with_bitmap_or_hash_set(sparse_ids: bool) -> None:
    """Dense ids use a bitmap filter, huge ids a hash set: both return the same results."""
    rng = np.random.default_rng(3)
    ids = np.arange(1, 2001, dtype=np.int64) * (1 << 30 if sparse_ids else 1)
    vectors = unit(rng, len(ids))
    index = VectorIndex.build("m@1", ids, vectors, keys(ids), approximate_threshold=1000)
    assert index.kind == "ivf"
    exact = VectorIndex.build("m@1", ids, vectors, keys(ids))
    for _ in range(5):
        q = unit(rng, 1)[0]
        allowed = ids[rng.random(len(ids)) < 0.3]
        found, _ = exact.search(q, 20, allowed=allowed)
        assert set(found.tolist()) <= set(allowed.tolist())
        expected = allowed[np.argsort(-(vectors[np.isin(ids, allowed)] @ q))[:20]]
        assert found.tolist() == expected.tolist()
        approx, _ = index.search(q, 20, allowed=allowed)
        assert set(approx.tolist()) <= set(allowed.tolist())


def test_factory_strings_describe_the_index_and_bad_ones_are_refused(tmp_path: Path) -> None:
    """The factory string chosen (exact, or the approximate one with its nlist) is kept in the
    header and read back; a string FAISS cannot build, or an index that cannot remove ids,
    is refused with a message naming what to use."""
    rng = np.random.default_rng(4)
    ids = np.arange(2000, dtype=np.int64)
    vectors = unit(rng, len(ids))
    approx = VectorIndex.build(
        "m@1",
        ids,
        vectors,
        keys(ids),
        approximate_threshold=1000,
        approximate_factory="IVF{nlist},Flat",
    )
    assert approx.factory == "IVF44,Flat" and approx.kind == "ivf"
    path = tmp_path / "ivf.index"
    approx.save(path)
    header, _, _ = read_index_file(path)
    assert header.factory == "IVF44,Flat" and header.kind == "ivf"
    assert VectorIndex.load(path).factory == "IVF44,Flat"
    assert VectorIndex.build("m@1", ids[:10], vectors[:10], keys(ids[:10])).factory == "IDMap2,Flat"
    with pytest.raises(ValueError, match="invalide"):
        VectorIndex.build("m@1", ids[:10], vectors[:10], keys(ids[:10]), factory="Nonsense42")
    with pytest.raises(ValueError, match="non pris en charge"):
        VectorIndex.build("m@1", ids[:10], vectors[:10], keys(ids[:10]), factory="HNSW32")


def test_the_approximate_index_is_chosen_by_size_within_the_memory_budget() -> None:
    """Full vectors while they fit, 8-bit codes beyond, product codes beyond that; a size
    that fits in nothing is refused with the setting to change."""
    assert choose_factory(100_000, 384, 1024) == "IVF{nlist},Flat"  # 156 MB of floats
    assert choose_factory(1_000_000, 384, 1024) == "IVF{nlist},SQfp16"  # floats: 1.5 GB
    assert choose_factory(2_000_000, 384, 1024) == "IVF{nlist},SQ8"
    assert choose_factory(5_000_000, 384, 1024) == "IVF{nlist},PQ96"
    assert choose_factory(20_000_000, 384, 1024).startswith("IVF{nlist},PQ")
    with pytest.raises(ValueError, match="TREMPLIN_INDEX_MEMORY_BUDGET_MB"):
        choose_factory(10**9, 384, 1024)


def test_a_compressed_index_reaches_the_recall_target_against_the_original_vectors() -> None:
    """Under a small budget the index stores half floats or 8-bit codes, yet its nprobe is
    tuned until recall@10 against exact search over the original vectors reaches the target;
    under a smaller one, product codes, whose measured recall is recorded whatever it is; a
    restricted search probes more lists the fewer ids it may return."""
    rng = np.random.default_rng(5)
    centres = unit(rng, 40)
    vectors = centres[rng.integers(0, 40, 4000)] + rng.normal(scale=0.05, size=(4000, DIM))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    ids = np.arange(4000, dtype=np.int64)
    for budget, code in ((0.3, "SQfp16"), (0.17, "SQ8")):
        index = VectorIndex.build(
            "m@1", ids, vectors, keys(ids), approximate_threshold=1000, memory_budget_mb=budget
        )
        assert index.factory == f"IVF63,{code}"
        assert index.recall_at_10 is not None and index.recall_at_10 >= 0.95
    pq = VectorIndex.build(
        "m@1", ids, vectors, keys(ids), approximate_threshold=1000, memory_budget_mb=0.145
    )
    assert pq.factory.startswith("IVF63,PQ") and pq.recall_at_10 is not None
    assert pq.recall_at_10 >= 0.95 or pq.nprobe == 63
    queries = unit(rng, 50)
    truth = exact_top(queries, vectors, 10)
    assert truth.tolist() == np.argsort(-(queries @ vectors.T), axis=1)[:, :10].tolist()
    assert index.restricted_nprobe(len(ids)) == index.nprobe
    assert index.restricted_nprobe(len(ids) // 10) >= min(10 * index.nprobe, index.index.nlist)
    assert index.restricted_nprobe(1) == index.index.nlist

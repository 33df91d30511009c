"""Vector indexes by size: recall@10 against exact search, memory, build time and latency.

Run: ``.venv/bin/python benchmarks/bench_index.py [--sizes 10000 100000 1000000]``.
Writes ``benchmarks/results/index-<date>.json``.

Vectors: the sample's 3,000 opportunity embeddings (the served encoder, via the embedding
cache) spread into ``n`` synthetic ones: each a sample vector plus Gaussian noise whose norm
is the sample's median nearest-neighbour distance, normalised. Queries: real profile query
embeddings of the sample's beneficiaries (text is not needed at 1M; the vector distribution
is). The baseline is exact search (``IDMap2,Flat``) over the same vectors, in the same run.

Indexes: the product's choice (:func:`matching.vector_index.choose_factory` inside
:class:`~matching.vector_index.VectorIndex`, nprobe tuned to recall 0.95), each IVF code
(Flat, SQfp16, SQ8, PQ48) tuned the same way, HNSW32 (efSearch raised until recall 0.95;
not servable: it cannot remove ids) up to ``--hnsw-max`` vectors, and two IVF-SQ8 shards
searched in parallel (``faiss.IndexShards``). Single-query latency is measured on one
thread (one server worker's share); restricted search with 10 % of ids allowed too.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import faiss
import numpy as np
from bench_common import machine, percentiles, rss_mb, write_result

from matching.catalogue import dense_text
from matching.embedding_cache import EmbeddingCache, text_key
from matching.encoder import served_encoder
from matching.engine import cache_path
from matching.profile import ProfileView
from matching.vector_index import VectorIndex, choose_factory, exact_top
from tremplin.sample.generator import generate
from tremplin.settings import get_settings
from tremplin.taxonomy import load_taxonomy

_faiss: Any = faiss


def sample_vectors(queries: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """The sample's opportunity vectors, ``queries`` profile query vectors to measure with and
    as many others to tune nprobe on (as the engine tunes on stored profiles' queries)."""
    settings = get_settings()
    tax = load_taxonomy()
    encoder = served_encoder(settings)
    world = generate(42, n_opportunities=3000, n_beneficiaries=queries * 3)
    cache = EmbeddingCache(cache_path(settings))
    try:
        base = cache.embed(
            encoder, [dense_text(o, tax) for o in world.opportunities], "passage", progress=True
        )
        texts = [". ".join(ProfileView(b, tax).query_parts) for b in world.beneficiaries]
        q = cache.embed(encoder, [t for t in texts if t][: 2 * queries], "query", progress=True)
    finally:
        cache.close()
    q = np.asarray(q, dtype=np.float32)
    return np.asarray(base, dtype=np.float32), q[:queries], q[queries:], encoder.version


def synthetic(base: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` unit vectors spread around the sample's: noise of the sample's median
    nearest-neighbour distance around a randomly chosen sample vector."""
    rng = np.random.default_rng(seed)
    nearest = exact_top(base[:1000], base, 2)[:, 1]
    spread = float(np.median(np.linalg.norm(base[:1000] - base[nearest], axis=1)))
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        size = min(100_000, n - start)
        block = base[rng.integers(0, len(base), size)] + rng.normal(
            scale=spread / np.sqrt(base.shape[1]), size=(size, base.shape[1])
        ).astype(np.float32)
        out[start : start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each query's true top ids that were found."""
    return float(
        np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])
    )


def timed(search: Callable[[np.ndarray], Any], queries: np.ndarray) -> dict[str, float]:
    """Single-query latency percentiles of ``search`` over ``queries`` (one thread)."""
    faiss.omp_set_num_threads(1)
    for q in queries[:5]:
        search(q)
    seconds = []
    for q in queries:
        t0 = time.perf_counter()
        search(q)
        seconds.append(time.perf_counter() - t0)
    faiss.omp_set_num_threads(0)  # back to every core
    return percentiles(seconds)


def tune(
    search: Callable[[np.ndarray], np.ndarray],
    set_param: Callable[[int], None],
    values: list[int],
    queries: np.ndarray,
    truth: np.ndarray,
    target: float = 0.95,
) -> tuple[int, float]:
    """The smallest parameter value reaching ``target`` recall@10 (else the largest tried)."""
    value, got = values[-1], 0.0
    for v in values:
        set_param(v)
        got = recall(np.stack([search(q) for q in queries]), truth)
        if got >= target:
            return v, got
        value = v
    return value, got


def measure_product(
    n: int,
    vectors: np.ndarray,
    ids: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    allowed: np.ndarray,
    allowed_truth: np.ndarray,
    tuning: np.ndarray,
    version: str,
    factory: str,
    label: str,
) -> dict[str, Any]:
    """One :class:`VectorIndex` (as the engine builds it): build, memory, recall, latency."""
    keys = [text_key(str(i), "passage") for i in ids]
    before = rss_mb()
    t0 = time.perf_counter()
    index = VectorIndex.build(
        version,
        ids,
        vectors,
        keys,
        approximate_threshold=1 if factory != "exact" else n + 1,
        approximate_factory=factory if factory != "exact" else "auto",
        tuning_queries=tuning,
    )
    build_s = time.perf_counter() - t0
    memory = rss_mb() - before
    body = faiss.serialize_index(index.index).nbytes

    def search(q: np.ndarray) -> Any:
        return index.search(q, 10)

    def search_allowed(q: np.ndarray) -> Any:
        return index.search(q, 10, allowed=allowed)

    found = np.stack([index.search(q, 10)[0] for q in queries])
    restricted = np.stack([index.search(q, 10, allowed=allowed)[0] for q in queries])
    out = {
        "index": label,
        "factory": index.factory,
        "nprobe": index.nprobe,
        "build_s": round(build_s, 2),
        "faiss_mb": round(body / 2**20, 1),
        "memory_mb": round(memory, 1),
        "recall_at_10": round(recall(found, truth), 4),  # ids are positions
        "latency": timed(search, queries),
        "restricted_recall_at_10": round(recall(restricted, allowed_truth), 4),
        "restricted_nprobe": index.restricted_nprobe(len(allowed)) if index.kind == "ivf" else 0,
        "restricted_latency": timed(search_allowed, queries),
    }
    return out


def measure_hnsw(
    vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, tuning: np.ndarray
) -> dict[str, Any]:
    """HNSW32 over full vectors, efSearch raised until recall 0.95."""
    before = rss_mb()
    t0 = time.perf_counter()
    index = _faiss.index_factory(vectors.shape[1], "HNSW32,Flat", faiss.METRIC_INNER_PRODUCT)
    index.add(vectors)
    build_s = time.perf_counter() - t0
    memory = rss_mb() - before

    def search(q: np.ndarray) -> np.ndarray:
        return np.asarray(index.search(q.reshape(1, -1), 10)[1][0])

    def set_ef(v: int) -> None:
        index.hnsw.efSearch = v

    ef, _ = tune(
        search, set_ef, [16, 32, 64, 128, 256, 512], tuning, exact_top(tuning, vectors, 10)
    )
    set_ef(ef)
    got = recall(np.stack([search(q) for q in queries]), truth)
    return {
        "index": "HNSW32,Flat (not servable: no removal)",
        "factory": "HNSW32,Flat",
        "efSearch": ef,
        "build_s": round(build_s, 2),
        "faiss_mb": round(faiss.serialize_index(index).nbytes / 2**20, 1),
        "memory_mb": round(memory, 1),
        "recall_at_10": round(got, 4),
        "latency": timed(search, queries),
    }


def measure_shards(
    vectors: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    tuning: np.ndarray,
    code: str,
    shards: int = 2,
) -> dict[str, Any]:
    """``shards`` IVF indexes (vectors stored as ``code``) over equal parts, searched in
    parallel threads."""
    n, dim = vectors.shape
    nlist = max(16, int(np.sqrt(n / shards)))
    before = rss_mb()
    t0 = time.perf_counter()
    joined = _faiss.IndexShards(dim, True, False)  # threaded; ids as added
    parts = []
    for s in range(shards):
        part = _faiss.index_factory(dim, f"IVF{nlist},{code}", faiss.METRIC_INNER_PRODUCT)
        chunk = vectors[s::shards]
        part.train(chunk[: 64 * nlist])
        part.add_with_ids(chunk, np.arange(s, n, shards, dtype=np.int64))
        parts.append(part)
        joined.add_shard(part)
    build_s = time.perf_counter() - t0
    memory = rss_mb() - before

    def search(q: np.ndarray) -> np.ndarray:
        return np.asarray(joined.search(q.reshape(1, -1), 10)[1][0])

    def set_nprobe(v: int) -> None:
        for p in parts:
            p.nprobe = v

    values = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    nprobe, _ = tune(search, set_nprobe, values, tuning, exact_top(tuning, vectors, 10))
    set_nprobe(nprobe)
    got = recall(np.stack([search(q) for q in queries]), truth)
    faiss.omp_set_num_threads(2)  # the shards' threads, one per core
    seconds = []
    for q in queries:
        t0 = time.perf_counter()
        search(q)
        seconds.append(time.perf_counter() - t0)
    faiss.omp_set_num_threads(0)
    return {
        "index": f"{shards} shards IVF{nlist},{code} (parallel)",
        "factory": f"IndexShards({shards}x IVF{nlist},{code})",
        "nprobe": nprobe,
        "build_s": round(build_s, 2),
        "faiss_mb": round(sum(faiss.serialize_index(p).nbytes for p in parts) / 2**20, 1),
        "memory_mb": round(memory, 1),
        "recall_at_10": round(got, 4),
        "latency": percentiles(seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--hnsw-max", type=int, default=100_000)
    parser.add_argument("--budget-mb", type=float, default=1024.0)
    args = parser.parse_args()
    base, queries, tuning, version = sample_vectors(args.queries)
    report: dict[str, Any] = {
        "machine": machine(),
        "encoder": version,
        "queries": len(queries),
        "memory_budget_mb": args.budget_mb,
        "sizes": {},
    }
    rng = np.random.default_rng(7)
    for n in args.sizes:
        vectors = synthetic(base, n)
        ids = np.arange(n, dtype=np.int64)
        truth = exact_top(queries, vectors, 10)
        allowed = np.flatnonzero(rng.random(n) < 0.1)
        allowed_truth = allowed[exact_top(queries, vectors[allowed], 10)]
        rows = []
        chosen = choose_factory(n, vectors.shape[1], args.budget_mb)
        plans = [("exact", "exact (baseline)"), ("auto", f"product choice ({chosen})")]
        plans += [
            (f, f)
            for f in ("IVF{nlist},Flat", "IVF{nlist},SQfp16", "IVF{nlist},SQ8", "IVF{nlist},PQ48")
            if f != chosen
        ]
        for factory, label in plans:
            rows.append(
                measure_product(
                    n,
                    vectors,
                    ids,
                    queries,
                    truth,
                    allowed,
                    allowed_truth,
                    tuning,
                    version,
                    factory,
                    label,
                )
            )
            print(f"n={n} {rows[-1]}", flush=True)
        if n <= args.hnsw_max:
            rows.append(measure_hnsw(vectors, queries, truth, tuning))
            print(f"n={n} {rows[-1]}", flush=True)
        if n >= 100_000:
            code = chosen.split(",")[1]
            rows.append(measure_shards(vectors, queries, truth, tuning, code))
            print(f"n={n} {rows[-1]}", flush=True)
        exact = rows[0]
        for row in rows:
            row["p95_over_exact"] = round(row["latency"]["p95_ms"] / exact["latency"]["p95_ms"], 3)
        report["sizes"][str(n)] = {"chosen": chosen, "indexes": rows}
        del vectors
    write_result("index", report)


if __name__ == "__main__":
    main()

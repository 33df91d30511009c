"""Shortlist latency, index build throughput and memory, with the bare encode+FAISS floor.

Run: ``.venv/bin/python benchmarks/bench_matching.py [--sizes 10000 100000] [--queries 60]``.
Prints a table and writes ``benchmarks/results/matching-<date>.json``. When the configured
MLflow registry has a champion re-ranker (``tremplin train``), shortlists re-ranked by it are
timed too, beside the fusion's, with the same profiles.

Catalogues above the sample's 3,000 opportunities are the sample repeated with new ids and
shifted postcodes; their vectors are the encoded sample vectors plus small noise, because
encoding 100,000 distinct texts takes about 15 minutes on 2 cores: the encoder's throughput
is measured on its own (distinct, uncached texts), and the index build throughput reported
is encoding-bound for new texts and FAISS-bound for texts already in the cache.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from bench_common import machine, percentiles, rss_mb, write_result

from data_contracts.enums import OpportunityKind
from matching.catalogue import OpportunityCatalogue, dense_text
from matching.champion import load_champion
from matching.embedding_cache import EmbeddingCache, text_key
from matching.encoder import Encoder, forget_queries, served_encoder
from matching.engine import ad_coder, title_linker
from matching.filters import apply_filters
from matching.profile import ProfileView
from matching.shortlist import dense_channel, shortlist
from matching.vector_index import VectorIndex
from tremplin.sample.draw import REFERENCE_DATE
from tremplin.sample.generator import generate
from tremplin.settings import get_settings
from tremplin.taxonomy import load_taxonomy


def forget_all(cat: OpportunityCatalogue) -> None:
    """Forget every profile's query vectors, wish links and wish codings (a cold profile)."""
    forget_queries()
    if cat.linker is not None:
        cat.linker.forget()
    if cat.coder is not None:
        cat.coder.forget()


@contextmanager
def previous_cold_path() -> Iterator[None]:
    """The cold path before issue 36, for the baseline measured in the same run: the linker
    and the ad coder encode the wish on their own, and the dense query is one more encoder
    pass over the joined text (wish, surest target labels, experience titles; 1,000 chars)."""

    def query_vector(self: ProfileView, encoder: Encoder) -> np.ndarray:
        tax = self.taxonomy
        parts = [self.profile.aspirations.text.strip()]
        parts += [tax.metiers[c].label for c, w in self.target_weights.items() if w >= 0.5]
        parts += [e.title for e in self.profile.experiences[:5]]
        text = ". ".join(p for p in parts if p) or ". ".join(self.query_parts)
        return encoder.encode_query(text[:1000])

    def prepare(self: ProfileView, encoder: Encoder) -> None:
        return None

    saved = ProfileView.query_vector, ProfileView.prepare
    ProfileView.query_vector = query_vector  # type: ignore[method-assign]
    ProfileView.prepare = prepare  # type: ignore[method-assign]
    try:
        yield
    finally:
        ProfileView.query_vector, ProfileView.prepare = saved  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    settings = get_settings()
    tax = load_taxonomy()
    encoder = served_encoder(settings)
    cache = EmbeddingCache(settings.embedding_cache or settings.data_dir / "index" / "emb.sqlite")
    base = generate(42, n_opportunities=3000, n_beneficiaries=args.queries)
    texts = [dense_text(o, tax) for o in base.opportunities]
    base_vectors = cache.embed(encoder, texts, "passage", progress=True)
    # encoder throughput on distinct texts never seen (no cache)
    fresh = [f"{t} ({i})" for i, t in enumerate(texts[:512])]
    t0 = time.perf_counter()
    encoder.encode_passages(fresh)
    encode_per_s = len(fresh) / (time.perf_counter() - t0)
    profiles = [b for b in base.beneficiaries if not ProfileView(b, tax).is_empty]
    codes = sorted({o.location.postcode for o in base.opportunities if o.location.postcode})
    rng = np.random.default_rng(0)
    reranker = load_champion(settings)
    linker = title_linker(settings, encoder)
    coder = ad_coder(settings, encoder)  # the served engine reads wishes with both
    # as the engine tunes an approximate index: on stored profiles' queries (others than the
    # profiles timed below)
    others = generate(7, n_opportunities=50, n_beneficiaries=300).beneficiaries
    tuning_texts = [t for t in (". ".join(ProfileView(b, tax).query_parts) for b in others) if t]
    tuning_texts = tuning_texts[:200]
    tuning = cache.embed(encoder, tuning_texts, "query")
    report: dict[str, Any] = {
        "machine": machine(),
        "encoder": encoder.version,
        "reranker": reranker.version if reranker else None,
        "encode_passages_per_s_uncached": round(encode_per_s, 1),
        "sizes": {},
    }
    for n in args.sizes:
        reps = -(-n // len(base.opportunities))
        items: list[Any] = []
        vectors: list[Any] = []
        for r in range(reps):
            for o, v in zip(base.opportunities, base_vectors, strict=True):
                if len(items) == n:
                    break
                loc = (
                    o.location
                    if r == 0
                    else {"postcode": codes[((o.location.postcode or 0) + r * 37) % len(codes)]}
                )
                items.append(
                    o
                    if r == 0
                    else o.model_copy(
                        update={
                            "id": f"{o.id}-r{r}",
                            "location": type(o.location).model_validate(loc),
                        }
                    )
                )
                noisy = v + (rng.normal(scale=0.02, size=v.shape) if r else 0)
                vectors.append(noisy / np.linalg.norm(noisy))
        vectors_arr = np.asarray(vectors, dtype=np.float32)
        ids = np.arange(1, n + 1, dtype=np.int64)
        before = rss_mb()
        t0 = time.perf_counter()
        index = VectorIndex.build(
            encoder.version,
            ids,
            vectors_arr,
            [text_key(dense_text(o, tax), "passage") for o in items],
            tuning_queries=tuning,
        )
        faiss_build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        cat = OpportunityCatalogue(
            items, tax, ids=ids, encoder=encoder, index=index, linker=linker, coder=coder
        )
        catalogue_s = time.perf_counter() - t0
        memory = rss_mb() - before
        # the engine as it was before title linking, measured side by side (same run, same data)
        # (up to 100k: a second catalogue at 1M would double the memory measured)
        plain = (
            OpportunityCatalogue(items, tax, ids=ids, encoder=encoder, index=index)
            if n <= 100_000
            else None
        )
        kinds = frozenset(OpportunityKind)
        encoder.warm_up()
        for p in profiles[:3]:  # warm-up
            shortlist(p, cat, today=REFERENCE_DATE, kinds=kinds)
        cold, warm, floor, reranked, unlinked, previous = [], [], [], [], [], []
        for p in profiles:
            # nothing of the person in memory (links, codings and query vectors forgotten)
            forget_all(cat)
            # the floor: the shortlist's own dense channel (single-query encode, then the same
            # FAISS search restricted to the same eligible ids), nothing else
            view = ProfileView.of(p, cat)
            eligible = np.flatnonzero(apply_filters(p, cat.columns, REFERENCE_DATE, kinds).eligible)
            t0 = time.perf_counter()
            dense_channel(view, cat, eligible)
            floor.append(time.perf_counter() - t0)
            forget_all(cat)
            if plain is not None:
                t0 = time.perf_counter()
                shortlist(p, plain, today=REFERENCE_DATE, kinds=kinds)
                unlinked.append(time.perf_counter() - t0)
            forget_all(cat)
            with previous_cold_path():
                t0 = time.perf_counter()
                shortlist(p, cat, today=REFERENCE_DATE, kinds=kinds)
                previous.append(time.perf_counter() - t0)
            forget_all(cat)
            t0 = time.perf_counter()
            shortlist(p, cat, today=REFERENCE_DATE, kinds=kinds)
            cold.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            shortlist(p, cat, today=REFERENCE_DATE, kinds=kinds)
            warm.append(time.perf_counter() - t0)
            if reranker is not None:
                t0 = time.perf_counter()
                shortlist(p, cat, today=REFERENCE_DATE, kinds=kinds, reranker=reranker)
                reranked.append(time.perf_counter() - t0)
        sl, fl = percentiles(cold), percentiles(floor)
        report["sizes"][str(n)] = {
            "index_kind": index.kind,
            "nprobe": index.nprobe,
            "recall_at_10_vs_exact": index.recall_at_10,
            "shortlist": sl,
            "shortlist_previous_cold_path": percentiles(previous),
            "shortlist_without_title_linking": percentiles(unlinked) if unlinked else None,
            "shortlist_over_without_linking_p95": (
                round(sl["p95_ms"] / percentiles(unlinked)["p95_ms"], 2) if unlinked else None
            ),
            "shortlist_profile_vector_cached": percentiles(warm),
            "shortlist_reranked_profile_vector_cached": percentiles(reranked) if reranked else None,
            "floor_encode_plus_faiss": fl,
            "shortlist_over_floor_p95": round(sl["p95_ms"] / fl["p95_ms"], 2),
            "faiss_add_per_s": round(n / faiss_build_s, 1),
            "catalogue_build_s": round(catalogue_s, 2),
            "index_build_per_s_new_texts": round(1 / (1 / encode_per_s + faiss_build_s / n), 1),
            "memory_mb": round(memory, 1),
            "memory_kb_per_opportunity": round(1024 * memory / n, 2),
            "queries": len(profiles),
        }
        print(f"n={n}: {json.dumps(report['sizes'][str(n)])}", flush=True)
    write_result("matching", report, args.out)


if __name__ == "__main__":
    main()

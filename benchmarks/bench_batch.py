"""Nightly rescoring throughput: Ray Data (local mode) against a plain single-process loop over
the same work, simulated multi-worker scaling, and the 230,000-beneficiary projection.

Run: ``.venv/bin/python benchmarks/bench_batch.py [--people 2000] [--fresh 500]``.
Writes ``benchmarks/results/batch-<date>.json``.

The world: ``--fresh`` opportunities (a generous day of new offers: Forem publishes tens of
thousands a year) and ``--people`` beneficiaries, stored and indexed in a folder of its own;
the profiles' query vectors are in the embedding cache first (the nightly steady state:
profiles change rarely and ``tremplin batch embed profiles`` refreshes them), and the encoding
cost of a changed profile is measured on its own.

1. **Loop vs Ray**: :func:`services.batch.rescore.rescore` with ``engine="loop"`` (one
   process, every core for its libraries) and with ``engine="ray"`` (local Ray, one actor per
   core), same rows, same results; Ray's start-up is timed apart and included in its total.
   Twice: with the profiles' queries encoded in the run (a night after profiles changed: the
   target's comparison), and with every query vector cached (the steady state, where Ray's
   fixed cost — start-up, each actor loading the model and the title linker — weighs most).
2. **Simulated workers**: one single-threaded worker ranks every batch, each batch timed; a
   night of 230,000 people is made of batches drawn from those, W workers are simulated by
   handing batches to the first free worker (what an actor pool does), wall = a worker's
   start-up in a fresh process + the busiest worker's time; speed-up and efficiency per W.
3. **Projection**: 230,000 beneficiaries / (per-worker throughput x workers of a small
   cluster) + start-up, with and without re-encoding every profile's query.
"""

from __future__ import annotations

import argparse
import heapq
import os
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from bench_common import machine, write_result
from sample_world import indexed_sample

WALLONIA_JOB_SEEKERS = 230_000


def simulate(batch_seconds: list[float], workers: int) -> float:
    """Makespan of batches handed in order to the first free of ``workers`` workers."""
    free = [0.0] * workers
    for cost in batch_seconds:
        heapq.heappush(free, heapq.heappop(free) + cost)
    return max(free)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--fresh", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--cluster-workers", type=int, default=32)
    parser.add_argument("--data-dir", type=Path, default=Path("build/bench-batch"))
    args = parser.parse_args()
    folder = args.data_dir / f"{args.fresh}x{args.people}"
    settings, factory = indexed_sample(folder, 11, args.fresh, args.people, progress=True)
    import datetime as dt

    import ray

    from matching.embedding_cache import EmbeddingCache
    from matching.encoder import served_encoder
    from matching.engine import cache_path
    from services.batch.parquet import read_folder
    from services.batch.rescore import RescoreWorker, prepare_job, profile_rows, rescore
    from services.batch.runtime import BatchOptions
    from tremplin.sample.draw import REFERENCE_DATE

    day: dt.date = REFERENCE_DATE
    with factory() as session:
        job = prepare_job(settings, session, None, None, day, 20)
        rows = profile_rows(session)
    from data_contracts.models import BeneficiaryProfile
    from matching.profile import ProfileView

    probe = RescoreWorker(job)
    texts = [
        ". ".join(
            ProfileView.of(
                BeneficiaryProfile.model_validate_json(r["profile"]), probe.catalogue
            ).encoded_texts
        )
        for r in rows
    ]
    texts = [t for t in texts if t]
    encoder = served_encoder(settings)
    cache = EmbeddingCache(cache_path(settings))
    sample = [f"{t} ({i})" for i, t in enumerate(texts[:256])]  # never seen: really encoded
    t0 = time.perf_counter()
    encoder.encode(sample, "query")
    query_encode_s = (time.perf_counter() - t0) / len(sample)

    out = args.data_dir / "out"
    report: dict[str, Any] = {
        "machine": machine(),
        "people": len(rows),
        "fresh_opportunities": len(job.ids),
        "batch_size": args.batch_size,
    }
    cores = os.cpu_count() or 1

    def compare(regime: str) -> dict[str, Any]:
        """The loop, then Ray (its start-up timed apart and included), on the same work."""
        if regime == "queries encoded in the run":
            cache.forget(texts, "query")
        loop = rescore(settings, factory, out, BatchOptions(engine="loop", batch_size=args.batch_size),
                       everything=True, today=day, load=False)  # fmt: skip
        if regime == "queries encoded in the run":
            cache.forget(texts, "query")
        t0 = time.perf_counter()
        ray.init(
            num_cpus=cores, include_dashboard=False, log_to_driver=False, configure_logging=False
        )
        start = time.perf_counter() - t0
        try:
            on_ray = rescore(settings, factory, out,
                             BatchOptions(engine="ray", workers=cores, batch_size=args.batch_size),
                             everything=True, today=day, load=False)  # fmt: skip
        finally:
            t0 = time.perf_counter()
            ray.shutdown()
            stop = time.perf_counter() - t0
        a = read_folder(Path(loop.output)).to_pandas()
        b = read_folder(Path(on_ray.output)).to_pandas()
        both = a.merge(b, on=["beneficiary_id", "opportunity_id"], suffixes=("_loop", "_ray"))
        same = len(a) == len(b) == len(both) and bool((both["rank_loop"] == both["rank_ray"]).all())
        total = start + on_ray.seconds + stop
        row = {
            "regime": regime,
            "loop_s": loop.seconds,
            "ray_s": round(total, 2),
            "ray_start_s": round(start, 2),
            "ray_stop_s": round(stop, 2),
            "ray_actors": cores,
            "ray_over_loop": round(total / loop.seconds, 3),
            "same_results": bool(same),
            # the same pairs found by both, and how far their scores are apart: query vectors
            # encoded in batches of other compositions differ in the last float bits, which
            # can swap near-tied offers
            "pairs_in_common": round(len(both) / max(len(a), 1), 4),
            "same_rank_share": round(float((both["rank_loop"] == both["rank_ray"]).mean()), 4),
            "max_score_difference": float((both["score_loop"] - both["score_ray"]).abs().max()),
            "candidates": loop.candidates,
        }
        print(row, flush=True)
        return row

    # 1. the loop against Ray: queries encoded in the run (a night after profiles changed, the
    # target's comparison), then with every query vector already cached (the steady state)
    report["loop_vs_ray"] = compare("queries encoded in the run")
    report["loop_vs_ray_queries_cached"] = compare("queries cached")
    cache.close()
    # a worker's start in a fresh process (what each actor pays: imports, model, linker)
    with tempfile.TemporaryDirectory() as tmp:
        pickled = Path(tmp) / "job.pickle"
        pickled.write_bytes(pickle.dumps(replace(job, threads=1)))
        code = (
            "import pickle,time,sys;t=time.perf_counter();"
            "from services.batch.rescore import RescoreWorker;"
            f"RescoreWorker(pickle.loads(open({str(pickled)!r},'rb').read()));"
            "print(time.perf_counter()-t)"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        fresh_start_s = float(done.stdout.strip().splitlines()[-1])
    # 2. simulated workers from one single-threaded worker's timed batches
    from services.engine import limit_compute_threads

    single = RescoreWorker(replace(job, threads=1))  # as one Ray actor
    start_s = fresh_start_s
    limit_compute_threads(1)
    batch_seconds = []
    for s in range(0, len(rows), args.batch_size):
        chunk = rows[s : s + args.batch_size]
        columns = {
            n: np.asarray([r[n] for r in chunk]) for n in ("beneficiary_id", "cpas_id", "profile")
        }
        t0 = time.perf_counter()
        single(columns)
        batch_seconds.append(time.perf_counter() - t0)
    # a simulated night of the projection's size: the measured batches drawn again until
    # 230,000 people are covered, handed to W workers that each pay the start-up once
    night = (
        np.random.default_rng(0)
        .choice(batch_seconds, size=-(-WALLONIA_JOB_SEEKERS // args.batch_size))
        .tolist()
    )
    one = simulate(night, 1)
    scaling = []
    for workers in (1, 2, 4, 8, 16, 32, 64):
        wall = start_s + simulate(night, workers)
        speedup = (start_s + one) / wall
        scaling.append({"workers": workers, "wall_s": round(wall, 2), "speedup": round(speedup, 2),
                        "efficiency": round(speedup / workers, 3)})  # fmt: skip
    per_person_s = sum(batch_seconds) / len(rows)
    report["simulated_workers"] = {
        "worker_start_s": round(start_s, 2),  # measured in a fresh process
        "batches_measured": len(batch_seconds),
        "batches_simulated": len(night),
        "per_person_ms": round(1000 * per_person_s, 3),
        "per_worker_people_per_s": round(1 / per_person_s, 1),
        "scaling": scaling,
    }
    print(report["simulated_workers"], flush=True)
    # 3. the nightly projection for Wallonia
    workers = args.cluster_workers
    cached = start_s + WALLONIA_JOB_SEEKERS * per_person_s / workers
    encoded = start_s + WALLONIA_JOB_SEEKERS * (per_person_s + query_encode_s) / workers
    report["projection"] = {
        "beneficiaries": WALLONIA_JOB_SEEKERS,
        "fresh_opportunities": len(job.ids),
        "cluster_workers": workers,
        "per_person_ms": round(1000 * per_person_s, 3),
        "query_encode_ms": round(1000 * query_encode_s, 3),
        "wall_s_queries_cached": round(cached, 1),
        "wall_s_every_query_encoded": round(encoded, 1),
        "under_one_hour": encoded < 3600,
        "arithmetic": (
            f"{WALLONIA_JOB_SEEKERS} x ({1000 * per_person_s:.2f} ms + "
            f"{1000 * query_encode_s:.2f} ms encoding) / {workers} workers + "
            f"{start_s:.0f} s start-up = {encoded / 60:.1f} min"
        ),
    }
    print(report["projection"], flush=True)
    write_result("batch", report)


if __name__ == "__main__":
    main()

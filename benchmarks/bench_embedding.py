"""Encoder speed by runtime, device and batch size, in the same run over the same texts.

The baseline is the float32 model on torch at its served CPU batch (64); beside it the served
int8 export on ONNX Runtime, and a CUDA GPU when torch sees one. Three measures each: batch
throughput over the sample's distinct opportunity texts (never cached), the latency of one
short French query (what a cold shortlist pays), and a fresh process's start (import and load,
what each batch worker pays).

Run: ``.venv/bin/python benchmarks/bench_embedding.py [--texts 1024]``.
Writes ``benchmarks/results/embedding-<date>.json``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_common import machine, percentiles, write_result

from matching.catalogue import dense_text
from matching.encoder import Encoder, load_encoder, served_encoder
from tremplin.sample.generator import generate
from tremplin.settings import get_settings
from tremplin.taxonomy import load_taxonomy

QUERIES = [
    "aide-soignante en maison de repos",
    "chauffeur livreur permis C",
    "je voudrais travailler dans la vente",
    "technicienne de surface, temps partiel",
    "commis de cuisine à Liège",
]


def throughput(encoder: Encoder, texts: list[str], batch: int) -> float:
    """Texts per second encoding ``texts`` as passages in batches of ``batch``."""
    encoder.batch_size = batch  # type: ignore[attr-defined]
    encoder.encode(texts[:batch], "passage")  # warm-up (kernels, allocator)
    t0 = time.perf_counter()
    encoder.encode(texts, "passage")
    return len(texts) / (time.perf_counter() - t0)


def single_query(encoder: Encoder, rounds: int = 40) -> dict[str, float]:
    """Latency of one short query, never the same text twice (no memory helps)."""
    encoder.warm_up()
    times = []
    for i in range(rounds):
        text = f"{QUERIES[i % len(QUERIES)]} {i}"
        t0 = time.perf_counter()
        encoder.encode([text], "query")
        times.append(time.perf_counter() - t0)
    return percentiles(times)


def process_start(models: Path, runtime: str) -> float:
    """Seconds for a fresh Python process to import the encoder, load it and encode a query."""
    code = (
        "from pathlib import Path\n"
        "from matching.encoder import load_encoder\n"
        f"e = load_encoder('multilingual-e5-small', Path({str(models)!r}), runtime={runtime!r})\n"
        "e.encode(['aide-soignante'], 'query')\n"
    )
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, timeout=600)
    return time.perf_counter() - t0


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1024)
    args = parser.parse_args()
    settings = get_settings()
    served_encoder(settings)  # converts and exports the bundled model once if needed
    models = settings.models_dir or settings.data_dir / "models"
    tax = load_taxonomy()
    world = generate(3, n_opportunities=4 * args.texts, n_beneficiaries=10)
    texts = list(dict.fromkeys(dense_text(o, tax) for o in world.opportunities))
    texts = [f"{t} — {i}" for i, t in enumerate(texts * (1 + args.texts // len(texts)))]
    texts = texts[: args.texts]
    setups: list[tuple[str, str, list[int]]] = [
        ("torch-float32", "cpu", [16, 64, 256]),
        ("onnx-int8", "cpu", [1]),  # one text per run, a text per core at once
    ]
    if torch.cuda.is_available():
        setups.append(("torch-float32", "cuda", [64, 256, 512, 1024]))
    rows: list[dict[str, Any]] = []
    latency: list[dict[str, Any]] = []
    for runtime, device, sizes in setups:
        encoder = load_encoder(
            "multilingual-e5-small",
            models,
            device=device,
            runtime="torch" if runtime == "torch-float32" else "onnx-int8",
        )
        for batch in sizes:
            rate = throughput(encoder, texts, batch)
            rows.append(
                {
                    "runtime": runtime,
                    "device": device,
                    "batch_size": batch,
                    "texts_per_s": round(rate, 1),
                }
            )
            print(rows[-1], flush=True)
        latency.append({"runtime": runtime, "device": device, **single_query(encoder)})
        print(latency[-1], flush=True)
    baseline = next(
        r["texts_per_s"]
        for r in rows
        if r["runtime"] == "torch-float32" and r["device"] == "cpu" and r["batch_size"] == 64
    )
    for row in rows:
        row["over_baseline"] = round(row["texts_per_s"] / baseline, 2)
    starts = [
        {"runtime": name, "seconds": round(process_start(models, runtime), 2)}
        for name, runtime in (("torch-float32", "torch"), ("onnx-int8", "onnx-int8"))
    ]
    print(starts, flush=True)
    write_result(
        "embedding",
        {
            "machine": machine(),
            "texts": len(texts),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "baseline": "torch-float32, cpu, batch 64",
            "rows": rows,
            "single_query": latency,
            "process_start": starts,
        },
    )


if __name__ == "__main__":
    main()

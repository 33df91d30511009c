"""Encoder throughput by device and batch size: the CPU always, a CUDA GPU when torch sees one,
in the same run over the same texts (the sample's distinct opportunity texts, never cached).

Run: ``.venv/bin/python benchmarks/bench_embedding.py [--texts 1024]``.
Writes ``benchmarks/results/embedding-<date>.json``. The baseline is the CPU at the served
batch size (64); a GPU row says how many times faster it encodes the same texts.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench_common import machine, write_result

from matching.catalogue import dense_text
from matching.e5_conversion import MODEL_ID
from matching.encoder import SentenceTransformerEncoder, converted_e5_path, served_encoder
from tremplin.sample.generator import generate
from tremplin.settings import get_settings
from tremplin.taxonomy import load_taxonomy


def throughput(encoder: SentenceTransformerEncoder, texts: list[str], batch: int) -> float:
    """Texts per second encoding ``texts`` as passages in batches of ``batch``."""
    encoder.batch_size = batch
    encoder.encode(texts[:batch], "passage")  # warm-up (kernels, allocator)
    t0 = time.perf_counter()
    encoder.encode(texts, "passage")
    return len(texts) / (time.perf_counter() - t0)


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1024)
    args = parser.parse_args()
    settings = get_settings()
    served_encoder(settings)  # converts the bundled model once if needed
    path = converted_e5_path(settings.models_dir or settings.data_dir / "models")
    tax = load_taxonomy()
    world = generate(3, n_opportunities=4 * args.texts, n_beneficiaries=10)
    texts = list(dict.fromkeys(dense_text(o, tax) for o in world.opportunities))
    texts = [f"{t} — {i}" for i, t in enumerate(texts * (1 + args.texts // len(texts)))]
    texts = texts[: args.texts]
    rows: list[dict[str, Any]] = []
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        encoder = SentenceTransformerEncoder(path, MODEL_ID, "bench", device=device)
        sizes = [16, 64, 256] if device == "cpu" else [64, 256, 512, 1024]
        for batch in sizes:
            rate = throughput(encoder, texts, batch)
            rows.append({"device": device, "batch_size": batch, "texts_per_s": round(rate, 1)})
            print(rows[-1], flush=True)
        del encoder
    baseline = next(
        r["texts_per_s"] for r in rows if r["device"] == "cpu" and r["batch_size"] == 64
    )
    for row in rows:
        row["over_cpu_64"] = round(row["texts_per_s"] / baseline, 2)
    write_result(
        "embedding",
        {
            "machine": machine(),
            "texts": len(texts),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()

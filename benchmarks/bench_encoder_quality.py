"""The served int8 encoder against the float32 model on every external suite, in one run.

Runs ``tremplin evaluate --suite external`` twice in this process (ONNX Runtime int8, then
torch float32, each with its own caches), and keeps, for every set, split and method (engine
or fusion, and the encoder alone), the headline figure of both runtimes and whether the int8
one lies inside the float32 model's 95% bootstrap interval; the ad coder's accuracy on the
real ads beside its binomial interval. ``--from-reports INT8 FP32`` reads two ``external.json``
written by that command in one session instead of running them again.

Run: ``.venv/bin/python benchmarks/bench_encoder_quality.py [--size 300]`` (full suites: about
20 minutes on 2 cores). Writes ``benchmarks/results/encoder-quality-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from bench_common import machine, write_result

from training.suites.runner import ExternalReport, Task, run_external
from tremplin.settings import get_settings

HEADLINE: dict[Task, str] = {"titles": "success_at_1", "shortlists": "ndcg_at_10"}
METHODS = {"engine", "fusion", "dense"}


def measured(runtime: str, size: int | None) -> ExternalReport:
    """One external evaluation with the encoder on ``runtime``."""
    settings = get_settings().model_copy(update={"encoder_runtime": runtime})
    return run_external(settings, size=size, with_champion=False, log_to_mlflow=False)


def compare(int8: ExternalReport, fp32: ExternalReport) -> dict[str, Any]:
    """Rows of both runtimes' headline figures, and the ad coder's accuracy."""
    rows: list[dict[str, Any]] = []
    for task, metric in HEADLINE.items():
        ours = {(r.suite, r.split, r.method): r for r in int8.rows(task)}
        for ref in fp32.rows(task):
            if ref.method not in METHODS:
                continue
            base, new = ref.metrics[metric], ours[(ref.suite, ref.split, ref.method)]
            value = new.value(metric)
            rows.append(
                {
                    "task": task,
                    "suite": ref.suite,
                    "split": ref.split,
                    "method": ref.method,
                    "metric": metric,
                    "float32": round(base.value, 4),
                    "float32_low": round(base.low, 4),
                    "float32_high": round(base.high, 4),
                    "int8": round(value, 4),
                    "inside": base.low <= value <= base.high,
                }
            )
    coding: dict[str, Any] = {}
    if int8.ad_coding and fp32.ad_coding:
        a, b = int8.ad_coding.rows[0], fp32.ad_coding.rows[0]
        half = 1.96 * math.sqrt(b.accuracy_at_1 * (1 - b.accuracy_at_1) / b.ads)
        coding = {
            "method": b.method,
            "ads": b.ads,
            "float32_accuracy_at_1": round(b.accuracy_at_1, 4),
            "int8_accuracy_at_1": round(a.accuracy_at_1, 4),
            "binomial_half_width": round(half, 4),
            "inside": abs(a.accuracy_at_1 - b.accuracy_at_1) <= half,
        }
    return {
        "int8_encoder": int8.encoder_version,
        "float32_encoder": fp32.encoder_version,
        "rows": rows,
        "outside": sum(not r["inside"] for r in rows),
        "ad_coding": coding,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=None, help="cases per suite (full: none)")
    parser.add_argument("--from-reports", type=Path, nargs=2, metavar=("INT8", "FP32"))
    args = parser.parse_args()
    if args.from_reports:
        int8, fp32 = (
            ExternalReport.model_validate(json.loads(p.read_text(encoding="utf-8")))
            for p in args.from_reports
        )
        source = [p.as_posix() for p in args.from_reports]
    else:
        int8, fp32 = measured("onnx-int8", args.size), measured("torch", args.size)
        source = ["this run"]
    result = compare(int8, fp32)
    print(f"{len(result['rows'])} figures, {result['outside']} outside the float32 interval")
    write_result(
        "encoder-quality",
        {"machine": machine(), "size": args.size, "reports": source, **result},
    )


if __name__ == "__main__":
    main()

"""What every benchmark shares: the machine's facts, percentiles, memory, the JSON result file.

Each ``bench_*.py`` writes ``benchmarks/results/<name>-<date>.json`` with ``machine`` (these
facts, read in the same run) and a baseline measured beside what it times;
``benchmarks/report.py`` turns the newest file of each name into ``docs/performance.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
from pathlib import Path
from typing import Any

RESULTS = Path("benchmarks/results")


def machine() -> dict[str, Any]:
    """Facts about this machine and the numerical libraries, read now."""
    import faiss
    import numpy as np

    facts: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "faiss": faiss.__version__,
    }
    try:
        import torch

        facts["torch"] = torch.__version__
        facts["torch_threads"] = torch.get_num_threads()
        facts["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        facts["gpu"] = None
    return facts


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50, p95 and mean of durations in seconds, as milliseconds."""
    ordered = sorted(seconds)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 3),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 3),
        "mean_ms": round(1000 * statistics.fmean(ordered), 3),
    }


def rss_mb() -> float:
    """Resident memory of this process (MB)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def write_result(name: str, report: dict[str, Any], out: Path = RESULTS) -> Path:
    """Write ``report`` (with the date and machine added) as ``<out>/<name>-<date>.json``."""
    report = {"benchmark": name, "date": dt.date.today().isoformat(), **report}
    report.setdefault("machine", machine())
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}-{report['date']}.json"
    path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"written to {path}", flush=True)
    return path

"""``docs/performance.md`` from the newest result file of each benchmark (and its plots).

Run: ``.venv/bin/python benchmarks/report.py`` (``make bench`` runs it last). Every figure in
the page comes from ``benchmarks/results/*.json``; the page says which file and machine.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

RESULTS = Path("benchmarks/results")
PAGE = Path("docs/performance.md")
IMAGES = Path("docs/img")


def newest(
    name: str, results: Path = RESULTS, since: str | None = None, variant: str = ""
) -> tuple[Path, dict[str, Any]] | None:
    """The newest ``<name>-<date>.json`` (``<name>-<date>-<variant>.json`` with a
    ``variant``); with ``since`` (an ISO date), none older than that day (a figure of an
    earlier run is never shown as this run's)."""
    suffix = f"-{re.escape(variant)}" if variant else ""
    pattern = re.compile(rf"^{re.escape(name)}-(\d{{4}}-\d{{2}}-\d{{2}}){suffix}\.json$")
    found = sorted(
        p
        for p in results.glob(f"{name}-*.json")
        if (m := pattern.match(p.name)) and (since is None or m.group(1) >= since)
    )
    if not found:
        return None
    return found[-1], json.loads(found[-1].read_text(encoding="utf-8"))


def source(path: Path, data: dict[str, Any]) -> str:
    """The line naming a result file and its machine."""
    m = data.get("machine", {})
    gpu = f", GPU {m['gpu']}" if m.get("gpu") else ""
    return (
        f"*Source: `{path.as_posix()}` — {m.get('cpus', '?')} CPUs, "
        f"{m.get('memory_gb', '?')} GB, Python {m.get('python', '?')}{gpu}.*"
    )


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def mark(ok: bool) -> str:
    return "yes" if ok else "**no**"


def product_row(size: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in size["indexes"] if r["index"].startswith("product choice"))


def targets(idx: Any, match: Any, batch: Any, emb: Any) -> str:
    rows: list[list[Any]] = []
    if idx:
        sizes = idx[1]["sizes"]
        top = max(sizes, key=int)
        p = product_row(sizes[top])
        exact = sizes[top]["indexes"][0]
        n = f"{int(top):,}"
        rows += [
            [f"index recall@10 vs exact, {n}", "≥ 0.95", p["recall_at_10"], "exact: 1.0", "", mark(p["recall_at_10"] >= 0.95)],
            [f"index query p95, {n}", "< 20 ms", f"{p['latency']['p95_ms']} ms", f"exact: {exact['latency']['p95_ms']} ms", p["p95_over_exact"], mark(p["latency"]["p95_ms"] < 20)],
            [f"index memory, {n}", "< 1 GB", f"{p['faiss_mb']} MB ({p['factory']})", f"exact: {exact['faiss_mb']} MB", round(p["faiss_mb"] / exact["faiss_mb"], 2), mark(p["faiss_mb"] < 1024)],
        ]  # fmt: skip
    if match:
        sizes = match[1]["sizes"]
        top = max(sizes, key=int)
        s = sizes[top]
        cached = s["shortlist_profile_vector_cached"]["p95_ms"]
        rows.append(
            [f"full shortlist p95 (filters, channels, fusion), {int(top):,}", "< 150 ms",
             f"{cached} ms (stored profile: query vector prepared)",
             f"cold: {s['shortlist']['p95_ms']} ms = floor {s['floor_encode_plus_faiss']['p95_ms']} ms "
             "(query encoded + same restricted search) + the rest",
             s["shortlist_over_floor_p95"], mark(cached < 150)]
        )  # fmt: skip
        if "1000000" in sizes:  # issue 36: catalogue + index of a million offers
            mb = sizes["1000000"]["memory_mb"]
            rows.append(
                ["catalogue + index memory, 1,000,000", "< 1.5 GB", f"{mb} MB", "", "", mark(mb < 1536)]
            )  # fmt: skip
        # the latency targets of issue 36 are set at 100,000 offers (the largest size otherwise)
        at = "100000" if "100000" in sizes else top
        t = sizes[at]
        cold, warm = t["shortlist"]["p95_ms"], t["shortlist_profile_vector_cached"]["p95_ms"]
        previous = (t.get("shortlist_previous_cold_path") or {}).get("p95_ms")
        if previous:
            rows += [
                [f"cold shortlist p95 (a profile never seen), {int(at):,}", "< 60 ms",
                 f"{cold} ms", f"previous cold path: {previous} ms", round(cold / previous, 2),
                 mark(cold < 60)],
                [f"prepared profile shortlist p95, {int(at):,}", "< 15 ms", f"{warm} ms",
                 f"cold: {cold} ms", round(warm / cold, 2), mark(warm < 15)],
            ]  # fmt: skip
    if batch:
        b = batch[1]
        lr = b["loop_vs_ray"]
        rows.append(
            [f"batch rescoring, Ray local vs loop ({lr.get('regime', '')})", "≤ 1.5×", f"{lr['ray_s']} s ({lr['ray_actors']} actors)",
             f"loop: {lr['loop_s']} s", lr["ray_over_loop"], mark(lr["ray_over_loop"] <= 1.5)]
        )  # fmt: skip
        sim = b["simulated_workers"]
        s16 = next(x for x in sim["scaling"] if x["workers"] == 16)
        one = sim["scaling"][0]["wall_s"] - sim["worker_start_s"]
        work = one / (s16["wall_s"] - sim["worker_start_s"]) / 16  # start-up left out
        rows.append(
            ["simulated night of 230,000, 16 workers", "linear",
             f"speed-up {s16['speedup']} (work alone: {16 * work:.1f})",
             f"1 worker; each worker's start-up {sim['worker_start_s']} s",
             f"{s16['efficiency']} ({work:.3f} work alone)", mark(work >= 0.9)]
        )  # fmt: skip
        pr = b["projection"]
        rows.append(
            [f"nightly {pr['beneficiaries']:,} × {pr['fresh_opportunities']} fresh, {pr['cluster_workers']} workers",
             "< 1 h", f"{pr['wall_s_every_query_encoded'] / 60:.1f} min", f"queries cached: {pr['wall_s_queries_cached'] / 60:.1f} min",
             "", mark(pr["under_one_hour"])]
        )  # fmt: skip
    if emb:
        rows += encoder_targets(emb[1])
    header = ["what", "target", "measured", "baseline (same run)", "ratio", "met"]
    return table(header, rows)


def encoder_targets(e: dict[str, Any]) -> list[list[Any]]:
    """The encoder's target rows: the served int8 runtime against float32 torch."""
    rows: list[list[Any]] = []
    ratio = "over_baseline" if "baseline" in e else "over_cpu_64"
    by = {(r.get("runtime", "torch-float32"), r["device"], r["batch_size"]): r for r in e["rows"]}
    base = by[("torch-float32", "cpu", 64)]
    cpu8 = [r for r in e["rows"] if r.get("runtime") == "onnx-int8"]
    if cpu8:
        best = max(cpu8, key=lambda r: r["texts_per_s"])
        rows.append(
            ["encoder batch throughput, int8 vs float32 (CPU)", "≥ 2×",
             f"{best['texts_per_s']} texts/s", f"float32 batch 64: {base['texts_per_s']} texts/s",
             best[ratio], mark(best[ratio] >= 2)]
        )  # fmt: skip
    latency = {r["runtime"]: r for r in e.get("single_query", []) if r["device"] == "cpu"}
    if "onnx-int8" in latency:
        p50 = latency["onnx-int8"]["p50_ms"]
        ref = latency["torch-float32"]["p50_ms"]
        rows.append(
            ["one short French query p50, CPU", "≤ 12 ms", f"{p50} ms", f"float32: {ref} ms",
             round(p50 / ref, 2), mark(p50 <= 12)]
        )  # fmt: skip
    starts = {r["runtime"]: r["seconds"] for r in e.get("process_start", [])}
    if "onnx-int8" in starts:
        rows.append(
            ["a worker's start (import, load, one query)", "< 5 s", f"{starts['onnx-int8']} s",
             f"float32 torch: {starts['torch-float32']} s",
             round(starts["onnx-int8"] / starts["torch-float32"], 2), mark(starts["onnx-int8"] < 5)]
        )  # fmt: skip
    gpu = [r for r in e["rows"] if r["device"] != "cpu"]
    best_gpu = max(gpu, key=lambda r: r["texts_per_s"]) if gpu else None
    rows.append(
        ["encoder throughput, GPU vs CPU", "measured when a GPU is lent",
         f"{best_gpu['texts_per_s']} texts/s (batch {best_gpu['batch_size']})" if best_gpu else "no GPU in this run",
         f"CPU: {base['texts_per_s']} texts/s", best_gpu[ratio] if best_gpu else "", "yes" if best_gpu else "not measured"]
    )  # fmt: skip
    return rows


def index_section(idx: tuple[Path, dict[str, Any]]) -> str:
    path, data = idx
    parts = [source(path, data), ""]
    for n, size in sorted(data["sizes"].items(), key=lambda kv: int(kv[0])):
        rows = []
        for r in size["indexes"]:
            rows.append(
                [r["index"], r["factory"], r.get("nprobe", r.get("efSearch", "")), r["recall_at_10"],
                 r["latency"]["p95_ms"], r["p95_over_exact"], r.get("restricted_recall_at_10", ""),
                 r.get("restricted_latency", {}).get("p95_ms", ""), r["faiss_mb"], r["build_s"]]
            )  # fmt: skip
        parts += [
            f"**{int(n):,} vectors** (chosen: `{size['chosen']}`)",
            "",
            table(
                [
                    "index",
                    "factory",
                    "nprobe / ef",
                    "recall@10",
                    "p95 ms",
                    "p95 / exact",
                    "restricted recall@10 (10 % allowed)",
                    "restricted p95 ms",
                    "FAISS MB",
                    "build s",
                ],
                rows,
            ),
            "",
        ]
    return "\n".join(parts)


def matching_section(match: tuple[Path, dict[str, Any]]) -> str:
    path, data = match
    rows = []
    for n, s in sorted(data["sizes"].items(), key=lambda kv: int(kv[0])):
        previous = (s.get("shortlist_previous_cold_path") or {}).get("p95_ms", "—")
        rows.append(
            [f"{int(n):,}", s["index_kind"], s["shortlist"]["p50_ms"], s["shortlist"]["p95_ms"],
             previous, s["shortlist_profile_vector_cached"]["p95_ms"],
             s["floor_encode_plus_faiss"]["p95_ms"], s["shortlist_over_floor_p95"],
             s["catalogue_build_s"], s["memory_mb"]]
        )  # fmt: skip
    return "\n".join(
        [
            source(path, data),
            "",
            table(
                [
                    "opportunities",
                    "index",
                    "shortlist p50 ms",
                    "shortlist p95 ms",
                    "p95, previous cold path (same run)",
                    "p95, profile vector cached",
                    "floor p95 ms (same encode + restricted search)",
                    "shortlist / floor",
                    "catalogue build s",
                    "memory MB",
                ],
                rows,
            ),
        ]
    )


def batch_section(batch: tuple[Path, dict[str, Any]]) -> str:
    path, b = batch
    lr, sim, pr = b["loop_vs_ray"], b["simulated_workers"], b["projection"]
    scaling = table(
        ["workers", "wall s", "speed-up", "efficiency"],
        [[x["workers"], x["wall_s"], x["speedup"], x["efficiency"]] for x in sim["scaling"]],
    )
    return "\n".join(
        [
            source(path, b),
            "",
            f"{b['people']:,} beneficiaries × {b['fresh_opportunities']} fresh opportunities, "
            f"batches of {b['batch_size']}:",
            "",
            table(
                [
                    "regime",
                    "loop s",
                    "Ray s (start + stop included)",
                    "Ray start s",
                    "actors",
                    "Ray / loop",
                    "same results",
                ],
                [
                    [
                        r["regime"],
                        r["loop_s"],
                        r["ray_s"],
                        r["ray_start_s"],
                        r["ray_actors"],
                        r["ray_over_loop"],
                        r["same_results"],
                    ]
                    for r in (lr, b.get("loop_vs_ray_queries_cached"))
                    if r
                ],
            ),
            "",
            f"Simulated workers (a night of {sim.get('batches_simulated', '?')} batches drawn from "
            f"one single-threaded worker's {sim.get('batches_measured', '?')} timed ones, handed to "
            f"the first free of W workers; start-up in a fresh process {sim['worker_start_s']} s; "
            f"{sim['per_person_ms']} ms per person, {sim['per_worker_people_per_s']} people/s "
            "per worker):",
            "",
            scaling,
            "",
            f"**Nightly projection**: {pr['arithmetic']} "
            f"(with every profile's query vector already cached: "
            f"{pr['wall_s_queries_cached'] / 60:.1f} min).",
        ]
    )


def embedding_section(emb: tuple[Path, dict[str, Any]]) -> str:
    path, e = emb
    ratio = "over_baseline" if "baseline" in e else "over_cpu_64"
    rows = [
        [
            r.get("runtime", "torch-float32"),
            r["device"],
            r["batch_size"],
            r["texts_per_s"],
            r[ratio],
        ]
        for r in e["rows"]
    ]
    parts = [
        source(path, e),
        "",
        f"Baseline: {e.get('baseline', 'torch-float32, cpu, batch 64')}, measured in the same run.",
        "",
        table(["runtime", "device", "batch", "texts/s", "× baseline"], rows),
    ]
    if e.get("single_query"):
        lat = [[r["runtime"], r["device"], r["p50_ms"], r["p95_ms"]] for r in e["single_query"]]
        parts += ["", "One short French query (never seen before):", ""]
        parts.append(table(["runtime", "device", "p50 ms", "p95 ms"], lat))
    if e.get("process_start"):
        starts = [[r["runtime"], r["seconds"]] for r in e["process_start"]]
        parts += ["", "A fresh process importing, loading and encoding one query:", ""]
        parts.append(table(["runtime", "seconds"], starts))
    if not e.get("gpu"):
        parts += [
            "",
            "No GPU was available in this run: the GPU rows appear when the benchmark runs "
            "where torch sees one.",
        ]
    return "\n".join(parts)


def encoder_quality_section(quality: tuple[Path, dict[str, Any]]) -> str:
    """The int8 encoder's headline figures beside the float32 model's intervals."""
    path, q = quality
    rows = [
        [
            r["task"],
            r["suite"],
            r["split"],
            r["method"],
            r["metric"],
            f"{r['float32']:.3f} [{r['float32_low']:.3f}, {r['float32_high']:.3f}]",
            f"{r['int8']:.3f}",
            "yes" if r["inside"] else "**no**",
        ]
        for r in q["rows"]
    ]
    parts = [
        source(path, q),
        "",
        f"`{q['int8_encoder']}` against `{q['float32_encoder']}`: "
        f"{len(q['rows']) - q['outside']} of {len(q['rows'])} headline figures inside the "
        "float32 model's 95% bootstrap interval (dev rows are dev figures).",
        "",
        table(
            ["task", "set", "split", "method", "metric", "float32 [95%]", "int8", "inside"], rows
        ),
    ]
    coding = q.get("ad_coding") or {}
    if coding:
        parts += [
            "",
            f"Ad coding on {coding['ads']} real ads (dev, folds by métier), accuracy@1: "
            f"float32 {coding['float32_accuracy_at_1']:.3f}, int8 "
            f"{coding['int8_accuracy_at_1']:.3f} (binomial 95% half-width "
            f"{coding['binomial_half_width']:.3f}).",
        ]
    return "\n".join(parts)


def _latency_rows(run: dict[str, Any], label: str) -> list[list[Any]]:
    """One row per request kind of a load run: count, p50, p95, p99."""
    return [
        [label, kind, f["n"], f["p50_ms"], f["p95_ms"], f["p99_ms"]]
        for kind, f in run["latency"].items()
        if f
    ]


def api_section(api: tuple[Path, dict[str, Any]]) -> str:
    """The service over HTTP: the API mix at saturation and paced, the pages' mix, and the
    shortlist function called directly in the same run (the baseline)."""
    path, a = api
    direct = a["direct_shortlist_baseline"]
    runs = [a["load"], a["paced"]]
    parts = [
        source(path, a),
        "",
        f"`tremplin serve --workers {a['workers']}` on {a['opportunities']:,} opportunities "
        f"(ranker `{a['ranker']}`), {a['users']} simulated users on this machine (client and "
        "server share its cores).",
        "",
        "**API mix** (60 % shortlists, 25 % searches, 15 % profile reads):",
        "",
        table(
            ["load", "requests/s", "shortlists/s", "errors"],
            [[r["mode"], r["throughput_rps"], r["shortlists_per_s"], r["errors"]] for r in runs],
        ),
        "",
        table(
            ["load", "request", "n", "p50 ms", "p95 ms", "p99 ms"],
            [row for r in runs for row in _latency_rows(r, r["mode"])],
        ),
        "",
        f"Baseline, the shortlist function called in-process on the same data and model: p50 "
        f"{direct['p50_ms']} ms, p95 {direct['p95_ms']} ms (profile vectors prepared; a "
        f"profile's first: p95 {direct['cold']['p95_ms']} ms). Shortlist p50 over HTTP at the "
        f"paced rate / direct: {a.get('api_over_direct_shortlist_p50')}.",
    ]
    sweep = a.get("paced_sweep") or []
    if len(sweep) > 1:
        parts += [
            "",
            table(
                ["paced at requests/s", "served requests/s", "shortlist p50 ms", "p95 ms"],
                [
                    [r["rate"], r["throughput_rps"], r["shortlist"]["p50_ms"],
                     r["shortlist"]["p95_ms"]]
                    for r in sweep
                ],
            ),
        ]  # fmt: skip
    pages = a.get("pages")
    if pages:
        parts += [
            "",
            f"**Pages' mix** at saturation: {pages['users']} people, each in a browser of their "
            f"own ({pages['organisers']} organisers opening a job day's schedule, the others "
            "coaches: sign-in, a profile, a shortlist asked and its page read): "
            f"{pages['throughput_rps']} pages/s, {pages['errors']} errors.",
            "",
            table(
                ["page", "n", "p50 ms", "p95 ms", "p99 ms"],
                [row[1:] for row in _latency_rows(pages, "")],
            ),
        ]
    return "\n".join(parts)


def others(results: Path, since: str | None = None) -> str:
    lines = []
    job = newest("jobday", results, since)
    if job:
        size = max(i["people"] for i in job[1]["instances"])
        big = [i for i in job[1]["instances"] if i["people"] == size]
        slow = max(big, key=lambda i: i["plan_seconds"])
        lines.append(
            f"- **Job-day planner** (`{job[0].as_posix()}`): largest instances "
            f"{slow['stands']} stands × {size} people ({len(big)} draws): planned in at most "
            f"{slow['plan_seconds']} s, gap to the bound at most "
            f"{100 * max(i['plan_gap'] for i in big):.2f} % (the greedy plan, same run: gap up "
            f"to {100 * max(i['greedy_gap'] for i in big):.2f} % in "
            f"{max(i['greedy_seconds'] for i in big)} s)."
        )
    pool = newest("pool", results, since)
    if pool:
        lines.append(
            f"- **Pool anonymity** (`{pool[0].as_posix()}`): smallest group of members sharing "
            f"a shown profile: {pool[1]['smallest_group_seen']}."
        )
    sec = newest("security", results, since)
    if sec:
        s = sec[1]
        lines.append(
            f"- **Security** (`{sec[0].as_posix()}`): shortlist p95 under a sign-in flood / alone: "
            f"{s['starvation']['p95_ratio']}; acknowledged writes lost at a kill: "
            f"{s['kill_during_writes']['acknowledged_but_lost']}."
        )
    return "\n".join(lines)


def growth_plot(idx: Any, match: Any, images: Path) -> str | None:
    """Time and memory against size (log-log): index query and build, shortlist, memory."""
    if not idx and not match:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    if idx:
        sizes = sorted(idx[1]["sizes"], key=int)
        ns = [int(n) for n in sizes]
        exact = [idx[1]["sizes"][n]["indexes"][0] for n in sizes]
        chosen = [product_row(idx[1]["sizes"][n]) for n in sizes]
        left.plot(ns, [r["latency"]["p95_ms"] for r in exact], "o--", label="exact search p95")
        left.plot(ns, [r["latency"]["p95_ms"] for r in chosen], "o-", label="chosen index p95")
        left.plot(ns, [r["build_s"] * 1000 for r in chosen], "s:", label="chosen index build (ms)")
        right.plot(ns, [r["faiss_mb"] for r in exact], "o--", label="exact index MB")
        right.plot(ns, [r["faiss_mb"] for r in chosen], "o-", label="chosen index MB")
    if match:
        sizes = sorted(match[1]["sizes"], key=int)
        ns = [int(n) for n in sizes]
        rows = [match[1]["sizes"][n] for n in sizes]
        left.plot(ns, [r["shortlist"]["p95_ms"] for r in rows], "^-", label="full shortlist p95")
        right.plot(ns, [r["memory_mb"] for r in rows], "^-", label="catalogue + index MB")
    for ax, title in ((left, "time (ms)"), (right, "memory (MB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("opportunities")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    images.mkdir(parents=True, exist_ok=True)
    path = images / "performance-growth.svg"
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return path.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--out", type=Path, default=PAGE)
    parser.add_argument(
        "--since",
        help="read no result older than this ISO date (make bench: the day it started), so "
        "the page shows this run's figures only",
    )
    args = parser.parse_args()
    idx = newest("index", args.results, args.since)
    match = newest("matching", args.results, args.since)
    batch = newest("batch", args.results, args.since)
    emb = newest("embedding", args.results, args.since)
    plot = growth_plot(idx, match, args.out.parent / "img")
    parts = [
        "# Performance",
        "",
        "Generated by `benchmarks/report.py` from the newest file of each benchmark in "
        "`benchmarks/results/` (`make bench` runs them all, then this). Do not edit by hand. "
        "Every ratio compares two things measured in the same run on the same machine."
        + (f" No result older than {args.since} is read." if args.since else ""),
        "",
        "## Targets",
        "",
        targets(idx, match, batch, emb),
        "",
    ]
    if plot:
        parts += [
            "## How cost grows with size",
            "",
            f"![time and memory against size](img/{plot})",
            "",
        ]
    if idx:
        parts += ["## Vector indexes (`bench_index.py`)", "", index_section(idx), ""]
    if match:
        parts += ["## Shortlists (`bench_matching.py`)", "", matching_section(match), ""]
    if batch:
        parts += ["## Nightly rescoring (`bench_batch.py`)", "", batch_section(batch), ""]
    if emb:
        parts += ["## Encoder throughput (`bench_embedding.py`)", "", embedding_section(emb), ""]
    quality = newest("encoder-quality", args.results, args.since)
    if quality:
        parts += [
            "## The int8 encoder's quality (`bench_encoder_quality.py`)",
            "",
            encoder_quality_section(quality),
            "",
        ]
    for backend in ("", "postgresql"):  # the embedded default, then the server database
        api = newest("api", args.results, args.since, backend)
        if api and "pages" in api[1]:  # files before the pages' mix lack these figures
            title = f"## The service over HTTP, {api[1].get('database', 'sqlite')} (`bench_api.py`)"
            parts += [title, "", api_section(api), ""]
    parts += ["## Other benchmarks", "", others(args.results, args.since), ""]
    args.out.write_text("\n".join(parts), encoding="utf-8")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()

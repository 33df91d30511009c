"""The gate on the sample, biased and unbiased, through the real commands: every ratio with its
interval, each verdict, the proxy report's top three (the figures of docs/fairness.md).

    .venv/bin/python tools/gate_report.py --beneficiaries 3000 --out docs/results/gate.json

Each world gets its own data folder: ``tremplin sample generate [--employer-bias]``,
``sample load``, ``index build``, ``train --hidden-truth``, ``models --json``; the run's
``fairness_groups.csv`` and ``proxies.csv`` are read from MLflow.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "tremplin"), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"tremplin {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def world(beneficiaries: int, biased: bool, extra: list[str]) -> dict[str, Any]:
    """One world through the commands; the listing, the run's ratios and proxies."""
    import pandas as pd

    folder = Path(tempfile.mkdtemp(prefix="gate-report-"))
    env = {**os.environ, "TREMPLIN_DATA_DIR": str(folder)}
    env.pop("TREMPLIN_DATABASE_URL", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    sample = folder / "sample"
    bias = ["--employer-bias"] if biased else []
    _run(
        env,
        "sample",
        "generate",
        "--out",
        str(sample),
        "--beneficiaries",
        str(beneficiaries),
        *bias,
    )
    _run(env, "sample", "load", str(sample))
    _run(env, "index", "build", "--no-progress")
    printed = _run(env, "train", "--hidden-truth", *extra)
    listing = json.loads(_run(env, "models", "--json"))
    latest = listing["versions"][0]
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
    groups = pd.read_csv(
        client.download_artifacts(latest["run_id"], "fairness_groups.csv", str(folder))
    )
    proxies = pd.read_csv(client.download_artifacts(latest["run_id"], "proxies.csv", str(folder)))
    ratios = groups.drop_duplicates(["subject", "measure", "attribute"])[
        ["subject", "measure", "attribute", "ratio", "ratio_low", "ratio_high", "worst"]
    ].to_dict(orient="records")
    return {
        "biased": biased,
        "beneficiaries": beneficiaries,
        "options": extra,
        "verdict": latest["verdict"],
        "served": listing["served"],
        "checks": latest["checks"],
        "fusion_checks": listing["fusion"]["checks"],
        "ratios": ratios,
        "proxies_top3": proxies[proxies.feature != "(toutes)"].head(3).to_dict(orient="records"),
        "proxies_all_features": proxies[proxies.feature == "(toutes)"].to_dict(orient="records"),
        "printed": printed,
    }


def markdown(worlds: list[dict[str, Any]]) -> str:
    """The tables of docs/fairness.md."""
    lines = []
    for w in worlds:
        title = ("biaisé" if w["biased"] else "non biaisé") + (
            " " + " ".join(w["options"]) if w["options"] else ""
        )
        counts: dict[str, int] = {}
        for c in w["checks"]:
            counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
        lines += [
            f"### Échantillon {title} ({w['beneficiaries']} personnes) — verdict **{w['verdict']}**"
            f" ({counts}), servi : {w['served']}",
            "",
            "| mesure | attribut | fusion | challenger |",
            "|---|---|---|---|",
        ]
        by = {(r["subject"], r["measure"], r["attribute"]): r for r in w["ratios"]}
        subjects = sorted({r["subject"] for r in w["ratios"]} - {"fusion", "labels"})
        for (subject, measure, attribute), r in sorted(by.items()):
            if subject != "fusion":
                continue
            other = by.get((subjects[0], measure, attribute)) if subjects else None
            lines.append(f"| {measure} | {attribute} | {_cell(r)} | {_cell(other)} |")
        lines += ["", "| audit des étiquettes | attribut | ratio |", "|---|---|---|"]
        for (subject, measure, attribute), r in sorted(by.items()):
            if subject == "labels":
                lines.append(f"| {measure} | {attribute} | {_cell(r)} |")
        failing = [c for c in w["checks"] if c["verdict"] != "pass"]
        lines += ["", "Contrôles non franchis :" if failing else "Tous les contrôles franchis.", ""]
        lines += [f"- `{c['name']}` {c['verdict']} — {c['detail']}" for c in failing]
        lines += [""]
    return "\n".join(lines)


def _cell(r: dict[str, Any] | None) -> str:
    if r is None or r["ratio"] != r["ratio"]:
        return "non mesurable"
    return f"{r['ratio']:.3f} [{r['ratio_low']:.3f}, {r['ratio_high']:.3f}] ({r['worst']})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beneficiaries", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=Path("docs/results/gate.json"))
    args = parser.parse_args()
    worlds = [
        world(args.beneficiaries, False, []),
        world(args.beneficiaries, True, []),
        world(args.beneficiaries, True, ["--labels-up-to", "applied"]),
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(worlds, indent=1, ensure_ascii=False), encoding="utf-8")
    text = markdown(worlds)
    args.out.with_suffix(".md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

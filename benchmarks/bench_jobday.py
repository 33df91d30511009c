"""Job-day planning: plan quality against the bound and a greedy baseline, and solve time.

Run: ``.venv/bin/python benchmarks/bench_jobday.py [--seeds 3] [--workers 2]
[--data-dir var]``. Prints a table and writes ``benchmarks/results/jobday-<date>.json``
with the machine.

Instances: 40 stands × 800 beneficiaries (a Maison de l'emploi's job day) and 200 stands ×
5,000 beneficiaries (a regional Forem salon). Their match-quality matrices have the structure
measured on the sample's job days through the served engine: about two thirds of the pairs
pass the person's hard constraints, qualities are a trade effect plus noise, a pair is *good*
above 0.55; stands have 6 to 20 slots of 15 or 20 minutes, people at most 3 interviews with
15 minutes between them. Each figure is measured in the same run as its baselines:

* **bound**: the min-cost-flow relaxation (every allowed pair, no side constraint), exact;
* **greedy**: best pairs first under the same capacities and the good-first rule (what a
  hand-made plan resembles), with its time;
* **plan**: :func:`matching.jobday_planner.solve` (selection and timing on CP-SAT).

With ``--data-dir`` (a store with the sample loaded and indexed), every job day of that store
is also planned through the service, with the engine's own scores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_common import machine

from matching.jobday_planner import PlanningProblem, greedy_plan, objective_of, solve

ROOT = Path(__file__).resolve().parents[1]
SIZES = ((40, 800), (200, 5000))


def instance(stands: int, people: int, seed: int) -> PlanningProblem:
    """A job day shaped like the sample's (see the module's docstring)."""
    r = np.random.default_rng(seed)
    trades = 12
    person_trade = r.integers(0, trades, people)
    stand_trade = r.integers(0, trades, stands)
    quality = r.beta(2, 5, (people, stands)) + 0.45 * (person_trade[:, None] == stand_trade)
    quality = np.clip(quality, 0.0, 1.0)
    quality = np.where(r.random((people, stands)) < 0.68, quality, np.nan)
    return PlanningProblem(
        quality=quality,
        good=np.nan_to_num(quality) >= 0.55,
        slots=r.integers(6, 21, stands),
        slot_minutes=r.choice([15, 15, 20], stands),
        max_per_person=3,
        min_gap_minutes=15,
    )


def measure(problem: PlanningProblem, workers: int, limit: float) -> dict[str, Any]:
    """Plan and greedy side by side on one instance."""
    t0 = time.perf_counter()
    greedy = greedy_plan(problem)
    greedy_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    plan = solve(problem, time_limit_s=limit, workers=workers)
    plan_s = time.perf_counter() - t1
    greedy_objective = objective_of(problem, greedy)
    return {
        "bound": round(plan.bound, 3),
        "plan_objective": round(plan.objective, 3),
        "plan_gap": round(plan.gap, 5),
        "plan_seconds": round(plan_s, 2),
        "bound_seconds": plan.bound_seconds,
        "selection_seconds": plan.selection_seconds,
        "timing_seconds": plan.timing_seconds,
        "selection_status": plan.selection_status,
        "timing_status": plan.timing_status,
        "candidate_edges": plan.candidate_edges,
        "interviews": len(plan.interviews),
        "invited": plan.invited,
        "dropped_in_timing": plan.dropped_in_timing,
        "greedy_objective": round(greedy_objective, 3),
        "greedy_gap": round(1 - greedy_objective / plan.bound, 5) if plan.bound else 0.0,
        "greedy_seconds": round(greedy_s, 3),
        "greedy_interviews": len(greedy),
        "greedy_invited": len({p for p, _ in greedy}),
    }


def sample_days(data_dir: Path, workers: int) -> list[dict[str, Any]]:
    """Every job day of a loaded, indexed store, planned through the service."""
    os.environ["TREMPLIN_DATA_DIR"] = str(data_dir)
    from services.context import open_context
    from services.jobday_schemas import PlanRequest
    from services.jobdays import list_job_days, plan_job_day
    from tremplin.actors import system_actor
    from tremplin.settings import get_settings

    settings = get_settings().model_copy(update={"compute_threads": workers})
    ctx = open_context(settings)
    actor = system_actor("bench")
    out = []
    for day in list_job_days(ctx, actor):
        today = min(day.date, dt.date(2026, 11, 1))
        t = time.perf_counter()
        plan = plan_job_day(ctx, actor, day.id, PlanRequest(today=today, fresh=True), "bench")
        f = plan.figures
        out.append(
            {
                "job_day": day.id,
                "stands": day.stands,
                "eligible_people": f.eligible_people,
                "interviews": f.interviews,
                "invited": f.invited,
                "objective": f.objective,
                "bound": f.bound,
                "gap": f.gap,
                "solver_seconds": f.seconds,
                "seconds_with_scoring": round(time.perf_counter() - t, 2),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=55.0)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    rows = []
    for stands, people in SIZES:
        for seed in range(args.seeds):
            figures = measure(instance(stands, people, seed), args.workers, args.time_limit)
            row = {"stands": stands, "people": people, "seed": seed, **figures}
            rows.append(row)
            print(
                f"{stands:>4} stands × {people:>5} people (seed {seed}): plan {row['plan_seconds']:6.2f} s, "
                f"gap to bound {100 * row['plan_gap']:.3f} % ({row['selection_status']}), "
                f"greedy gap {100 * row['greedy_gap']:.2f} % in {row['greedy_seconds']:.2f} s; "
                f"{row['interviews']} interviews for {row['invited']} people "
                f"(greedy {row['greedy_interviews']} for {row['greedy_invited']})"
            )
    days = sample_days(args.data_dir, args.workers) if args.data_dir else []
    for d in days:
        print(
            f"sample {d['job_day']}: {d['interviews']} interviews, {d['invited']} of "
            f"{d['eligible_people']} people, gap {100 * d['gap']:.2f} %, solver {d['solver_seconds']} s "
            f"({d['seconds_with_scoring']} s with the engine's scoring)"
        )
    result = {
        "date": dt.date.today().isoformat(),
        "machine": {**machine(), "solver_workers": args.workers},
        "instances": rows,
        "sample_job_days": days,
    }
    out = args.out or ROOT / "benchmarks" / "results" / f"jobday-{dt.date.today()}.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"written: {out}")


if __name__ == "__main__":
    main()

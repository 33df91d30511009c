"""The anonymised pool on a loaded store: anonymity reached and search latency per employer.

Run: ``.venv/bin/python benchmarks/bench_pool.py --data-dir var [--needs 4]`` on a store with
the sample loaded and indexed. For every employer with a pool: the pool's size, the levels its
cards are shown at, the smallest number of members sharing a shown profile (k is the floor),
and the latency of searches for a few needs (the first one includes embedding the pool's
queries through the persistent cache; the baseline in the same run is the pool's
generalisation alone). Writes ``benchmarks/results/pool-<date>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from bench_common import machine

ROOT = Path(__file__).resolve().parents[1]
NEEDS = (
    {"text": "préparateur de commandes"},
    {"text": "agent d'entretien de bureaux"},
    {"rome_code": "G1602"},
    {"rome_code": "F1703"},
    {"text": "aide-soignant en maison de repos"},
    {"rome_code": "K1303"},
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--needs", type=int, default=4)
    parser.add_argument("--today", default="2026-11-01")
    args = parser.parse_args()
    os.environ["TREMPLIN_DATA_DIR"] = str(args.data_dir)
    from sqlalchemy import select

    from data_contracts.models import Employer
    from services.context import open_context
    from services.pool import members, search_pool
    from services.pool_schemas import PoolNeed
    from tremplin.actors import Principal, Role
    from tremplin.anonymity import PersonFacts, k_anonymous
    from tremplin.settings import get_settings
    from tremplin.store.models import EmployerRow

    settings = get_settings().model_copy(update={"pool_cards_per_day": 1_000_000})
    ctx = open_context(settings)
    ctx.matching.current()
    with ctx.transaction() as session:
        employers = [
            Employer.model_validate(r.payload)
            for r in session.scalars(select(EmployerRow).order_by(EmployerRow.external_id))
        ]
    seen_scopes: set[tuple[str, ...]] = set()
    rows: list[dict[str, Any]] = []
    for employer in employers:
        scope = tuple(sorted(employer.partner_cpas))
        if not scope or scope in seen_scopes:
            continue  # one employer per distinct pool
        seen_scopes.add(scope)
        with ctx.transaction() as session:
            pool = members(session, scope)
        facts = [PersonFacts.of(m.profile) for m in pool]
        t = time.perf_counter()
        shown = k_anonymous(facts, settings.pool_k)
        generalise_s = time.perf_counter() - t
        actor = Principal(
            user_id=0,
            username="bench",
            role=Role.SYSTEM,
            credential_id=0,
            employer_id=employer.id,
        )
        latencies, smallest = [], []
        for need in NEEDS[: args.needs]:
            body = PoolNeed(**need, limit=20, today=dt.date.fromisoformat(args.today))
            t = time.perf_counter()
            page = search_pool(ctx, actor, body, "bench")
            latencies.append(time.perf_counter() - t)
            smallest.append(page.smallest_group)
        row = {
            "employer": employer.id,
            "pool_cpas": list(scope),
            "pool_size": len(pool),
            "k": settings.pool_k,
            "levels": shown.levels if shown else None,
            "information_loss": round(shown.loss, 3) if shown else None,
            "smallest_group": min(smallest),
            "generalisation_ms": round(1000 * generalise_s, 1),
            "first_search_ms": round(1000 * latencies[0], 1),
            "search_p50_ms": round(1000 * statistics.median(latencies[1:] or latencies), 1),
        }
        rows.append(row)
        print(
            f"{employer.id} (pool of {','.join(scope)}: {len(pool)} people): levels "
            f"{row['levels']}, loss {row['information_loss']}, smallest group "
            f"{row['smallest_group']} (k = {row['k']}); generalisation {row['generalisation_ms']} ms, "
            f"search p50 {row['search_p50_ms']} ms (first {row['first_search_ms']} ms)"
        )
    result = {
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "pools": rows,
        "smallest_group_seen": min((r["smallest_group"] for r in rows), default=None),
    }
    out = ROOT / "benchmarks" / "results" / f"pool-{dt.date.today()}.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"written: {out}")


if __name__ == "__main__":
    main()

"""API load: 20 concurrent users for 60 s against `tremplin serve` on the 10k sample, read as
of the sample's reference day (its offers and job days are dated).

Run: ``.venv/bin/python benchmarks/bench_api.py [--users 20] [--seconds 60] [--workers 2]
[--rate 90 130]``. Prints a summary and writes ``benchmarks/results/api-<date>.json``.

Two load shapes, both reported: *saturation* (each user sends its next request as soon as the
previous one answers: the throughput the server can give, latency = users / throughput) and
*paced* (the users together send ``--rate`` requests per second, each user one every
``users / rate`` seconds, never two at once: the latency at a given throughput; 90 requests/s
at 60% shortlists is 54 shortlists/s, a margin over the 50 the issue asks for). The served model is the one a deployment has: the
sample's outcomes train and promote a re-ranker first when the registry has no champion.

The server runs in its own process (`tremplin serve` on 127.0.0.1); this process is the
client: asyncio + httpx, one task per simulated user, each signed in as a coach of its CPAS,
looping over a mix of shortlists (60%), opportunity searches (25%) and beneficiary reads
(15%). The baseline, measured in the same run, is the shortlist function called directly
(same engine, same beneficiaries), so the API overhead is a ratio of two figures taken on the
same machine at the same time.

A second mix drives the French pages as people use them, each simulated person in a browser
of their own (own session cookie, CSRF token read from the page): coaches sign in, open a
profile, ask a shortlist and read its page (the POST and the page it leads to, timed
together); one person in four is a Maison de l'emploi organiser opening a job day's schedule
(every job day of the sample is planned once through the API before that clock starts).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from bench_common import machine
from sample_world import ensure_users, indexed_sample

from tremplin.sample.draw import REFERENCE_DATE

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-mot-de-passe-123"
MIX: tuple[tuple[str, float], ...] = (("shortlist", 0.60), ("search", 0.25), ("read", 0.15))
# the pages' mix: a coach signs in, opens a profile, asks a shortlist and reads its page; an
# organiser (one simulated user in four) signs in and opens a job day's schedule
COACH_PAGES: tuple[tuple[str, float], ...] = (
    ("sign_in", 0.10),
    ("profile_page", 0.40),
    ("shortlist_page", 0.50),
)
ORGANISER_PAGES: tuple[tuple[str, float], ...] = (("sign_in", 0.10), ("job_day_page", 0.90))
PAGE_KINDS = ("sign_in", "profile_page", "shortlist_page", "job_day_page")
ORGANISER_EVERY = 4
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def summary(
    mode: str, lat: dict[str, list[float]], errors: list[str], elapsed: float
) -> dict[str, Any]:
    """A load run's figures: requests, throughput, errors, and latency per request kind."""
    total = sum(len(v) for v in lat.values())
    return {
        "mode": mode,
        "seconds": round(elapsed, 1),
        "requests": total,
        "throughput_rps": round(total / elapsed, 1),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:10],
        "latency": {k: pct(v) for k, v in lat.items()},
    }


def pct(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 in ms."""
    if not values:
        return {}
    v = sorted(values)

    def at(q: float) -> float:
        return round(1000 * v[min(len(v) - 1, int(q * (len(v) - 1)))], 2)

    return {"p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99), "n": len(v)}


def prepare(data_dir: Path, users: int) -> dict[str, list[str]]:
    """The 10k sample loaded and indexed in ``data_dir``, and ``users`` coach accounts."""
    from tremplin.actors import Role
    from tremplin.store.db import transaction
    from tremplin.store.models import BeneficiaryRow

    settings, f = indexed_sample(data_dir, 42, 10_000, 800, progress=True)
    from training import registry

    c = registry.client(settings)
    if not c.search_model_versions(f"name='{registry.MODEL_NAME}'"):  # once per data folder
        from training.datasets import load_outcome_data
        from training.pipeline import train
        from tremplin_cli.training_commands import hidden_truth

        with f() as session:
            data = load_outcome_data(session)
        print(train(settings, data, truth=hidden_truth(True)).markdown(), flush=True)
    people: dict[str, list[str]] = {}
    with transaction(f) as session:
        for cpas, ext in session.query(BeneficiaryRow.cpas_id, BeneficiaryRow.external_id):
            people.setdefault(cpas, []).append(ext)
        tenants = sorted(people, key=lambda c: -len(people[c]))
        coaches = {
            f"bench.coach{i}": (Role.COACH, {"cpas_id": tenants[i % len(tenants)]})
            for i in range(users)
        }
        organisers = {
            f"bench.maison{i}": (Role.MAISON_EMPLOI, {"partner_cpas": tenants})
            for i in range(-(-users // ORGANISER_EVERY))
        }
        ensure_users(session, {**coaches, **organisers}, PASSWORD)
    return people


def job_day_ids() -> list[str]:
    """The job days of the bench's store (:func:`prepare`'s; the organisers see them all)."""
    from sqlalchemy import select

    from tremplin.settings import get_settings
    from tremplin.store.db import migrated_factory
    from tremplin.store.models import JobDayRow

    with migrated_factory(get_settings().database_url)() as session:
        return list(session.scalars(select(JobDayRow.external_id).order_by(JobDayRow.date)))


async def plan_job_days(base: str, days: list[str], today: str) -> dict[str, float]:
    """Each job day planned once through the API (as of ``today``, the sample's date) before
    the pages' clock starts (the schedule page shows a plan); each planning's seconds."""
    took = {}
    body = {"today": today}
    async with httpx.AsyncClient(base_url=base, timeout=900) as client:
        headers = await sign_in(client, "bench.maison0")
        for day in days:
            t0 = time.perf_counter()
            r = await client.post(f"/api/v1/jobdays/{day}/plan", json=body, headers=headers)
            if r.status_code != 200:
                raise SystemExit(f"planning {day} failed: {r.status_code} {r.text[:300]}")
            took[day] = round(time.perf_counter() - t0, 2)
    return took


def direct_baseline(people: dict[str, list[str]], n: int) -> dict[str, Any]:
    """The shortlist function called in-process on the same data and model (the baseline)."""
    from matching.champion import load_champion
    from matching.engine import load_engine
    from matching.shortlist import shortlist
    from services.engine import limit_compute_threads
    from tremplin.settings import get_settings
    from tremplin.store.db import migrated_factory
    from tremplin.store.repository import get_beneficiary

    settings = get_settings()
    f = migrated_factory(settings.database_url)
    reranker = load_champion(settings)
    with f() as session:
        catalogue = load_engine(session, settings)
        assert catalogue.encoder is not None
        catalogue.encoder.warm_up()
        pairs = [(c, b) for c, ids in people.items() for b in ids][:n]
        profiles = [get_beneficiary(session, c, b) for c, b in pairs]
    limit_compute_threads(settings.compute_threads)  # as in the served process
    times = []
    for p in profiles * 2:  # second pass: profile vectors cached, as in the served mix
        assert p is not None
        t0 = time.perf_counter()
        shortlist(p, catalogue, today=settings.today(), top=10, reranker=reranker)
        times.append(time.perf_counter() - t0)
    return {**pct(times[len(profiles) :]), "cold": pct(times[: len(profiles)])}


async def sign_in(client: httpx.AsyncClient, name: str) -> dict[str, str]:
    """A bench coach's bearer header."""
    r = await client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def user(
    client: httpx.AsyncClient,
    name: str,
    headers: dict[str, str],
    ids: list[str],
    until: float,
    lat: dict[str, list[float]],
    errors: list[str],
    interval: float | None = None,
) -> None:
    """One signed-in coach: loop over the mix until ``until`` (one request every
    ``interval`` seconds when paced, else back to back)."""
    rng = random.Random(name)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    words = ["aide", "agent", "cariste", "vendeur", "nettoyage", "cuisine", "chauffeur"]
    next_at = time.perf_counter() + (rng.random() * interval if interval else 0.0)
    while time.perf_counter() < until:
        if interval:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            next_at += interval
        kind = rng.choices(kinds, weights)[0]
        ben = rng.choice(ids)
        t0 = time.perf_counter()
        if kind == "shortlist":
            resp = await client.post(
                "/api/v1/shortlists", json={"beneficiary_id": ben, "top": 10}, headers=headers
            )
        elif kind == "search":
            resp = await client.get(
                "/api/v1/opportunities",
                params={"q": rng.choice(words), "limit": 20},
                headers=headers,
            )
        else:
            resp = await client.get(f"/api/v1/beneficiaries/{ben}", headers=headers)
        lat[kind].append(time.perf_counter() - t0)
        if resp.status_code >= 400:
            errors.append(f"{kind} {resp.status_code}")


async def page_sign_in(client: httpx.AsyncClient, name: str) -> str:
    """Sign ``name`` in to the pages (the client keeps the session cookie); the CSRF token."""
    r = await client.post(
        "/connexion", data={"username": name, "password": PASSWORD}, follow_redirects=True
    )
    found = CSRF.search(r.text)
    if r.status_code != 200 or not found:
        raise SystemExit(f"page sign-in of {name} failed: {r.status_code}")
    return found.group(1)


async def page_user(
    base: str,
    name: str,
    ids: list[str],
    days: list[str],
    until: float,
    lat: dict[str, list[float]],
    errors: list[str],
) -> None:
    """One person at the pages, in a browser of their own (own cookies), back to back: a
    coach (profile, shortlist asked then read) or an organiser (a job day's schedule); both
    sign in again now and then (the slow password hash is part of the mix)."""
    rng = random.Random(name)
    mix = ORGANISER_PAGES if name.startswith("bench.maison") else COACH_PAGES
    kinds, weights = [k for k, _ in mix], [w for _, w in mix]
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        csrf = await page_sign_in(client, name)
        while time.perf_counter() < until:
            kind = rng.choices(kinds, weights)[0]
            t0 = time.perf_counter()
            if kind == "sign_in":
                client.cookies.clear()
                csrf = await page_sign_in(client, name)
                status = 200
            elif kind == "profile_page":
                resp = await client.get(f"/coach/beneficiaires/{rng.choice(ids)}")
                status = resp.status_code
            elif kind == "shortlist_page":  # asked (303 to its page), then its page read
                resp = await client.post(
                    f"/coach/beneficiaires/{rng.choice(ids)}/shortlist",
                    data={"csrf": csrf},
                    follow_redirects=True,
                )
                status = resp.status_code if "/coach/shortlists/" in str(resp.url) else 599
            else:
                resp = await client.get(f"/maison/journees/{rng.choice(days)}")
                status = resp.status_code
            lat[kind].append(time.perf_counter() - t0)
            if status >= 400:
                errors.append(f"{kind} {status}")


async def drive_pages(
    base: str, people: dict[str, list[str]], days: list[str], users: int, seconds: float
) -> dict[str, Any]:
    """The pages' mix at saturation: ``users`` people (one in :data:`ORGANISER_EVERY` an
    organiser), each in a browser of their own."""
    tenants = sorted(people, key=lambda c: -len(people[c]))
    lat: dict[str, list[float]] = {k: [] for k in PAGE_KINDS}
    errors: list[str] = []
    names = [
        f"bench.maison{i // ORGANISER_EVERY}" if i % ORGANISER_EVERY == ORGANISER_EVERY - 1
        else f"bench.coach{i}"
        for i in range(users)
    ]  # fmt: skip
    until = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(
        *[
            page_user(base, n, people[tenants[i % len(tenants)]], days, until, lat, errors)
            for i, n in enumerate(names)
        ]
    )
    return {
        **summary("pages, saturation", lat, errors, time.perf_counter() - started),
        "users": users,
        "organisers": sum(n.startswith("bench.maison") for n in names),
    }


async def drive(
    base: str,
    people: dict[str, list[str]],
    users: int,
    seconds: float,
    rate: float | None = None,
) -> dict[str, Any]:
    """Run the users concurrently; latencies per request kind and errors."""
    tenants = sorted(people, key=lambda c: -len(people[c]))
    lat: dict[str, list[float]] = {k: [] for k, _ in MIX}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        # sign-ins (a deliberately slow password hash) happen before the clock starts
        names = [f"bench.coach{i}" for i in range(users)]
        headers = await asyncio.gather(*[sign_in(client, n) for n in names])
        until = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(
            *[
                user(
                    client,
                    names[i],
                    headers[i],
                    people[tenants[i % len(tenants)]],
                    until,
                    lat,
                    errors,
                    users / rate if rate else None,
                )
                for i in range(users)
            ]
        )
        elapsed = time.perf_counter() - started
    mode = f"paced at {rate} requests/s" if rate else "saturation"
    return {
        **summary(mode, lat, errors, elapsed),
        "shortlists_per_s": round(len(lat["shortlist"]) / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--rate",
        type=float,
        nargs="+",
        default=[90.0, 130.0],
        help="paced runs' requests/s (the first is the headline; the others show the headroom)",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench-api")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    # the sample is dated (its offers, trainings and job days): the service, the baseline and
    # the planner read it as of its reference day, as the demo serves it
    os.environ.setdefault("TREMPLIN_AS_OF", REFERENCE_DATE.isoformat())
    people = prepare(args.data_dir, args.users)
    from sqlalchemy.engine import make_url

    from tremplin.settings import get_settings

    backend = make_url(get_settings().database_url).get_backend_name()
    baseline = direct_baseline(people, 300)
    env = {**os.environ, "TREMPLIN_DATA_DIR": str(args.data_dir), "TREMPLIN_LOG_LEVEL": "WARNING"}
    env["TREMPLIN_SEARCH_RATE_PER_MINUTE"] = "100000"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "tremplin"),
            "serve",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        deadline = time.time() + 900  # a first start embeds the ESCO labels (minutes)
        while time.time() < deadline:
            try:
                ready = httpx.get(f"{base}/readyz", timeout=2)
                info = ready.json()
                if (
                    ready.status_code == 200
                    and info["profiles_prepared"] >= 700
                    and info["title_linker_ready"]
                ):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        else:
            raise SystemExit("the server did not become ready in 900 s")
        ranker = httpx.get(f"{base}/readyz", timeout=5).json()["ranker_version"]
        asyncio.run(drive(base, people, args.users, 10))  # warm-up (not reported)
        load = asyncio.run(drive(base, people, args.users, args.seconds))
        sweep = [asyncio.run(drive(base, people, args.users, args.seconds, r)) for r in args.rate]
        paced = sweep[0]
        days = job_day_ids()
        planned = asyncio.run(plan_job_days(base, days, os.environ["TREMPLIN_AS_OF"]))
        asyncio.run(drive_pages(base, people, days, args.users, 10))  # warm-up (not reported)
        pages = asyncio.run(drive_pages(base, people, days, args.users, args.seconds))
    finally:
        server.terminate()
        server.wait(30)
    direct_p50 = baseline["p50_ms"]
    api_p50 = paced["latency"]["shortlist"]["p50_ms"]
    report = {
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "users": args.users,
        "workers": args.workers,
        "database": backend,
        "opportunities": 10_000,
        "as_of": os.environ["TREMPLIN_AS_OF"],
        "ranker": ranker,
        "load": load,
        "paced": paced,
        "paced_sweep": [
            {
                "rate": r,
                "throughput_rps": run["throughput_rps"],
                "shortlists_per_s": run["shortlists_per_s"],
                "errors": run["errors"],
                "shortlist": run["latency"]["shortlist"],
            }
            for r, run in zip(args.rate, sweep, strict=True)
        ],
        "pages": pages,
        "job_days_planned_s": planned,
        "direct_shortlist_baseline": baseline,
        "api_over_direct_shortlist_p50": round(api_p50 / direct_p50, 2) if direct_p50 else None,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    # the embedded default is the plain file; another backend is a variant beside it
    variant = "" if backend == "sqlite" else f"-{backend}"
    path = args.out / f"api-{report['date']}{variant}.json"
    path.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()

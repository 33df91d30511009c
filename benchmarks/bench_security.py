"""Abuse and fault figures against a running server: guessing, junk sign-ins, starvation, kill -9.

Run: ``.venv/bin/python benchmarks/bench_security.py [--seconds 60] [--junk 10000]
[--workers 2]``. Prints what it tried and what it found, and writes
``benchmarks/results/security-<date>.json``.

Every request goes to ``tremplin serve`` on 127.0.0.1 (the second client address is 127.0.0.2,
still the loopback range), bounded in count and time:

1. **Brute force**: 8 threads guess one coach's password from 127.0.0.1 for ``--seconds``; the
   figure is the attempts per minute that reached a password check (401), beside those turned
   away (429). Meanwhile the real coach signs in from 127.0.0.2 with the right password. With
   ``--workers N``, the guesses alternate between N service processes on one database (N
   workers or hosts behind a proxy without affinity), with the counts in the database (the
   default) and in each process's memory (the former design), beside one process.
2. **Junk sign-ins**: ``--junk`` failed sign-ins with distinct random usernames (and some of
   1 MiB, refused before any lookup); the server's resident memory before and after.
3. **Starvation**: coaches' shortlist latency alone (the baseline, same run), then while two
   employers keep 100-title link requests running without pause (title budgets lifted for
   the run, so that only the compute scheduler protects the coaches); p50/p95 and the ratio.
4. **kill -9 during writes**: a writer posts outcomes while the server is killed; after a
   restart, every acknowledged (201) event is there and the database passes its checks.
5. **Cost of shared limits**: the coaches' shortlist latency and a right sign-in's latency with
   the limits counted in the database and in memory (``TREMPLIN_SHARED_LIMITS``), same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import string
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from bench_common import machine
from sample_world import ensure_users, indexed_sample

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "banc-essai-solide-2026"
COACHES = 4


def pct(values: list[float]) -> dict[str, float]:
    """p50/p95 in ms and the count."""
    if not values:
        return {"n": 0}
    v = sorted(values)
    return {
        "p50_ms": round(1000 * v[len(v) // 2], 1),
        "p95_ms": round(1000 * v[min(len(v) - 1, int(0.95 * (len(v) - 1)))], 1),
        "n": len(v),
    }


def prepare(data_dir: Path) -> tuple[dict[str, Any], str]:
    """A small sample indexed in ``data_dir``, coaches of one CPAS and two employers."""
    from tremplin.actors import Role
    from tremplin.store.db import transaction
    from tremplin.store.models import BeneficiaryRow, OpportunityRow

    _, factory = indexed_sample(data_dir, 7, 1500, 150)
    with transaction(factory) as session:
        cpas = session.query(BeneficiaryRow.cpas_id).first()[0]  # type: ignore[index]
        people = [
            e
            for (e,) in session.query(BeneficiaryRow.external_id).filter(
                BeneficiaryRow.cpas_id == cpas
            )
        ]
        employer = next(
            p["employer_id"] for (p,) in session.query(OpportunityRow.payload) if p["employer_id"]
        )
        wanted = {f"secu.coach{i}": (Role.COACH, {"cpas_id": cpas}) for i in range(COACHES)}
        wanted |= {f"secu.employer{i}": (Role.EMPLOYER, {"employer_id": employer}) for i in (1, 2)}
        wanted |= {f"secu.guessed{i}": (Role.COACH, {"cpas_id": cpas}) for i in range(3)}
        ensure_users(session, wanted, PASSWORD)
    return {"cpas": cpas, "person": people[0], "people": people}, employer


class Server:
    """``tremplin serve`` in its own process."""

    def __init__(self, data_dir: Path, port: int, shared_limits: bool = True) -> None:
        self.data_dir, self.port, self.shared_limits = data_dir, port, shared_limits
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "TREMPLIN_DATA_DIR": str(self.data_dir)}
        env |= {"TREMPLIN_LOG_LEVEL": "WARNING", "TREMPLIN_SEARCH_RATE_PER_MINUTE": "100000"}
        env |= {"TREMPLIN_SHARED_LIMITS": str(self.shared_limits).lower()}
        # title budgets lifted: the flood below then runs without pause, and what keeps
        # coaches served is the scheduler alone (the budgets are tested in the suite)
        env |= {
            "TREMPLIN_LINK_TITLES_PER_USER_PER_MINUTE": "1000000",
            "TREMPLIN_LINK_TITLES_PER_ROLE_PER_MINUTE": "1000000",
        }
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "tremplin"), "serve", "--port", str(self.port)],
            env=env,
            cwd=ROOT,
        )
        deadline = time.time() + 900  # a first start may embed the ESCO labels
        while time.time() < deadline:
            try:
                info = httpx.get(f"{self.base}/readyz", timeout=2).json()
                if info.get("ready") and info.get("title_linker_ready"):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(1)
        raise SystemExit("the server did not become ready in 900 s")

    def rss_mb(self) -> float:
        """Resident memory of the server process."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return float("nan")

    def stop(self, kill: bool = False) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.process.wait(60)
            self.process = None


def client(address: str = "127.0.0.1") -> httpx.Client:
    """An HTTP client whose connections leave from ``address`` (loopback only)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60)


def token(base: str, user: str, address: str = "127.0.0.1") -> dict[str, str]:
    with client(address) as c:
        r = c.post(f"{base}/api/v1/auth/token", data={"username": user, "password": PASSWORD})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


def brute_force(bases: list[str], seconds: float, account: str) -> dict[str, Any]:
    """8 guessing threads on one account from 127.0.0.1, each request to the next of
    ``bases`` in turn; the owner signs in from 127.0.0.2."""
    codes: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.time() + seconds
    turn = iter(range(10**9))

    def guess() -> None:
        with client() as c:
            while time.time() < stop:
                word = "".join(random.choices(string.ascii_lowercase, k=14))
                with lock:
                    base = bases[next(turn) % len(bases)]
                r = c.post(
                    f"{base}/api/v1/auth/token", data={"username": account, "password": word}
                )
                with lock:
                    codes[r.status_code] = codes.get(r.status_code, 0) + 1
                if r.status_code == 429:
                    time.sleep(min(float(r.headers.get("Retry-After", "1")), 1.0))

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(seconds / 2)
    with client("127.0.0.2") as owner:
        real = owner.post(
            f"{bases[-1]}/api/v1/auth/token", data={"username": account, "password": PASSWORD}
        ).status_code
    for t in threads:
        t.join()
    checked = codes.get(401, 0)
    return {
        "workers": len(bases),
        "seconds": seconds,
        "threads": 8,
        "responses": codes,
        "password_checks_per_minute": round(60 * checked / seconds, 1),
        "owner_from_other_address": real,
    }


def junk_sign_ins(server: Server, n: int) -> dict[str, Any]:
    """``n`` failed sign-ins with distinct usernames (1 in 100 of 1 MiB) from 127.0.0.3;
    memory before/after."""
    before = server.rss_mb()
    codes: dict[int, int] = {}
    huge = "x" * (1 << 20)
    with client("127.0.0.3") as c:
        for i in range(n):
            name = huge if i % 100 == 0 else f"junk{i}-" + "".join(random.choices("abcdef", k=40))
            r = c.post(f"{server.base}/api/v1/auth/token", data={"username": name, "password": "x"})
            codes[r.status_code] = codes.get(r.status_code, 0) + 1
    after = server.rss_mb()
    return {"sign_ins": n, "responses": codes, "rss_before_mb": before, "rss_after_mb": after}


def shortlist_latency(
    base: str,
    person: dict[str, Any],
    seconds: float,
    flood: bool,
    tokens: dict[str, dict[str, str]],
) -> dict[str, Any]:
    """Coaches' shortlists for ``seconds`` (4 coaches in turn), with or without a link flood."""
    titles = [f"agent de maintenance polyvalent des bâtiments {i}" for i in range(100)]
    stop = time.time() + seconds
    flood_done: list[int] = []

    def flooder(user: str) -> None:
        headers = tokens[user]
        with client() as c:
            while time.time() < stop:
                r = c.post(
                    f"{base}/api/v1/occupations/link",
                    json={"titles": titles, "top": 5},
                    headers=headers,
                )
                flood_done.append(r.status_code)
                if r.status_code == 429:
                    time.sleep(1)

    threads = [threading.Thread(target=flooder, args=(f"secu.employer{i}",)) for i in (1, 2)]
    if flood:
        for t in threads:
            t.start()
        time.sleep(2)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    heads = [tokens[f"secu.coach{i}"] for i in range(1, COACHES)]
    with client() as c:
        i = 0
        while time.time() < stop:
            began = time.perf_counter()
            r = c.post(
                f"{base}/api/v1/shortlists",
                json={"beneficiary_id": person["people"][i % len(person["people"])], "top": 10},
                headers=heads[i % len(heads)],
            )
            latencies.append(time.perf_counter() - began)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            i += 1
    for t in threads if flood else []:
        t.join()
    out: dict[str, Any] = {"shortlists": pct(latencies), "statuses": statuses}
    if flood:
        out["link_requests"] = {str(s): flood_done.count(s) for s in set(flood_done)}
    return out


def kill_during_writes(
    server: Server, person: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """Post outcomes, kill -9 the server mid-burst, restart: every 201 must be stored."""
    from tremplin.settings import get_settings
    from tremplin.store.db import migrated_factory
    from tremplin.store.models import OutcomeEventRow

    settings = get_settings()
    listed = httpx.get(f"{server.base}/api/v1/opportunities?limit=1", headers=headers, timeout=30)
    offer = listed.json()["items"][0]["id"]
    statuses: dict[int, int] = {}
    acknowledged: list[str] = []
    run = f"{int(time.time())}"

    def writer() -> None:
        with client() as c:
            for i in range(100_000):
                event = {
                    "id": f"kill-{run}-{i}",
                    "beneficiary_id": person["person"],
                    "opportunity_id": offer,
                    "type": "proposed",
                    "occurred_at": "2026-11-20T10:00:00",
                }
                try:
                    r = c.post(f"{server.base}/api/v1/outcomes", json=event, headers=headers)
                except httpx.HTTPError:
                    return
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code == 201:
                    acknowledged.append(event["id"])

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(3)
    server.stop(kill=True)
    t.join(30)
    server.start()
    with migrated_factory(settings.database_url)() as session:
        stored = {
            e
            for (e,) in session.query(OutcomeEventRow.external_id).filter(
                OutcomeEventRow.external_id.like(f"kill-{run}-%")
            )
        }
    lost = [e for e in acknowledged if e not in stored]
    return {
        "backend": settings.database_url.split(":", 1)[0],
        "responses_before_the_kill": statuses,
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "acknowledged_but_lost": len(lost),
        "readyz_after_restart": httpx.get(f"{server.base}/readyz", timeout=5).status_code,
    }


def started(data_dir: Path, port: int, count: int, shared_limits: bool) -> list[Server]:
    """``count`` service processes on one database, on consecutive ports."""
    servers = [Server(data_dir, port + n, shared_limits) for n in range(count)]
    for server in servers:
        server.start()
    return servers


def stopped(servers: list[Server]) -> None:
    for server in servers:
        server.stop()


def brute_force_by_workers(
    data_dir: Path, port: int, seconds: float, workers: int
) -> dict[str, Any]:
    """The guesser against one process, then alternating between ``workers`` processes with
    the counts in the database and in each process's memory (a fresh account each time: the
    database remembers the last one's failures)."""
    layouts = [(1, True)] + ([(workers, True), (workers, False)] if workers > 1 else [])
    out: dict[str, Any] = {}
    for n, (count, shared) in enumerate(layouts):
        servers = started(data_dir, port, count, shared)
        try:
            name = f"{count}_workers_{'database' if shared else 'memory'}"
            out[name] = brute_force([s.base for s in servers], seconds, f"secu.guessed{n}")
            print(name, json.dumps(out[name]), flush=True)
        finally:
            stopped(servers)
    return out


def shared_limits_cost(
    data_dir: Path, port: int, person: dict[str, Any], seconds: float
) -> dict[str, Any]:
    """Shortlist and right sign-in latency with the limits in memory, then in the database."""
    out: dict[str, Any] = {}
    users = [f"secu.coach{i}" for i in range(1, COACHES)]
    for shared in (False, True):
        (server,) = started(data_dir, port, 1, shared)
        try:
            sign_ins: list[float] = []
            for n in range(20):
                began = time.perf_counter()
                token(server.base, users[n % len(users)], "127.0.0.5")
                sign_ins.append(time.perf_counter() - began)
            tokens = {u: token(server.base, u, "127.0.0.5") for u in users}
            found = shortlist_latency(server.base, person, seconds, False, tokens)
            out["database" if shared else "memory"] = {"sign_in": pct(sign_ins), **found}
        finally:
            server.stop()
    out["shortlist_p95_added_ms"] = round(
        out["database"]["shortlists"]["p95_ms"] - out["memory"]["shortlists"]["p95_ms"], 1
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--junk", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8775)
    parser.add_argument(
        "--workers", type=int, default=1, help="guess through this many service processes too"
    )
    parser.add_argument(
        "--only",
        choices=["brute", "junk", "starvation", "kill", "limits"],
        help="run one part only",
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench-security")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    os.environ.setdefault(
        "TREMPLIN_EMBEDDING_CACHE", str(ROOT / "var" / "index" / "embeddings.sqlite")
    )
    person, _ = prepare(args.data_dir)
    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": machine(),
    }
    wanted = {args.only} if args.only else {"brute", "junk", "starvation", "kill", "limits"}
    if "brute" in wanted:
        print("1. brute force: 8 threads guessing one account ...", flush=True)
        report["brute_force"] = brute_force_by_workers(
            args.data_dir, args.port, args.seconds, args.workers
        )
    if "limits" in wanted:
        print("5. shortlists and sign-ins, limits in memory then in the database ...", flush=True)
        report["shared_limits"] = shared_limits_cost(
            args.data_dir, args.port, person, args.seconds / 2
        )
        print(json.dumps(report["shared_limits"]), flush=True)
    if wanted & {"junk", "starvation", "kill"}:
        server = Server(args.data_dir, args.port)
        server.start()
        # every honest user signs in first, from its own address (the guessing and the junk
        # below rightly close 127.0.0.1 and 127.0.0.3 to new sign-ins for a while)
        users = [f"secu.coach{i}" for i in range(1, COACHES)] + ["secu.employer1", "secu.employer2"]
        tokens = {user: token(server.base, user, "127.0.0.4") for user in users}
        try:
            if "junk" in wanted:
                print(f"2. {args.junk} junk sign-ins ...", flush=True)
                report["junk_sign_ins"] = junk_sign_ins(server, args.junk)
                print(json.dumps(report["junk_sign_ins"]), flush=True)
            if "starvation" in wanted:
                print("3. coach shortlists alone, then under a title-link flood ...", flush=True)
                alone = shortlist_latency(server.base, person, args.seconds / 2, False, tokens)
                flooded = shortlist_latency(server.base, person, args.seconds, True, tokens)
                report["starvation"] = {
                    "baseline_alone": alone,
                    "under_flood": flooded,
                    "p95_ratio": round(
                        flooded["shortlists"]["p95_ms"] / max(alone["shortlists"]["p95_ms"], 0.1),
                        2,
                    ),
                }
                print(json.dumps(report["starvation"]), flush=True)
            if "kill" in wanted:
                print("4. kill -9 during an outcome write burst ...", flush=True)
                report["kill_during_writes"] = kill_during_writes(
                    server, person, tokens["secu.coach1"]
                )
                print(json.dumps(report["kill_during_writes"]), flush=True)
        finally:
            server.stop()
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = f"-{args.only}" if args.only else ""
    path = args.out / f"security-{report['date']}{suffix}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written {path}")


if __name__ == "__main__":
    main()

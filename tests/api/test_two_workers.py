"""Two service processes on one PostgreSQL database, as two workers or two hosts behind a
proxy without affinity: a guesser whose attempts alternate between them gets no more tries
than against one; a page task started through one is polled through the other; ``kill -9`` of
the worker running a plan leaves no partial plan and the page says "interrompue", with a
button that starts it again; SIGTERM during an import ends it or marks it interrupted, never
half-stored, and the process exits cleanly."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from api_support import LIEGE_DAY, PASSWORD, TODAY, liege_day_planner, prepare_world
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import JOB_DAY_WORLD_SIZE, _postgres_database
from tremplin.store.db import make_engine, session_factory
from tremplin.store.models import JobDayPlanRow, OpportunityRow

pytestmark = pytest.mark.postgres
FEED = Path(__file__).parents[1] / "fixtures" / "feeds" / "forem_offers.jsonl"


@dataclass
class Worker:
    """One ``tremplin serve`` process (one worker, its own port)."""

    env: dict[str, str]
    log: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Worker:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [sys.executable, "-c", "from tremplin_cli.main import main; main()", "serve",
                   "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise AssertionError("the worker did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


@dataclass
class Deployment:
    url: str
    a: Worker
    b: Worker
    factory: sessionmaker[Session]


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, shared_dir: Path, linker: object
) -> Iterator[Deployment]:
    for url in _postgres_database():
        root = tmp_path_factory.mktemp("two-workers")
        prepare_world(root, url, shared_dir, JOB_DAY_WORLD_SIZE, as_of=TODAY)
        engine = make_engine(url)
        factory = session_factory(engine)
        with factory() as session, session.begin():
            liege_day_planner(session)
        env = {
            **os.environ,
            "TREMPLIN_DATA_DIR": str(root),
            "TREMPLIN_DATABASE_URL": url,
            "TREMPLIN_MODELS_DIR": str(shared_dir / "models"),
            "TREMPLIN_EMBEDDING_CACHE": str(shared_dir / "embeddings.sqlite"),
            "TREMPLIN_PSEUDONYM_KEY": "test-pseudonym-key",
            "TREMPLIN_WARM_TITLE_LINKER": "false",
            "TREMPLIN_AS_OF": TODAY,
            "TREMPLIN_TASK_HEARTBEAT_S": "0.5",
            "TREMPLIN_TASK_STALE_S": "3",
            "TREMPLIN_TASK_GRACE_S": "2",
        }
        a, b = (Worker(env, root / f"worker-{n}.log") for n in "ab")
        try:
            yield Deployment(url, a.start(), b.start(), factory)
        finally:
            a.stop()
            b.stop()
            engine.dispose()


def signed_in(base: str, user: str) -> tuple[httpx.Client, str]:
    """A page session of ``user`` (its cookie works on every worker) and its CSRF token."""
    client = httpx.Client(timeout=60, follow_redirects=True)
    r = client.post(f"{base}/connexion", data={"username": user, "password": PASSWORD})
    found = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert r.status_code == 200 and found, r.text[:500]
    return client, found.group(1)


def task_id(fragment: str) -> str:
    found = re.search(r'id="tache-([0-9a-f]+)"', fragment)
    assert found, fragment[:500]
    return found.group(1)


def poll(client: httpx.Client, base: str, task: str, until: str, timeout_s: float = 120) -> str:
    """The task's fragment, through ``base``, once it contains ``until``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        fragment = client.get(f"{base}/taches/{task}").text
        if until in fragment:
            return fragment
        time.sleep(0.2)
    raise AssertionError(f"no {until!r} in {fragment[:800]}")


def count(factory: sessionmaker[Session], what: object) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(what)) or 0  # type: ignore[arg-type]


def test_a_guesser_alternating_between_workers_gets_no_more_attempts(d: Deployment) -> None:
    def refused_passwords(bases: list[str], username: str) -> int:
        codes = [
            httpx.post(
                f"{bases[n % len(bases)]}/api/v1/auth/token",
                data={"username": username, "password": "pas-le-bon-mot-de-passe"},
                timeout=30,
            ).status_code
            for n in range(12)
        ]
        assert set(codes) <= {401, 429}, codes
        return codes.count(401)  # attempts that reached the password check

    against_one = refused_passwords([d.a.url], "coach.liege")
    assert against_one == 5  # the free failures, then the growing delays
    assert refused_passwords([d.a.url, d.b.url], "coach.seraing") == against_one


def test_a_task_started_through_one_worker_is_polled_through_the_other(d: Deployment) -> None:
    admin, csrf = signed_in(d.a.url, "admin")
    r = admin.post(f"{d.a.url}/admin/journal/verifier", data={"csrf": csrf})
    assert r.status_code == 202, r.text[:500]
    done = poll(admin, d.b.url, task_id(r.text), "Terminé")
    assert "Vérification du journal" in done


@pytest.fixture
def d(deployment: Deployment) -> Deployment:
    """The deployment, worker A started again if a test stopped it."""
    if deployment.a.process is None or deployment.a.process.poll() is not None:
        deployment.a.start()
    return deployment


def locked(factory: sessionmaker[Session], table: str) -> Session:
    """A session holding ``table`` locked (reads included) until it rolls back: whatever a
    worker does with that table waits, mid-task."""
    session = factory()
    session.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
    return session


def test_kill_9_of_the_worker_running_a_plan_stores_no_plan_and_the_page_says_so(
    d: Deployment,
) -> None:
    maison, csrf = signed_in(d.a.url, "maison.all")
    plans = count(d.factory, JobDayPlanRow)
    hold = locked(d.factory, "job_day")
    try:
        r = maison.post(f"{d.a.url}/maison/journees/{LIEGE_DAY}/planifier", data={"csrf": csrf})
        assert r.status_code == 202, r.text[:500]
        task = task_id(r.text)
        poll(maison, d.b.url, task, "personnes éligibles")  # running, on worker A
        assert d.a.process is not None
        d.a.process.send_signal(signal.SIGKILL)
        d.a.process.wait(30)
    finally:
        hold.rollback()
        hold.close()
    shown = poll(maison, d.b.url, task, "Interrompue")
    assert "Le planning précédent reste en vigueur" in shown and "Relancer" in shown
    assert count(d.factory, JobDayPlanRow) == plans  # nothing half-stored
    again = re.search(r'hx-post="([^"]+)"', shown)
    assert again and again.group(1) == f"/maison/journees/{LIEGE_DAY}/planifier"
    r = maison.post(f"{d.b.url}{again.group(1)}", data={"csrf": csrf})
    assert r.status_code == 202
    poll(maison, d.b.url, task_id(r.text), "Terminé", timeout_s=300)
    assert count(d.factory, JobDayPlanRow) == plans + 1


def test_sigterm_during_an_import_ends_it_or_marks_it_interrupted(d: Deployment) -> None:
    maison, csrf = signed_in(d.a.url, "maison.liege")
    offers = count(d.factory, OpportunityRow)
    hold = locked(d.factory, "opportunity")
    try:
        r = maison.post(
            f"{d.a.url}/maison/opportunites/import",
            data={"csrf": csrf, "format": "", "skip_invalid": "1"},
            files={"file": ("offres-forem.jsonl", FEED.read_bytes(), "application/x-ndjson")},
        )
        assert r.status_code == 202, r.text[:500]
        task = task_id(r.text)
        poll(maison, d.b.url, task, "lecture et validation")
        assert d.a.process is not None
        d.a.process.send_signal(signal.SIGTERM)
        shown = poll(maison, d.b.url, task, "Interrompue", timeout_s=60)
        assert "importé à moitié" in shown and "Recommencer" in shown
    finally:
        hold.rollback()
        hold.close()
    # uvicorn ends by raising the signal again once shut down (exit status -15: stopped by
    # SIGTERM, as systemd expects); the thread held at the lock ends with the process, its
    # transaction rolled back by the database
    assert d.a.process.wait(120) in (0, -signal.SIGTERM)
    log = d.a.log.read_text()
    assert "terminate called" not in log and "Traceback" not in log, log[-3000:]
    final = maison.get(f"{d.b.url}/taches/{task}").text
    stored = count(d.factory, OpportunityRow) - offers
    if "Terminé" in final:  # it ended after all: the whole file, as the report says
        assert stored > 0 and "enregistré" in final
    else:
        assert "Interrompue" in final and stored == 0

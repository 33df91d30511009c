"""A small world for API tests: sample data in a database, an index, users of every role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from data_contracts.models import JobDay
from tremplin.actors import Role
from tremplin.ingest import load_sample_dir
from tremplin.sample import generate, write_sample
from tremplin.settings import Settings
from tremplin.store.db import make_engine, session_factory, upgrade

PASSWORD = "motdepasse-solide-123"
TODAY = "2026-11-01"


def in_own_thread(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` in a thread of its own (its result, or its exception raised here): an
    event loop run there cannot meet the one Playwright keeps running in the main thread of a
    test worker that ran the browser tests."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


@dataclass
class World:
    """A running app (TestClient) with a sample, and a signed-in client per user."""

    client: TestClient
    settings: Settings
    employer_id: str
    beneficiaries: dict[str, list[str]]  # CPAS -> beneficiary ids
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, user: str) -> dict[str, str]:
        """Authorization headers of ``user`` (signing in once)."""
        if user not in self.tokens:
            r = self.client.post(
                "/api/v1/auth/token", data={"username": user, "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            self.tokens[user] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def build_linker(self) -> None:
        """Build the app's title linker now (tests start apps without the background build;
        the session's ``linker`` fixture has filled the embedding cache it reads)."""
        self.client.app.state.tremplin.matching.linker()  # type: ignore[attr-defined]

    def call(self, user: str | None, method: str, url: str, **kwargs: Any) -> Any:
        """One request as ``user`` (None: anonymous)."""
        headers = {**kwargs.pop("headers", {}), **(self.headers(user) if user else {})}
        return self.client.request(method, url, headers=headers, **kwargs)


USERS: dict[str, tuple[Role, dict[str, Any]]] = {
    "admin": (Role.ADMIN, {}),
    "coach.liege": (Role.COACH, {"cpas_id": "cpas-liege"}),
    "coach.seraing": (Role.COACH, {"cpas_id": "cpas-seraing"}),
    "maison.liege": (Role.MAISON_EMPLOI, {"partner_cpas": ["cpas-liege"]}),
}


def settings_for(root: Path, database_url: str, shared: Path, **extra: Any) -> Settings:
    """Settings of a test app: its own data folder, the run's shared models and cache."""
    return Settings(
        data_dir=root,
        database_url=database_url,
        models_dir=shared / "models",
        embedding_cache=shared / "embeddings.sqlite",
        pseudonym_key="test-pseudonym-key",
        warm_title_linker=False,  # the session's ``linker`` fixture fills the cache once
        **extra,
    )


def prepare_world(
    root: Path,
    database_url: str,
    shared: Path,
    size: tuple[int, int] = (300, 60),
    **extra: Any,
) -> tuple[Settings, str, dict[str, list[str]]]:
    """The sample (``size``: opportunities, people; 300 and 60 unless said) stored and
    indexed, a user of every role: the settings, the employer's id and the beneficiaries'
    ids by CPAS."""
    from matching.engine import build_index
    from serving import users

    settings = settings_for(root, database_url, shared, **extra)
    data = generate(5, n_opportunities=size[0], n_beneficiaries=size[1])
    write_sample(data, root / "sample", 5, False)
    engine = make_engine(database_url)
    upgrade(engine)
    factory = session_factory(engine)
    reports = load_sample_dir(root / "sample", factory)
    assert all(r.stored for r in reports), [r.row_errors[:3] for r in reports]
    employer_id = next(o.employer_id for o in data.opportunities if o.employer_id)
    with factory() as session, session.begin():
        build_index(session, settings)
        for name, (role, scope) in {
            **USERS,
            "employer": (Role.EMPLOYER, {"employer_id": employer_id}),
        }.items():
            users.create_user(session, name, PASSWORD, role, **scope)
    engine.dispose()
    people: dict[str, list[str]] = {}
    for b in data.beneficiaries:
        people.setdefault(b.cpas_id, []).append(b.id)
    return settings, employer_id, people


LIEGE_DAY = "jobday-liege-2026-12"  # the job-day world's Liège job day


def liege_day_planner(session: Any) -> JobDay:
    """Create ``maison.all``, a Maison de l'emploi of every CPAS of the Liège job day (the
    job-day world's planner), and return that day."""
    from serving import users
    from tremplin.store.models import JobDayRow

    row = session.scalars(select(JobDayRow).where(JobDayRow.external_id == LIEGE_DAY)).one()
    day = JobDay.model_validate(row.payload)
    users.create_user(
        session, "maison.all", PASSWORD, Role.MAISON_EMPLOI, partner_cpas=day.cpas_ids
    )
    return day


def page_session(w: World, user: str) -> tuple[TestClient, str]:
    """A second client of ``w``'s app signed in to the pages as ``user``: the client (its
    cookie holds the session) and the session's CSRF token."""
    import re

    client = TestClient(w.client.app)
    r = client.post("/connexion", data={"username": user, "password": PASSWORD})
    assert r.status_code == 200 and "/connexion" not in str(r.url), r.text[:300]
    found = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert found, "no CSRF token on the page"
    return client, found.group(1)


def finish_task(client: TestClient, started: str, timeout_s: float = 600) -> str:
    """Poll a page task (``started``: the fragment the page got) until it ends; its last
    fragment."""
    import re
    import time

    if 'class="task"' in started and "hx-get" not in started:
        return started  # it ended before the page answered: nothing to poll
    found = re.search(r'id="tache-([0-9a-f]+)"', started)
    assert found, started[:500]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        fragment = client.get(f"/taches/{found.group(1)}").text
        if "hx-get" not in fragment:
            return fragment
        time.sleep(0.5)
    raise AssertionError("the page task did not end")


@contextmanager
def world(
    root: Path, database_url: str, shared: Path, size: tuple[int, int] = (300, 60), **extra: Any
) -> Iterator[World]:
    """Build the world (see :func:`prepare_world`), serve it in-process, tear it down."""
    from web.app import create_site

    settings, employer_id, people = prepare_world(root, database_url, shared, size, **extra)
    app = create_site(settings)
    with TestClient(app) as client:
        yield World(client, settings, employer_id, people)


@contextmanager
def live_server(
    root: Path, database_url: str, shared: Path, size: tuple[int, int] = (300, 60), **extra: Any
) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """The same world served by uvicorn on 127.0.0.1 (a free port), API and pages, for a real
    browser; yields the base URL and the beneficiaries' ids by CPAS."""
    import socket
    import threading
    import time

    import uvicorn

    from web.app import create_site

    settings, _, people = prepare_world(root, database_url, shared, size, **extra)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_site(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 600  # the engine loads before the server says it started
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    try:
        yield f"http://127.0.0.1:{port}", people
    finally:
        server.should_exit = True
        thread.join(30)

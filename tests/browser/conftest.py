"""A real browser against a live server: Debian's Chromium driven by Playwright, with no
network beyond 127.0.0.1 (every request elsewhere is refused and recorded)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import CHROMIUM, TODAY, Site


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, shared_dir: Path, linker: object
) -> Iterator[Site]:
    """The API sample served by uvicorn on a free local port (SQLite); ``linker`` has filled
    the shared embedding cache the engine reads at start."""
    from api_support import live_server

    root = tmp_path_factory.mktemp("browser")
    with live_server(root, f"sqlite:///{root / 'tremplin.db'}", shared_dir) as (base, people):
        yield Site(base, people)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium; every host name but 127.0.0.1 resolves to nothing."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing: .ci/run installs it")
        pytest.skip("browser tests need Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def pages(
    tmp_path_factory: pytest.TempPathFactory, shared_dir: Path, linker: object
) -> Iterator[Site]:
    """The sample with job days and pools (500 offers, 360 people), API and pages on a live
    server, dated at the sample's reference day (one per test worker, for every journey)."""
    from api_support import live_server

    root = tmp_path_factory.mktemp("pages")
    with live_server(
        root, f"sqlite:///{root / 'tremplin.db'}", shared_dir, (500, 360), as_of=TODAY
    ) as (base, people):
        yield Site(base, people)

"""Browser test helpers: the live site, the network guard, a guarded page."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LOCAL_HOSTS = {"127.0.0.1"}
PASSWORD = "motdepasse-solide-123"
SHOTS = Path(os.environ.get("TREMPLIN_SCREENSHOTS", "build/screenshots"))
TODAY = dt.date(2026, 11, 1)  # the sample's reference date: the pages' date in these tests
LIEGE_DAY = "jobday-liege-2026-12"
PHONE = {"width": 360, "height": 780}


@dataclass
class Site:
    """The live server's address and the sample's beneficiaries."""

    base: str
    people: dict[str, list[str]]


@dataclass
class Guard:
    """Requests a page tried outside 127.0.0.1 (refused), and local ones that failed."""

    outside: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def guarded_page(browser: Any, guard: Guard) -> Any:
    """A new page (French locale) whose requests outside 127.0.0.1 are aborted and recorded."""
    context = browser.new_context(locale="fr-BE", viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def route(handle: Any) -> None:
        url = handle.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname in LOCAL_HOSTS:
            handle.continue_()
        else:
            guard.outside.append(url)
            handle.abort()

    page.route("**/*", route)
    page.on(
        "requestfailed",
        lambda request: (
            guard.failed.append(request.url)
            if urlparse(request.url).hostname in LOCAL_HOSTS
            and request.failure != "net::ERR_ABORTED"  # left behind by a navigation
            else None
        ),
    )
    return page


def shot(page: Any, name: str) -> None:
    """A screenshot of what the page shows now, as ``SHOTS/name.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def sign_in(browser: Any, site: Site, user: str, guard: Guard, password: str = PASSWORD) -> Any:
    """A guarded page signed in as ``user`` through the sign-in form."""
    page = guarded_page(browser, guard)
    page.goto(site.base + "/")
    page.wait_for_url("**/connexion**")
    page.get_by_label("Identifiant").fill(user)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("networkidle")
    assert "/connexion" not in page.url, page.inner_text("main")
    return page


def api(site: Site, user: str, method: str, path: str, body: Any = None) -> Any:
    """One API call as ``user`` (a token asked first); the JSON answer."""
    form = f"username={user}&password={PASSWORD}".encode()
    with urllib.request.urlopen(site.base + "/api/v1/auth/token", form) as r:
        token = json.load(r)["access_token"]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        site.base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as r:
        return json.load(r)


def sideways_overflow(page: Any) -> int:
    """How many pixels the page scrolls sideways (0 when it fits its viewport)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def tick_first_metier(page: Any) -> None:
    """On the profile form: read the wish into métiers and tick the first one proposed (the
    title linker may still be building after the server's start: asked again until ready)."""
    for _ in range(60):
        page.get_by_role("button", name="Trouver les métiers correspondants").click()
        page.wait_for_load_state("networkidle")
        if page.locator("#metiers input[type=checkbox]").count():
            break
        page.wait_for_timeout(2000)
    page.locator("#metiers input[type=checkbox]").first.check()

"""Browser test helpers: the live site, the network guard, a guarded page."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LOCAL_HOSTS = {"127.0.0.1"}


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

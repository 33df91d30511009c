"""The service's own pages in a real browser, offline: /docs and /redoc render from bundled
assets, and a coach signs in and gets a shortlist from the Swagger UI page."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from browser_support import Guard, Site, guarded_page

PAGES = {
    "/docs": ".swagger-ui .info .title",
    "/redoc": "h1",
    "/docs/oauth2-redirect": "body",
}
SCREENSHOT = os.environ.get("TREMPLIN_DOCS_SCREENSHOT")  # a path: save the rendered /docs there


@pytest.mark.parametrize("path", sorted(PAGES))
def test_every_page_loads_nothing_from_outside(site: Site, browser: Any, path: str) -> None:
    guard = Guard()
    page = guarded_page(browser, guard)
    response = page.goto(site.base + path, wait_until="networkidle")
    assert response is not None and response.status == 200
    assert "'self'" in response.headers["content-security-policy"]
    if path != "/docs/oauth2-redirect":  # the page itself names no other host
        assert "//" not in response.text().replace(site.base, "").replace("http://127.0.0.1", "")
    page.wait_for_selector(PAGES[path], state="attached", timeout=30_000)
    if path != "/docs/oauth2-redirect":
        assert "Tremplin API" in page.inner_text("body")
    assert guard.outside == [], f"{path} asked outside the service: {guard.outside}"
    assert guard.failed == [], f"{path} could not load: {guard.failed}"
    page.context.close()


def test_a_coach_signs_in_and_gets_a_shortlist_from_the_docs_page(site: Site, browser: Any) -> None:
    guard = Guard()
    page = guarded_page(browser, guard)
    page.goto(site.base + "/docs", wait_until="networkidle")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    if SCREENSHOT:
        page.screenshot(path=str(Path(SCREENSHOT)), full_page=False)

    # the Authorize dialog, OAuth2 password flow, as a demo coach
    page.click(".auth-wrapper button.authorize")
    page.fill("#oauth_username", "coach.liege")
    page.fill("#oauth_password", "motdepasse-solide-123")
    oauth = page.locator(".auth-container", has=page.locator("#oauth_username"))
    oauth.locator("button.authorize").click()
    page.wait_for_selector('button[aria-label="Remove authorization"]', timeout=30_000)
    page.locator("button.btn-done").first.click()

    # POST /api/v1/shortlists, run from the page
    operation = "#operations-shortlists-create_shortlist_api_v1_shortlists_post"
    page.click(f"{operation} .opblock-summary")
    body = {"beneficiary_id": site.people["cpas-liege"][0], "top": 5, "today": "2026-11-01"}
    page.fill(f"{operation} textarea.body-param__text", json.dumps(body))
    page.click(f"{operation} button.execute")
    status = page.wait_for_selector(
        f"{operation} .live-responses-table .response .response-col_status", timeout=60_000
    )
    assert status is not None and status.inner_text().strip() == "200"
    shown = page.inner_text(f"{operation} .live-responses-table .response-col_description pre")
    answer = json.loads(shown)
    items = answer["shortlist"]["items"]
    assert items and items[0]["opportunity_id"]
    assert guard.outside == [] and guard.failed == []
    page.context.close()

"""End-to-end tests: Playwright drives Debian's Chromium (never a downloaded browser) against a
live server on the test database. A failing test leaves a screenshot in artifacts/screenshots/.

In CI a missing Chromium fails these tests; on a laptop without it they skip with the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.services import require_service

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    require_service("Chromium", path is not None, "install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread while the browser is open; the ORM
    # calls tests make between browser steps are ordinary synchronous code, so Django's
    # async-safety guard stands aside for these tests only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=path, headless=True, args=CHROMIUM_FLAGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context per test (its own cookies), with a screenshot if the test fails."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = request.node.nodeid.replace("/", "_").replace("::", "__")
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def signed_in(browser, live_server, request):
    """Opens a browser context per person (`signed_in(user)` gives a signed-in page), and saves a
    screenshot of every one of them if the test fails."""
    pages = []

    def open_page(user):
        from tests.factories import PASSWORD

        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(20_000)
        page = context.new_page()
        sign_in(page, user.username, PASSWORD)
        pages.append((user.username, page))
        return page

    yield open_page
    report = getattr(request.node, "report_call", None)
    for username, page in pages:
        if report is not None and report.failed:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = request.node.nodeid.replace("/", "_").replace("::", "__")
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{username}.png"), full_page=True)
        page.context.close()


def sign_in(page, username: str, password: str) -> None:
    from tests.factories import PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """Runs axe-core (from npm) on the page; returns the violations of the given impacts."""
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}
        })"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]

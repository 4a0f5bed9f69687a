"""Headless Chromium (Debian's package) driven by Playwright for Python: what a person sees."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# CI runs as root, where Chromium's sandbox cannot start; the network flags keep Chromium from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1024, "height": 800}, ignore_https_errors=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture
def ui_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A wide tab for the admin UI, in English, or in Dutch with ``indirect`` parameter ``"nl"``."""
    language = getattr(request, "param", "en")
    context = browser.new_context(
        locale="nl-NL" if language == "nl" else "en-GB",
        viewport={"width": 1280, "height": 900},
        ignore_https_errors=True,
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture
def demo_application(page: Page) -> list[str]:
    """Stands in for the demo client at its redirect URI; returns the callback URLs it received."""
    from tests.support.signin import DEMO_REDIRECT_URI

    callbacks: list[str] = []

    def answer(route: Route) -> None:
        callbacks.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Signed in to the demo application</h1>")

    page.route(f"{DEMO_REDIRECT_URI}**", answer)
    return callbacks

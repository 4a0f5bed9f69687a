"""Screenshots of the browser tests, for a person to look at: ``<test output>/browser/<name>.png``, the whole page."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page


def shoot(page: Page, test_output: Path, name: str) -> None:
    folder = test_output / "browser"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=folder / f"{name}.png", full_page=True)

"""The "Set up account recovery" page as a person sees it, reached through the application-initiated action."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from playwright.sync_api import Page

from tests.support.signin import DemoClient


@pytest.mark.parametrize("locale", ["en", "nl"])
def test_setup_page_shows_codes_to_copy_download_and_print(
    page: Page, demo_application, keycloak, new_employee, test_output, locale
):
    employee = new_employee()
    page.goto(DemoClient(keycloak, ui_locales=locale, kc_action="mfa-recovery-setup").authorization_url())
    page.locator("#username").fill(employee.username)
    page.locator("#password").fill(employee.password)
    page.locator("#kc-login").click()
    page.locator("#otp").fill(employee.totp())
    page.locator("#kc-login").click()

    codes = page.locator("#mfa-recovery-codes code")
    codes.first.wait_for()
    page.screenshot(path=test_output / "browser" / f"{locale}-setup-page.png", full_page=True)
    shown = [text.strip() for text in codes.all_inner_texts()]
    assert len(shown) == 10
    assert page.locator("#mfa-recovery-copy").is_visible()
    assert page.locator("#mfa-recovery-print").is_visible()
    download = page.locator("#mfa-recovery-download").get_attribute("href")
    assert unquote(download).split(",", 1)[1].split() == shown

    page.locator("#mfa-recovery-setup-confirm").click()  # not ticked: the browser's own "required" check stops it
    assert not demo_application
    page.locator("#mfa-recovery-saved").check()
    page.locator("#mfa-recovery-setup-confirm").click()
    page.get_by_text("Signed in to the demo application").wait_for()

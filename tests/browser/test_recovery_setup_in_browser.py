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
    assert download is not None
    assert unquote(download).split(",", 1)[1].split() == shown

    page.locator("#mfa-recovery-setup-confirm").click()  # not ticked: the browser's own "required" check stops it
    assert not demo_application
    page.locator("#mfa-recovery-saved").check()
    page.locator("#mfa-recovery-setup-confirm").click()
    page.get_by_text("Signed in to the demo application").wait_for()


def test_account_console_lists_backup_codes_and_links_to_the_setup(
    page: Page, demo_application, keycloak, new_employee, test_output
):
    employee = new_employee()
    page.goto(f"{keycloak}/realms/acme/account/account-security/signing-in")
    page.locator("#username").fill(employee.username)
    page.locator("#password").fill(employee.password)
    page.locator("#kc-login").click()
    page.locator("#otp").fill(employee.totp())
    page.locator("#kc-login").click()

    backup_codes = page.get_by_text("Backup codes", exact=True)
    backup_codes.first.wait_for()
    page.screenshot(path=test_output / "browser" / "account-console-before-setup.png", full_page=True)
    page.get_by_text("Set up Backup codes").click()  # the account console's own link, to kc_action=mfa-recovery-setup

    page.locator("#mfa-recovery-codes").wait_for()
    page.locator("#mfa-recovery-saved").check()
    page.locator("#mfa-recovery-setup-confirm").click()
    page.get_by_text("Backup codes", exact=True).first.wait_for()
    page.screenshot(path=test_output / "browser" / "account-console-after-setup.png", full_page=True)
    assert page.get_by_text("Set up Backup codes").count() == 0, "a set exists now: no more 'set up' link"

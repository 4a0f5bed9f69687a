"""A person who lost their authenticator signs in with a backup code, in a real browser."""

from __future__ import annotations

import jwt
from playwright.sync_api import Page

from tests.support.signin import DemoClient


def test_sign_in_with_a_backup_code(page: Page, demo_application, keycloak, new_employee, issue_codes, test_output):
    employee = new_employee()
    code = issue_codes(employee)[0]
    client = DemoClient(keycloak)
    shots = test_output / "browser"
    shots.mkdir(exist_ok=True)

    page.goto(client.authorization_url())
    page.screenshot(path=shots / "01-username-password.png", full_page=True)
    page.get_by_label("Username or email").fill(employee.username)
    page.get_by_label("Password", exact=True).fill(employee.password)
    page.get_by_role("button", name="Sign In").click()

    link = page.get_by_role("button", name="Use backup code/email")
    link.wait_for()
    page.screenshot(path=shots / "02-otp-with-backup-link.png", full_page=True)
    link.click()

    # One page: the code field first, then the other ways in.
    page.get_by_label("Backup code").wait_for()
    assert page.locator("#mfa-recovery-choose-neither").is_visible()
    page.screenshot(path=shots / "03-choice-with-backup-code.png", full_page=True)
    page.get_by_label("Backup code").fill(code)
    page.get_by_role("button", name="Sign In").click()

    # Nine codes left is above the realm's warning threshold (3): straight on to the application.
    page.get_by_text("Signed in to the demo application").wait_for()
    page.screenshot(path=shots / "04-signed-in-straight-at-the-application.png", full_page=True)

    assert len(demo_application) == 1
    tokens = client.exchange(client.code_from_callback(demo_application[0]))
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["sub"] == employee.user_id


def sign_in_to_otp_page(page: Page, keycloak: str, employee, ui_locales: str | None = None) -> None:
    page.goto(DemoClient(keycloak, ui_locales=ui_locales).authorization_url())
    page.locator("#username").fill(employee.username)
    page.locator("#password").fill(employee.password)
    page.locator("#kc-login").click()
    page.locator("#mfa-recovery-link").wait_for()


def test_dutch_pages_without_backup_codes(page: Page, keycloak, new_employee, test_output):
    employee = new_employee()
    sign_in_to_otp_page(page, keycloak, employee, ui_locales="nl")
    page.screenshot(path=test_output / "browser" / "nl-01-otp-with-backup-link.png", full_page=True)
    assert page.locator("#mfa-recovery-link").inner_text().strip() == "Gebruik back-upcode/e-mail"
    page.locator("#mfa-recovery-link").click()
    page.locator("#mfa-recovery-no-method").wait_for()
    page.screenshot(path=test_output / "browser" / "nl-02-no-backup-method.png", full_page=True)
    assert "leidinggevende" in page.locator("#mfa-recovery-no-method").inner_text()


def test_unavailable_page_when_the_sidecar_is_down(
    page: Page, demo_application, keycloak, new_employee, sidecar_stopped, test_output
):
    employee = new_employee()
    sign_in_to_otp_page(page, keycloak, employee)
    page.locator("#mfa-recovery-link").click()
    page.locator("#mfa-recovery-unavailable").wait_for()
    page.screenshot(path=test_output / "browser" / "06-unavailable.png", full_page=True)
    page.get_by_role("button", name="Use my authenticator app instead").click()
    page.locator("#otp").fill(employee.totp())
    page.locator("#kc-login").click()
    page.get_by_text("Signed in to the demo application").wait_for()
    assert len(demo_application) == 1


def test_demo_user_reaches_the_account_console_with_a_backup_code(page: Page, keycloak, sidecar, test_output):
    """What the README promises after `scripts/stack.sh up`: alice, from the realm import, signs in to her account."""
    result = sidecar.cli("codes", "issue", "--realm", "acme", "--user", "alice")
    assert result.returncode == 0, result.stderr
    code = result.stdout.split()[0]
    page.goto(f"{keycloak}/realms/acme/account/")
    page.locator("#username").fill("alice")
    page.locator("#password").fill("alice-dev-password")
    page.locator("#kc-login").click()
    page.locator("#mfa-recovery-link").click()
    page.locator("#backupCode").fill(code)
    page.locator("#kc-login").click()
    page.get_by_role("heading", name="Personal info").wait_for()
    page.screenshot(path=test_output / "browser" / "07-account-console.png", full_page=True)
    assert page.locator("#username").input_value() == "alice"

"""The backup email and "I have neither" pages in a real browser, in English and Dutch, each with a screenshot."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.support.employees import Employee
from tests.support.mail import code_in
from tests.support.recovery import SETUP_ACTION, SUPERVISOR, add_backup_address, backup_address_of, masked
from tests.support.screenshots import shoot
from tests.support.signin import DemoClient

LANGUAGES = ("en", "nl")
SUBJECT = {
    "en": "Your code to sign in",
    "nl": "Je code om in te loggen",
}


def sign_in_to_otp_page(page: Page, keycloak: str, employee: Employee, language: str, **client) -> None:
    page.goto(DemoClient(keycloak, ui_locales=language, **client).authorization_url())
    page.locator("#username").fill(employee.username)
    page.locator("#password").fill(employee.password)
    page.locator("#kc-login").click()
    page.locator("#otp").wait_for()


def assert_language(page: Page, language: str) -> None:
    assert page.locator("html").get_attribute("lang") == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_in_with_an_email_code(page: Page, keycloak, new_employee, sign_in, mail_sink, issue_codes, language,
                                    test_output):  # fmt: skip
    employee = new_employee(locale=language, supervisor=SUPERVISOR)
    address = add_backup_address(sign_in, employee, mail_sink)
    issue_codes(employee)

    sign_in_to_otp_page(page, keycloak, employee, language)
    page.locator("#mfa-recovery-link").click()
    choose_email = page.locator("#mfa-recovery-choose-email")
    choose_email.wait_for()
    assert masked(address) in choose_email.inner_text()
    assert page.locator("#backupCode").is_visible()
    assert page.locator("#mfa-recovery-choose-neither").is_visible()
    assert_language(page, language)
    shoot(page, test_output, f"{language}-01-choice")

    choose_email.click()
    page.locator("#emailCode").wait_for()
    shoot(page, test_output, f"{language}-02-email-code")
    mail = mail_sink.wait_for_mails_to(address, 2)[-1]
    assert mail["Subject"] == SUBJECT[language]
    code = code_in(mail)

    page.locator("#emailCode").fill(f"{(int(code) + 1) % 10**8:08d}")
    page.locator("#mfa-recovery-email-submit").click()
    page.locator("#input-error-emailCode").wait_for()
    shoot(page, test_output, f"{language}-03-email-code-wrong")

    page.locator("#emailCode").fill(code[:4] + " " + code[4:])
    page.locator("#mfa-recovery-email-submit").click()
    page.locator("#totp").wait_for()  # Keycloak's own "set up your authenticator app" page comes next
    shoot(page, test_output, f"{language}-05-reenrol-authenticator")


@pytest.mark.parametrize("language", LANGUAGES)
def test_i_have_neither(page: Page, keycloak, new_employee, mail_sink, language, test_output):
    employee = new_employee(locale=language, supervisor=SUPERVISOR)
    sign_in_to_otp_page(page, keycloak, employee, language)
    page.locator("#mfa-recovery-link").click()
    page.locator("#mfa-recovery-no-method").wait_for()
    assert "Carol de Vries" in page.locator("#mfa-recovery-supervisor").inner_text()
    assert_language(page, language)
    shoot(page, test_output, f"{language}-06-neither")

    page.locator("#mfa-recovery-notify-supervisor").click()
    page.locator("#mfa-recovery-supervisor-notified").wait_for()
    assert page.locator("#mfa-recovery-notify-supervisor").count() == 0
    shoot(page, test_output, f"{language}-07-supervisor-notified")


@pytest.mark.parametrize("language", LANGUAGES)
def test_set_up_a_backup_address(page: Page, keycloak, new_employee, mail_sink, language, test_output):
    employee = new_employee(locale=language)
    address = backup_address_of(employee)
    sign_in_to_otp_page(page, keycloak, employee, language, kc_action=SETUP_ACTION)
    page.locator("#otp").fill(employee.totp())
    page.locator("#kc-login").click()
    field = page.locator("#mfa-recovery-backup-email-address")
    field.wait_for()
    assert_language(page, language)
    shoot(page, test_output, f"{language}-08-setup-with-backup-email")

    field.fill(address)
    page.locator("#mfa-recovery-backup-email-send").click()
    page.locator("#emailCode").wait_for()
    shoot(page, test_output, f"{language}-09-setup-verify-address")

    page.locator("#emailCode").fill(code_in(mail_sink.wait_for_mail_to(address)))
    page.locator("#mfa-recovery-backup-email-verify").click()
    state = page.locator("#mfa-recovery-backup-email-state")
    state.wait_for()
    assert masked(address) in state.inner_text()
    shoot(page, test_output, f"{language}-10-setup-address-verified")


def test_backup_code_pages_in_dutch(page: Page, keycloak, new_employee, sidecar, demo_application, test_output):
    employee = new_employee(locale="nl")
    issued = sidecar.cli("codes", "issue", "--realm", "acme", "--user", employee.username, "--count", "5")
    assert issued.returncode == 0, issued.stderr
    codes = issued.stdout.split()

    sign_in_to_otp_page(page, keycloak, employee, "nl")
    page.locator("#mfa-recovery-link").click()
    page.locator("#backupCode").wait_for()
    assert page.locator("#mfa-recovery-choose-neither").is_visible()
    assert_language(page, "nl")
    shoot(page, test_output, "nl-11-choice-with-backup-code")
    page.locator("#backupCode").fill(codes[0])
    page.locator("#kc-login").click()
    page.get_by_text("Signed in to the demo application").wait_for()  # 4 left, above the threshold of 3
    shoot(page, test_output, "nl-12-signed-in-straight-at-the-application")

    page.context.clear_cookies()  # no single sign-on: the second sign-in starts at the password again
    sign_in_to_otp_page(page, keycloak, employee, "nl")
    page.locator("#mfa-recovery-link").click()
    page.locator("#backupCode").fill(codes[1])
    page.locator("#kc-login").click()
    page.locator("#mfa-recovery-continue").wait_for()  # 3 left: the page that leads on to a new set
    assert_language(page, "nl")
    assert "Back-upcodes over: 3." in page.locator("#mfa-recovery-remaining").inner_text()
    assert page.locator("#mfa-recovery-low").is_visible()
    assert page.locator("#try-another-way").count() == 0, "the code is spent; no way back to other methods"
    shoot(page, test_output, "nl-13-few-codes-left")
    page.locator("#mfa-recovery-continue").click()
    page.locator("#mfa-recovery-codes").wait_for()  # the new set
    shoot(page, test_output, "nl-14-new-set")


def test_unavailable_page_in_dutch(page: Page, keycloak, new_employee, sidecar_stopped, test_output):
    employee = new_employee(locale="nl")
    sign_in_to_otp_page(page, keycloak, employee, "nl")
    page.locator("#mfa-recovery-link").click()
    page.locator("#mfa-recovery-unavailable").wait_for()
    assert_language(page, "nl")
    shoot(page, test_output, "nl-13-unavailable")

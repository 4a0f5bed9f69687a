"""Sign-ins against the real Keycloak 26.7 with the bridge, theme and sidecar installed, driven over HTTP."""

from __future__ import annotations

import pytest

from tests.support.employees import brute_force_status, wait_for_brute_force_failures
from tests.support.signin import claims_of


def test_password_and_totp_sign_in(sign_in, new_employee):
    employee = new_employee()
    attempt = sign_in()
    assert attempt.password(employee.username, employee.password).has("kc-otp-login-form")
    attempt.otp(employee.totp())
    assert claims_of(attempt.exchange())["sub"] == employee.user_id


def test_otp_page_offers_backup_link_in_english(sign_in, new_employee):
    employee = new_employee()
    page = sign_in().password(employee.username, employee.password)
    link = page.soup.find(id="mfa-recovery-link")
    assert link is not None and link.get_text(strip=True) == "Use backup code/email"


def test_otp_page_offers_backup_link_in_dutch(sign_in, new_employee):
    employee = new_employee()
    page = sign_in(ui_locales="nl").password(employee.username, employee.password)
    link = page.soup.find(id="mfa-recovery-link")
    assert link is not None and link.get_text(strip=True) == "Gebruik back-upcode/e-mail"


def test_link_goes_straight_to_the_choice_page(sign_in, new_employee, issue_codes):
    employee = new_employee()
    issue_codes(employee)
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    page = attempt.use_backup()
    assert not page.has("kc-select-credential-form"), "went through Keycloak's selector page"
    assert "Sign in without your authenticator app" in page.text
    assert page.has("mfa-recovery-code-form") and page.has("backupCode"), "the code field is on the choice page"
    assert page.has("mfa-recovery-choose-neither")


def test_backup_code_page_in_dutch(sign_in, new_employee, issue_codes):
    employee = new_employee()
    issue_codes(employee)
    attempt = sign_in(ui_locales="nl")
    attempt.password(employee.username, employee.password)
    page = attempt.use_backup()
    assert "Inloggen zonder je authenticator-app" in page.text
    assert page.soup.find("label", attrs={"for": "backupCode"}).get_text(strip=True).startswith("Back-upcode")


def test_backup_code_signs_the_right_user_in(sign_in, new_employee, issue_codes):
    employee = new_employee()
    other = new_employee()
    codes = issue_codes(employee)
    issue_codes(other)
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    attempt.use_backup()
    attempt.backup_code(codes[3])
    claims = claims_of(attempt.exchange())
    assert claims["sub"] == employee.user_id
    assert claims["preferred_username"] == employee.username


def test_backup_code_is_forgiving_about_case_spaces_and_hyphens(sign_in, new_employee, issue_codes):
    employee = new_employee()
    code = issue_codes(employee)[0]
    typed = " " + code.replace("-", " ").lower() + " "
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    attempt.use_backup()
    attempt.backup_code(typed)
    assert claims_of(attempt.exchange())["sub"] == employee.user_id


def test_a_used_backup_code_fails_the_second_time(sign_in, new_employee, issue_codes):
    employee = new_employee()
    code = issue_codes(employee)[0]
    first = sign_in()
    first.password(employee.username, employee.password)
    first.use_backup()
    first.backup_code(code)
    assert first.authorization_code() is not None

    second = sign_in()
    second.password(employee.username, employee.password)
    second.use_backup()
    page = second.backup_code(code)
    assert second.authorization_code() is None
    assert "That backup code is not valid" in page.text


def test_a_backup_code_of_another_user_fails(sign_in, new_employee, issue_codes):
    employee = new_employee()
    other = new_employee()
    issue_codes(employee)
    others_code = issue_codes(other)[0]
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    attempt.use_backup()
    attempt.backup_code(others_code)
    assert attempt.authorization_code() is None


def test_wrong_code_shows_a_message_and_counts_as_a_brute_force_failure(sign_in, new_employee, issue_codes, admin):
    employee = new_employee()
    issue_codes(employee)
    assert brute_force_status(admin, employee.user_id)["numFailures"] == 0
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    attempt.use_backup()
    page = attempt.backup_code("AAAA-BBBB-CC")
    assert attempt.authorization_code() is None
    error = page.soup.find(id="input-error-backupCode")
    assert error is not None and "not valid" in error.get_text()
    assert wait_for_brute_force_failures(admin, employee.user_id, expected=1) == 1


@pytest.mark.parametrize("typed", ["7" * 65, "AAAA\x00BBBB"], ids=["longer-than-a-code", "with-a-nul"])
def test_what_cannot_be_a_code_is_a_wrong_code_not_an_outage(sign_in, new_employee, issue_codes, admin, typed):
    """A client other than the form (which stops at 64 characters) may send anything: it is a wrong code, counted
    by Keycloak like any other, and the page says so instead of "unavailable"."""
    employee = new_employee()
    issue_codes(employee)
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    attempt.use_backup()
    page = attempt.backup_code(typed)
    assert attempt.authorization_code() is None
    error = page.soup.find(id="input-error-backupCode")
    assert error is not None and "not valid" in error.get_text(), page.text
    assert wait_for_brute_force_failures(admin, employee.user_id, expected=1) == 1


def test_user_without_backup_codes_is_told_to_contact_the_supervisor(sign_in, new_employee):
    employee = new_employee()
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    page = attempt.use_backup()
    assert page.has("mfa-recovery-no-method")
    assert "Contact your supervisor" in page.text


def test_back_to_the_authenticator_from_the_backup_page(sign_in, new_employee, issue_codes):
    employee = new_employee()
    issue_codes(employee)
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    attempt.use_backup()
    assert attempt.back_to_otp().has("kc-otp-login-form")
    attempt.otp(employee.totp())
    assert claims_of(attempt.exchange())["sub"] == employee.user_id

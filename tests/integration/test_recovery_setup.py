"""Setting up account recovery through Keycloak: the required action, regeneration, the low-count redirect,
re-enrolment of OTP and the notification mail, against the real Keycloak and sidecar."""

from __future__ import annotations

import time

import pyotp

from tests.support.signin import SignIn

SETUP_ACTION = "mfa-recovery-setup"


def recover_with(attempt: SignIn, employee, code: str):
    attempt.password(employee.username, employee.password)
    attempt.use_backup()
    return attempt.backup_code(code)


def otp_credential_ids(admin, employee) -> list[str]:
    return [c["id"] for c in admin.get_credentials(employee.user_id) if c["type"] == "otp"]


def enrol_first_authenticator(sign_in, new_employee):
    """A user without OTP who must enrol one signs in and enrols it; the sign-in goes on from there."""
    employee = new_employee(with_otp=False, required_actions=("CONFIGURE_TOTP",))
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    attempt.configure_totp()
    return employee, attempt


def test_above_the_warning_threshold_a_code_leads_straight_to_the_application(sign_in, new_employee, issue_codes):
    employee = new_employee()
    codes = issue_codes(employee)  # 10, the threshold is 3: 9 left after this sign-in
    attempt = sign_in()
    recover_with(attempt, employee, codes[0])
    assert attempt.authorization_code() is not None, attempt.page.text[:300]


def test_user_regenerates_codes_through_the_application_initiated_action(sign_in, new_employee, issue_codes):
    employee = new_employee()
    old_codes = issue_codes(employee)
    attempt = sign_in(kc_action=SETUP_ACTION)
    attempt.password(employee.username, employee.password)
    page = attempt.otp(employee.totp())
    assert page.has("mfa-recovery-setup-form")
    new_codes = attempt.shown_backup_codes()
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert page.has("mfa-recovery-cancel-form")  # Keycloak offers cancel on an application-initiated action

    attempt.confirm_saved_codes()
    assert attempt.authorization_code() is not None

    old = sign_in()
    recover_with(old, employee, old_codes[1])
    assert "That backup code is not valid" in old.page.text, "the old set must stop working at once"
    new = sign_in()
    recover_with(new, employee, new_codes[1])
    assert new.authorization_code() is not None


def test_new_codes_count_only_after_the_user_confirms(sign_in, new_employee, issue_codes):
    employee = new_employee()
    old_codes = issue_codes(employee)
    attempt = sign_in(kc_action=SETUP_ACTION)
    attempt.password(employee.username, employee.password)
    attempt.otp(employee.totp())
    shown = attempt.shown_backup_codes()

    page = attempt.confirm_saved_codes(ticked=False)
    assert "Tick the box" in page.text
    assert attempt.shown_backup_codes() == shown, "the same set is shown again"

    pending = sign_in()
    recover_with(pending, employee, shown[0])
    assert pending.authorization_code() is None and "not valid" in pending.page.text
    still_valid = sign_in()
    recover_with(still_valid, employee, old_codes[0])
    assert still_valid.authorization_code() is not None


def test_few_codes_left_sends_the_user_on_to_regenerate(sign_in, new_employee, sidecar):
    employee = new_employee()
    result = sidecar.cli("codes", "issue", "--realm", "acme", "--user", employee.username, "--count", "4")
    assert result.returncode == 0, result.stderr
    codes = result.stdout.split()
    attempt = sign_in()
    page = recover_with(attempt, employee, codes[0])
    assert page.has("mfa-recovery-low")
    assert page.text_of("mfa-recovery-remaining").startswith("Backup codes left: 3."), page.text[:300]
    page = attempt.continue_after_recovery()
    assert page.has("mfa-recovery-setup-form"), page.text[:300]
    assert len(attempt.shown_backup_codes()) == 10
    attempt.confirm_saved_codes()
    assert attempt.authorization_code() is not None


def test_recovery_is_offered_right_after_otp_enrolment(sign_in, new_employee):
    employee, attempt = enrol_first_authenticator(sign_in, new_employee)
    assert attempt.page.has("mfa-recovery-setup-form"), attempt.page.text[:300]
    assert attempt.page.has("mfa-recovery-skip-form"), "the default prompt mode 'offered' can be skipped"
    codes = attempt.shown_backup_codes()
    attempt.confirm_saved_codes()
    assert attempt.authorization_code() is not None

    later = sign_in()
    recover_with(later, employee, codes[0])
    assert later.authorization_code() is not None


def test_prompt_off_skips_the_page_after_otp_enrolment(sign_in, new_employee, realm_options):
    realm_options("--setup-prompt", "off")
    employee, attempt = enrol_first_authenticator(sign_in, new_employee)
    assert attempt.authorization_code() is not None


def test_prompt_required_cannot_be_skipped(sign_in, new_employee, realm_options):
    realm_options("--setup-prompt", "required")
    employee, attempt = enrol_first_authenticator(sign_in, new_employee)
    assert attempt.page.has("mfa-recovery-setup-form")
    assert not attempt.page.has("mfa-recovery-skip-form")


def test_reenrol_otp_after_a_recovery_sign_in(sign_in, new_employee, issue_codes, admin, realm_options):
    realm_options("--reenrol-otp")
    employee = new_employee()
    codes = issue_codes(employee)
    attempt = sign_in()
    page = recover_with(attempt, employee, codes[0])
    assert page.has("kc-totp-settings-form"), "the user must enrol a new authenticator app"
    lost = otp_credential_ids(admin, employee)
    assert len(lost) == 1, "the lost authenticator stays until its replacement is registered"
    new_secret = attempt.configure_totp()
    assert new_secret != employee.totp_secret
    replacement = otp_credential_ids(admin, employee)
    assert len(replacement) == 1 and replacement != lost, "the new app replaced the lost one"
    if attempt.page.has("mfa-recovery-setup-form"):
        attempt.skip_setup()
    assert attempt.authorization_code() is not None

    again = sign_in()
    again.password(employee.username, employee.password)
    # The enrolment used this 30 s window's code and Keycloak refuses a code twice; its look-ahead takes the next.
    again.otp(pyotp.TOTP(new_secret).at(time.time() + 30))
    assert again.authorization_code() is not None


def test_an_abandoned_reenrolment_leaves_the_lost_authenticator_in_place(
    sign_in, new_employee, issue_codes, admin, realm_options
):
    realm_options("--reenrol-otp")
    employee = new_employee()
    codes = issue_codes(employee)
    before = otp_credential_ids(admin, employee)
    attempt = sign_in()
    page = recover_with(attempt, employee, codes[0])
    assert page.has("kc-totp-settings-form")
    # The user walks away from the enrolment page. Someone with only the password comes next.
    assert otp_credential_ids(admin, employee) == before
    assert "CONFIGURE_TOTP" not in admin.get_user(employee.user_id).get("requiredActions", [])
    intruder = sign_in()
    page = intruder.password(employee.username, employee.password)
    assert page.has("kc-otp-login-form"), "the second factor is still asked for"
    assert not page.has("kc-totp-settings-form")
    assert intruder.authorization_code() is None
    # The owner still signs in with the authenticator they had.
    owner = sign_in()
    owner.password(employee.username, employee.password)
    owner.otp(employee.totp())
    assert owner.authorization_code() is not None, owner.page.text[:300]


def test_primary_address_is_told_about_a_recovery_sign_in(sign_in, new_employee, issue_codes, mail_sink):
    employee = new_employee()
    codes = issue_codes(employee)
    attempt = sign_in()
    recover_with(attempt, employee, codes[0])
    assert attempt.authorization_code() is not None
    mail = mail_sink.wait_for_mail_to(f"{employee.username}@acme.example")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "backup code" in mail["Subject"].lower()
    assert "9" in body and "127.0.0.1" in body
    assert "mfa-recovery-tests/1.0" in body  # the browser as Keycloak reported it


def test_notification_in_dutch_for_a_dutch_user(sign_in, new_employee, issue_codes, mail_sink):
    employee = new_employee(locale="nl")
    codes = issue_codes(employee)
    attempt = sign_in()
    recover_with(attempt, employee, codes[0])
    mail = mail_sink.wait_for_mail_to(f"{employee.username}@acme.example")
    assert "back-upcode" in mail["Subject"].lower()

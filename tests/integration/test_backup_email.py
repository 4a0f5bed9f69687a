"""The backup email address and "I have neither", against the real Keycloak, sidecar and an SMTP sink: setting
the address up and verifying it, signing in with a mailed code, the limits on those codes, the supervisor."""

from __future__ import annotations

import time

import pytest

from tests.support.employees import email_of, wait_for_brute_force_failures
from tests.support.mail import age_email_codes, code_in, text_of
from tests.support.recovery import (
    SUPERVISOR_EMAIL,
    add_backup_address,
    backup_address_of,
    masked,
    open_setup_page,
    start_recovery,
)

# -- the backup address ---------------------------------------------------------------------------------------


def test_backup_address_is_verified_with_a_mailed_code(sign_in, new_employee, mail_sink):
    employee = new_employee()
    address = backup_address_of(employee)
    attempt = open_setup_page(sign_in, employee)
    assert "No backup email address" in attempt.page.text_of("mfa-recovery-backup-email-state")

    attempt.click("mfa-recovery-backup-email-send", {"email": address})
    mail = mail_sink.wait_for_mail_to(address)
    assert mail["Subject"] == "Confirm your backup email address"
    assert employee.username in text_of(mail), "the mail says which account asked"

    page = attempt.click("mfa-recovery-backup-email-verify", {"emailCode": code_in(mail)})
    assert masked(address) in page.text_of("mfa-recovery-backup-email-state")
    assert page.has("mfa-recovery-setup-form"), "the codes part of the page is still there"

    mail_sink.wait_for_subject(email_of(employee), "Your backup email address was changed")


def test_backup_address_must_differ_from_the_primary_one(sign_in, new_employee, mail_sink):
    employee = new_employee()
    attempt = open_setup_page(sign_in, employee)
    page = attempt.click("mfa-recovery-backup-email-send", {"email": email_of(employee).upper()})
    assert not page.has("mfa-recovery-backup-email-verify")
    assert "primary" in page.text_of("mfa-recovery-backup-email").lower()
    time.sleep(1)
    assert mail_sink.mails_to(email_of(employee)) == [], "nothing was sent"


def test_wrong_verification_code_sets_no_address(sign_in, new_employee, mail_sink):
    employee = new_employee()
    address = backup_address_of(employee)
    attempt = open_setup_page(sign_in, employee)
    attempt.click("mfa-recovery-backup-email-send", {"email": address})
    right = code_in(mail_sink.wait_for_mail_to(address))
    wrong = f"{(int(right) + 1) % 10**8:08d}"
    page = attempt.click("mfa-recovery-backup-email-verify", {"emailCode": wrong})
    assert page.has("mfa-recovery-backup-email-verify"), "still on the verify page"
    assert "4" in page.text, "the page says how many tries are left"

    later = start_recovery(sign_in, employee)
    assert not later.page.has("mfa-recovery-choose-email"), "an unverified address is not a way in"


# -- signing in with an emailed code ----------------------------------------------------------------------------


def test_full_sign_in_with_an_email_code(sign_in, new_employee, mail_sink, admin):
    employee = new_employee()
    address = add_backup_address(sign_in, employee, mail_sink)

    attempt = start_recovery(sign_in, employee)
    page = attempt.page
    assert masked(address) in page.text_of("mfa-recovery-choose-email")
    assert not page.has("mfa-recovery-code-form"), "offer only what the user has"
    assert page.has("mfa-recovery-choose-neither")

    page = attempt.choose("email")
    assert page.has("emailCode")
    mail = mail_sink.wait_for_mails_to(address, 2)[-1]  # the first one verified the address
    assert mail["Subject"] == "Your code to sign in"
    body = text_of(mail)
    assert employee.username in body and "10 minutes" in body

    page = attempt.email_code(code_in(mail))
    # Email is the weaker factor: by default the user must enrol a new authenticator app at once.
    assert page.has("kc-totp-settings-form"), page.text[:400]
    lost = [c["id"] for c in admin.get_credentials(employee.user_id) if c["type"] == "otp"]
    attempt.configure_totp()
    now = [c["id"] for c in admin.get_credentials(employee.user_id) if c["type"] == "otp"]
    assert len(now) == 1 and now != lost, "the new authenticator app replaced the lost one"
    if attempt.page.has("mfa-recovery-skip-form"):
        attempt.skip_setup()
    assert attempt.authorization_code() is not None

    notice = mail_sink.wait_for_subject(email_of(employee), "Signed in with a code sent to your backup email address")
    assert masked(address) in text_of(notice)


def test_reenrolment_after_email_recovery_can_be_switched_off(sign_in, new_employee, mail_sink, realm_options, admin):
    realm_options("--no-reenrol-otp-after-email")
    employee = new_employee()
    address = add_backup_address(sign_in, employee, mail_sink)
    attempt = start_recovery(sign_in, employee)
    attempt.choose("email")
    attempt.email_code(code_in(mail_sink.wait_for_mails_to(address, 2)[-1]))
    assert attempt.authorization_code() is not None
    assert "otp" in [credential["type"] for credential in admin.get_credentials(employee.user_id)]


def test_wrong_email_code_is_refused_and_counted(sign_in, new_employee, mail_sink, admin):
    employee = new_employee()
    address = add_backup_address(sign_in, employee, mail_sink)
    attempt = start_recovery(sign_in, employee)
    attempt.choose("email")
    right = code_in(mail_sink.wait_for_mails_to(address, 2)[-1])
    wrong = f"{(int(right) + 1) % 10**8:08d}"

    page = attempt.email_code(wrong)
    assert attempt.authorization_code() is None
    assert page.has("emailCode") and "4" in page.text, page.text[:400]
    assert wait_for_brute_force_failures(admin, employee.user_id, 1) == 1, "Keycloak counts it like a wrong OTP"

    attempt.email_code(right)
    assert attempt.page.has("kc-totp-settings-form")


def test_five_wrong_tries_kill_the_code(sign_in, new_employee, mail_sink):
    employee = new_employee()
    address = add_backup_address(sign_in, employee, mail_sink)
    attempt = start_recovery(sign_in, employee)
    attempt.choose("email")
    right = code_in(mail_sink.wait_for_mails_to(address, 2)[-1])
    for offset in range(1, 6):
        attempt.email_code(f"{(int(right) + offset) % 10**8:08d}")
    page = attempt.email_code(right)
    assert attempt.authorization_code() is None and page.has("emailCode"), "the right code is dead after 5 misses"


def test_expired_code_is_refused(sign_in, new_employee, mail_sink, sidecar):
    employee = new_employee()
    address = add_backup_address(sign_in, employee, mail_sink)
    attempt = start_recovery(sign_in, employee)
    attempt.choose("email")
    code = code_in(mail_sink.wait_for_mails_to(address, 2)[-1])
    age_email_codes(sidecar.database_url, employee.user_id, 601)  # 10 minutes and a second
    page = attempt.email_code(code)
    assert attempt.authorization_code() is None
    assert "expired" in page.text.lower(), page.text[:400]


def test_used_code_cannot_be_used_again(sign_in, new_employee, mail_sink, realm_options):
    realm_options("--no-reenrol-otp-after-email")
    employee = new_employee()
    address = add_backup_address(sign_in, employee, mail_sink)
    first = start_recovery(sign_in, employee)
    first.choose("email")
    code = code_in(mail_sink.wait_for_mails_to(address, 2)[-1])
    first.email_code(code)
    assert first.authorization_code() is not None

    second = start_recovery(sign_in, employee)
    page = second.choose("email")  # within the cool-down: no new code, the page says so
    assert "wait" in page.text.lower() or "second" in page.text.lower(), page.text[:400]
    page = second.email_code(code)
    assert second.authorization_code() is None
    assert "expired" in page.text.lower() or "used" in page.text.lower(), page.text[:400]


def test_resend_has_a_cool_down_and_an_hourly_cap(sign_in, new_employee, mail_sink, sidecar):
    employee = new_employee()
    address = add_backup_address(sign_in, employee, mail_sink)  # mail 1 (counts in the hourly cap)
    attempt = start_recovery(sign_in, employee)
    attempt.choose("email")  # mail 2
    mail_sink.wait_for_mails_to(address, 2)

    page = attempt.click("mfa-recovery-email-resend")
    assert "wait" in page.text.lower(), page.text[:400]
    time.sleep(1)
    assert len(mail_sink.mails_to(address)) == 2, "no mail within the cool-down"

    for sent in (3, 4, 5):
        age_email_codes(sidecar.database_url, employee.user_id, 61)
        attempt.click("mfa-recovery-email-resend")
        mail_sink.wait_for_mails_to(address, sent)
    age_email_codes(sidecar.database_url, employee.user_id, 61)
    page = attempt.click("mfa-recovery-email-resend")
    assert "too many" in page.text.lower(), page.text[:400]
    time.sleep(1)
    assert len(mail_sink.mails_to(address)) == 5, "the sixth code in an hour is not sent"

    latest = code_in(mail_sink.mails_to(address)[-1])
    attempt.email_code(latest)
    assert attempt.page.has("kc-totp-settings-form"), "the last code sent still works"


def test_email_method_switched_off(sign_in, new_employee, mail_sink, realm_options, issue_codes):
    employee = new_employee()
    add_backup_address(sign_in, employee, mail_sink)
    issue_codes(employee)
    realm_options("--email-method", "off")
    attempt = start_recovery(sign_in, employee)
    assert attempt.page.has("mfa-recovery-code-form")
    assert not attempt.page.has("mfa-recovery-choose-email")

    only_email = new_employee()
    realm_options("--email-method", "on")
    add_backup_address(sign_in, only_email, mail_sink)
    realm_options("--email-method", "off")
    page = start_recovery(sign_in, only_email).page
    assert page.has("mfa-recovery-no-method"), "with the method off, nothing is left: contact your supervisor"


def test_choice_page_offers_what_the_user_has(sign_in, new_employee, mail_sink, issue_codes):
    employee = new_employee()
    issue_codes(employee)
    attempt = start_recovery(sign_in, employee)
    assert attempt.page.has("mfa-recovery-code-form")
    assert not attempt.page.has("mfa-recovery-choose-email")


# -- "I have neither" -------------------------------------------------------------------------------------------


def test_without_any_method_the_user_is_sent_to_their_supervisor(sign_in, new_employee, mail_sink):
    employee = new_employee(supervisor="carol")
    attempt = start_recovery(sign_in, employee)
    page = attempt.page
    assert page.has("mfa-recovery-no-method"), "nothing set up: straight to the supervisor page"
    assert "Carol de Vries" in page.text_of("mfa-recovery-supervisor")
    already = len(mail_sink.mails_to(SUPERVISOR_EMAIL))

    page = attempt.click("mfa-recovery-notify-supervisor")
    assert page.has("mfa-recovery-supervisor-notified"), page.text[:400]
    assert not page.has("mfa-recovery-notify-supervisor")

    notice = mail_sink.wait_for_mails_to(SUPERVISOR_EMAIL, already + 1)[-1]
    # carol's locale is nl (realm import): the mail is in Dutch.
    assert notice["Subject"].endswith("Tester kan niet inloggen en vraagt je om hulp"), notice["Subject"]
    assert employee.user_id in text_of(notice), "the mail links to the employee's page"

    again = start_recovery(sign_in, employee)
    assert not again.page.has("mfa-recovery-notify-supervisor"), "one notice an hour"
    time.sleep(1)
    assert len(mail_sink.mails_to(SUPERVISOR_EMAIL)) == already + 1


def test_neither_page_from_the_choice_page(sign_in, new_employee, issue_codes):
    employee = new_employee(supervisor="carol@acme.example")
    issue_codes(employee)
    attempt = start_recovery(sign_in, employee)
    page = attempt.choose("neither")
    assert page.has("mfa-recovery-no-method")
    assert "Carol de Vries" in page.text_of("mfa-recovery-supervisor"), "found by email address too"
    assert page.has("mfa-recovery-other-options")
    page = attempt.click("mfa-recovery-other-options")
    assert page.has("mfa-recovery-code-form")


@pytest.mark.parametrize("supervisor", [None, "nobody-by-that-name"])
def test_unknown_supervisor_is_not_named(sign_in, new_employee, supervisor):
    employee = new_employee(supervisor=supervisor)
    page = start_recovery(sign_in, employee).page
    assert page.has("mfa-recovery-no-method")
    assert not page.has("mfa-recovery-supervisor")
    assert not page.has("mfa-recovery-notify-supervisor")


def test_smtp_down_sends_nothing_and_stores_nothing(sign_in, new_employee, mail_sink):
    employee = new_employee()
    address = add_backup_address(sign_in, employee, mail_sink)
    attempt = start_recovery(sign_in, employee)
    mail_sink.stop()
    try:
        page = attempt.choose("email")
        assert "could not send" in page.text.lower(), page.text[:400]
    finally:
        mail_sink.start()
    # Nothing was stored or counted: no cool-down holds, and the new code arrives and works.
    page = attempt.click("mfa-recovery-email-resend")
    assert "wait" not in page.text.lower(), page.text[:400]
    attempt.email_code(code_in(mail_sink.wait_for_mails_to(address, 2)[-1]))
    assert attempt.page.has("kc-totp-settings-form")

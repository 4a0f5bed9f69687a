"""Steps that several recovery tests share: a backup address set up through the real setup page, the start of a
recovery sign-in."""

from __future__ import annotations

from .mail import code_in
from .signin import SignIn

SETUP_ACTION = "mfa-recovery-setup"
SUPERVISOR = "carol"  # Carol de Vries, from the realm import; her locale is nl
SUPERVISOR_EMAIL = "carol@acme.example"


def backup_address_of(employee) -> str:
    return f"{employee.username}.backup@example.net"


def masked(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[0]}•••@{domain}"


def open_setup_page(sign_in, employee) -> SignIn:
    """Sign in with the application-initiated action that opens "Set up account recovery"."""
    attempt = sign_in(kc_action=SETUP_ACTION)
    attempt.password(employee.username, employee.password)
    page = attempt.otp(employee.totp())
    assert page.has("mfa-recovery-backup-email"), page.text[:400]
    return attempt


def add_backup_address(sign_in, employee, mail_sink, *, keep_new_codes: bool = False) -> str:
    """Set up and verify the employee's backup address through the setup page; returns the address.

    The page also shows a new set of backup codes: unless ``keep_new_codes``, the user cancels, so the
    employee keeps what they had (typically no codes at all)."""
    address = backup_address_of(employee)
    already = len(mail_sink.mails_to(address))
    attempt = open_setup_page(sign_in, employee)
    page = attempt.click("mfa-recovery-backup-email-send", {"email": address})
    assert page.has("mfa-recovery-backup-email-verify"), page.text[:400]
    mail = mail_sink.wait_for_mails_to(address, already + 1)[-1]
    page = attempt.click("mfa-recovery-backup-email-verify", {"emailCode": code_in(mail)})
    assert masked(address) in page.text_of("mfa-recovery-backup-email-state"), page.text[:400]
    if keep_new_codes:
        attempt.confirm_saved_codes()
    else:
        attempt.click("mfa-recovery-cancel")
    return address


def start_recovery(sign_in, employee, **kwargs) -> SignIn:
    attempt = sign_in(**kwargs)
    attempt.password(employee.username, employee.password)
    attempt.use_backup()
    return attempt

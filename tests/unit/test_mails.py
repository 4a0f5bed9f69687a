"""The text of the new mails in English and Dutch, and the delivery of the new outbox kinds."""

import re
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest

from mfa_recovery.caller import Caller, Profile
from mfa_recovery.notifications.mails.address_verification import address_verification
from mfa_recovery.notifications.mails.backup_codes_activated import backup_codes_activated
from mfa_recovery.notifications.mails.backup_email_changed import backup_email_changed
from mfa_recovery.notifications.mails.email_code import email_code
from mfa_recovery.notifications.mails.email_code_signin import email_code_signin
from mfa_recovery.notifications.mails.layout import Occurrence
from mfa_recovery.notifications.mails.supervisor_notice import supervisor_notice
from mfa_recovery.notifications.outbox import BACKUP_CODES_ACTIVATED, BACKUP_EMAIL_CHANGED, EMAIL_CODE_SIGNIN
from mfa_recovery.services import Services

from .fakes.keycloak import FakeDirectory
from .fakes.smtp import CODE_LINE, FakeTransport, code_in, text_of
from .support import REALM, USER_ID

WHEN = datetime(2025, 11, 25, 14, 3, 12, tzinfo=UTC)
EVENT = Occurrence("acme", WHEN, "203.0.113.7", "Firefox/140")


def code_mail(locale: str | None, first_name: str | None = "Jan") -> Any:
    return email_code(
        locale=locale,
        first_name=first_name,
        username="jdoe",
        code="0123 4567",
        valid_minutes=10,
        event=EVENT,
    )


@pytest.mark.parametrize(
    ("locale", "subject", "phrases"),
    [
        (
            "en",
            "Your code to sign in",
            ["Hello Jan,", "account jdoe (realm acme)", "valid for 10 minutes", "someone knows your password",
             "Do not share this code", "change your password", "supervisor or IT helpdesk", "When:", "IP address:",
             "25 November 2025, 14:03 UTC"],
        ),
        (
            "nl-NL",
            "Je code om in te loggen",
            ["Beste Jan,", "account jdoe (realm acme)", "10 minuten geldig", "kent iemand je wachtwoord",
             "Geef deze code aan niemand", "wijzig meteen je wachtwoord", "leidinggevende of de IT-helpdesk",
             "Wanneer:", "IP-adres:", "25 november 2025"],
        ),
    ],
)  # fmt: skip
def test_the_sign_in_code_mail(locale: str, subject: str, phrases: list[str]) -> None:
    mail = code_mail(locale)
    assert mail.subject == subject
    for phrase in phrases:
        assert phrase in mail.text, phrase
    assert "203.0.113.7" in mail.text and "Firefox/140" in mail.text
    assert CODE_LINE.findall(mail.text) == [("0123", "4567")]  # the code alone on its line, once
    assert "0123 4567" in mail.html and "<html lang='" + locale[:2] + "'>" in mail.html


def test_the_address_verification_mail() -> None:
    mail = partial(
        address_verification, first_name=None, username="jdoe", realm="acme", code="8765 4321", valid_minutes=10
    )
    en = mail(locale=None)
    assert en.subject == "Confirm your backup email address"
    assert en.text.startswith("Hello,\n") and "The account jdoe (realm acme)" in en.text
    assert "valid for 10 minutes" in en.text
    assert "If this was not you, ignore this message; the address will not be used." in en.text
    assert re.search(r"^8765 4321$", en.text, re.MULTILINE)

    nl = mail(locale="nl")
    assert nl.subject == "Bevestig je back-upe-mailadres"
    assert "Het account jdoe (realm acme)" in nl.text and "10 minuten geldig" in nl.text
    assert "Negeer dan dit bericht; het adres wordt niet gebruikt." in nl.text
    assert re.search(r"^8765 4321$", nl.text, re.MULTILINE)


def test_the_email_sign_in_notice() -> None:
    en = email_code_signin(locale="en", first_name="Jan", address_hint="n•••@example.net", event=EVENT)
    assert en.subject == "Signed in with a code sent to your backup email address"
    assert re.search(r"^Backup address: +n•••@example\.net$", en.text, re.MULTILINE)
    assert "If this was not you" in en.text and "203.0.113.7" in en.text
    nl = email_code_signin(locale="nl", first_name="Jan", address_hint="n•••@example.net", event=EVENT)
    assert nl.subject == "Ingelogd met een code via je back-upe-mailadres"
    assert "n•••@example.net" in nl.text and "Was jij dit niet?" in nl.text


def test_the_new_backup_codes_notice() -> None:
    en = backup_codes_activated(locale="en", first_name="Jan", event=EVENT, codes_in_set=10)
    assert en.subject == "New backup codes for your account"
    assert re.search(r"^Backup codes in the new set: +10$", en.text, re.MULTILINE)
    assert "203.0.113.7" in en.text and "If this was not you" in en.text and "no longer work" in en.text
    nl = backup_codes_activated(locale="nl", first_name="Jan", event=EVENT, codes_in_set=None)
    assert nl.subject == "Nieuwe back-upcodes voor je account"
    assert "Was jij dit niet?" in nl.text and "203.0.113.7" in nl.text


def test_the_backup_address_changed_notice() -> None:
    hints = {"address_hint": "n•••@example.net", "previous_hint": None}
    en = backup_email_changed(locale="en", first_name="Jan", event=EVENT, **hints)
    assert en.subject == "Your backup email address was changed"
    assert re.search(r"^New backup address: +n•••@example\.net$", en.text, re.MULTILINE)
    assert re.search(r"^Previous backup address: +none$", en.text, re.MULTILINE)
    nl = backup_email_changed(locale="nl", first_name="Jan", event=EVENT, **{**hints, "previous_hint": "j•••@x.org"})
    assert nl.subject == "Je back-upe-mailadres is gewijzigd"
    assert re.search(r"^Vorig back-upadres: +j•••@x\.org$", nl.text, re.MULTILINE)


def test_the_supervisor_notice() -> None:
    mail = partial(
        supervisor_notice,
        first_name="Carol",
        employee_name="Jan Doe",
        employee_username="jdoe",
        link="https://login.example.org/admin/acme/console/#/acme/users/u-1/settings",
        event=EVENT,
    )
    en = mail(locale="en")
    assert en.subject == "Jan Doe cannot sign in and asks for your help"
    assert "Hello Carol," in en.text and re.search(r"^Username: +jdoe$", en.text, re.MULTILINE)
    assert "https://login.example.org/admin/acme/console/#/acme/users/u-1/settings" in en.text
    assert "by phone" in en.text and "disable their MFA" in en.text
    nl = mail(locale="nl")
    assert nl.subject == "Jan Doe kan niet inloggen en vraagt je om hulp"
    assert "Beste Carol," in nl.text and "Gebruikersnaam:" in nl.text and "bellen" in nl.text


def test_what_the_client_sent_is_escaped_in_html() -> None:
    mail = email_code(
        locale="en", first_name="<b>Eve</b>", username="<i>eve</i>", code="1234 5678", valid_minutes=10,
        event=Occurrence("acme", WHEN, None, "<script>alert(1)</script>"),
    )  # fmt: skip
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html and "<b>Eve" not in mail.html
    assert "<i>eve" not in mail.html
    assert re.search(r"^IP address: +unknown$", mail.text, re.MULTILINE)


# --- delivery of the new outbox kinds ---------------------------------------------------------------------------


CALLER = Caller(REALM, USER_ID, attempt="root.tab", ip="203.0.113.7", user_agent="Firefox/140")
HINT = "n•••@example.net"


@pytest.mark.parametrize(
    ("kind", "detail", "subject"),
    [
        (EMAIL_CODE_SIGNIN, {"address_hint": HINT}, "Signed in with a code sent to your backup email address"),
        (BACKUP_EMAIL_CHANGED, {"address_hint": HINT, "previous_hint": None}, "Your backup email address was changed"),
    ],
)
def test_notices_go_to_the_primary_address(
    services: Services, outgoing: FakeTransport, kind: str, detail: dict[str, Any], subject: str
) -> None:
    services.outbox.enqueue(
        realm=REALM, user_id=USER_ID, kind=kind, occurred_at=WHEN, ip="203.0.113.7", user_agent="Firefox/140",
        detail=detail,
    )  # fmt: skip
    assert services.notification_sender().run_once().sent == 1
    [mail] = outgoing.messages
    assert (mail["To"], mail["Subject"]) == ("jan@acme.example", subject)
    assert "n•••@example.net" in text_of(mail) and "2025-11-25T14:03:12Z" in text_of(mail)


def test_the_new_backup_codes_notice_is_delivered(services: Services, outgoing: FakeTransport) -> None:
    services.outbox.enqueue(
        realm=REALM, user_id=USER_ID, kind=BACKUP_CODES_ACTIVATED, occurred_at=WHEN, ip="203.0.113.7",
        user_agent="Firefox/140", codes_left=10,
    )  # fmt: skip
    assert services.notification_sender().run_once().sent == 1
    [mail] = outgoing.messages
    assert (mail["To"], mail["Subject"]) == ("jan@acme.example", "New backup codes for your account")
    assert "203.0.113.7" in text_of(mail) and "Firefox/140" in text_of(mail) and "10" in text_of(mail)


def test_a_user_without_a_locale_gets_the_language_of_the_page_they_were_on(
    services: Services, outgoing: FakeTransport, directory: FakeDirectory
) -> None:
    directory.users[USER_ID] = replace(directory.users[USER_ID], attributes={})
    dutch = Profile(username="jdoe", first_name="Jan", email="jan@acme.example", locale="nl-BE")
    services.backup_email.start(CALLER, "nina@example.net", dutch)
    assert outgoing.messages[-1]["Subject"] == "Bevestig je back-upe-mailadres"
    services.backup_email.verify(CALLER, code_in(outgoing.messages[-1]), dutch)
    services.notification_sender().run_once()
    assert outgoing.messages[-1]["Subject"] == "Je back-upe-mailadres is gewijzigd"

"""The mail to an employee whose MFA an administrator switched off, in English and Dutch, and its delivery."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest

from mfa_recovery.notifications.mails.layout import Occurrence
from mfa_recovery.notifications.mails.mfa_disabled import mfa_disabled
from mfa_recovery.notifications.outbox import MFA_DISABLED
from mfa_recovery.services import Services

from .fakes.smtp import FakeTransport, text_of
from .support import REALM, USER_ID

WHEN = datetime(2025, 11, 25, 14, 3, 12, tzinfo=UTC)
EVENT = Occurrence(REALM, WHEN, "198.51.100.4", "admin-browser/1")


@pytest.mark.parametrize(
    ("locale", "subject", "phrases"),
    [
        (
            "en",
            "Multi-factor authentication was switched off for your account",
            ["Hello Jan,", "An administrator switched off", "(realm acme)", "25 November 2025, 14:03 UTC",
             "set up an authenticator app again", "IT helpdesk at once", "By administrator", "carol",
             "198.51.100.4", "admin-browser/1"],
        ),
        (
            "nl-BE",
            "Multifactorauthenticatie is uitgeschakeld voor je account",
            ["Beste Jan,", "Een beheerder heeft", "(realm acme)", "25 november 2025, 14:03 UTC",
             "opnieuw een authenticator-app in", "de IT-helpdesk", "Door beheerder", "carol", "198.51.100.4"],
        ),
    ],
)  # fmt: skip
def test_the_mail_says_when_by_whom_and_from_where(locale: str, subject: str, phrases: list[str]) -> None:
    mail = mfa_disabled(locale=locale, first_name="Jan", event=EVENT, enrol_again=True, administrator="carol")
    assert mail.subject == subject
    for phrase in phrases:
        assert phrase in mail.text, phrase
        assert html.escape(phrase) in mail.html, phrase


def test_without_enrolling_again_the_mail_says_the_password_alone_protects() -> None:
    english = mfa_disabled(locale=None, first_name=None, event=EVENT, enrol_again=False, administrator=None)
    assert english.text.startswith("Hello,")
    assert "your password alone protects your account" in english.text
    assert "set up an authenticator app again" not in english.text
    dutch = mfa_disabled(locale="nl", first_name=None, event=EVENT, enrol_again=False, administrator=None)
    assert "beschermt alleen je wachtwoord je account" in dutch.text


def test_the_outbox_delivers_it_to_the_employee(services: Services, outgoing: FakeTransport) -> None:
    services.outbox.enqueue(
        realm=REALM,
        user_id=USER_ID,
        kind=MFA_DISABLED,
        occurred_at=WHEN,
        ip="198.51.100.4",
        user_agent="admin-browser/1",
        detail={"enrol_again": False, "administrator": "carol"},
    )
    report = services.notification_sender().run_once()
    assert report.sent == 1
    (message,) = outgoing.to("jan@acme.example")
    assert message["Subject"] == "Multi-factor authentication was switched off for your account"
    assert "your password alone protects your account" in text_of(message)
    assert "carol" in text_of(message) and "198.51.100.4" in text_of(message)

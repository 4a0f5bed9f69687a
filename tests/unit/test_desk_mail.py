"""The mail to the account's primary address when a recovery request names it: its text in English and Dutch, and
its delivery through the outbox."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from mfa_recovery.notifications.mails.desk_request_filed import desk_request_filed
from mfa_recovery.notifications.mails.layout import Occurrence
from mfa_recovery.notifications.outbox import DESK_REQUEST_FILED
from mfa_recovery.services import Services

from .fakes.keycloak import FakeDirectory
from .fakes.smtp import FakeTransport, text_of
from .support import REALM, USER_ID, outbox_row

WHEN = datetime(2026, 12, 3, 9, 30, 5, tzinfo=UTC)
EVENT = Occurrence("acme", WHEN, "198.51.100.7", "<script>alert(1)</script>")
CASE_NUMBER = "7G2K-M9QX-3TBW"


def test_the_mail_in_english() -> None:
    mail = desk_request_filed(locale="en", first_name="Jan", event=EVENT, case_number=CASE_NUMBER)
    assert mail.subject == "A recovery request was filed for your account"
    assert "Hello Jan," in mail.text and "(realm acme)" in mail.text
    assert re.search(r"^7G2K-M9QX-3TBW$", mail.text, re.MULTILINE)  # alone on its line, to copy
    assert re.search(r"^IP address: +198\.51\.100\.7$", mail.text, re.MULTILINE)
    assert "3 December 2026, 09:30 UTC" in mail.text
    assert "Nothing changes in your account" in mail.text
    assert "If this was not you, tell your operator or IT helpdesk at once" in mail.text
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html


def test_the_mail_in_dutch() -> None:
    mail = desk_request_filed(locale="nl-NL", first_name=None, event=EVENT, case_number=CASE_NUMBER)
    assert mail.subject == "Er is een herstelverzoek ingediend voor je account"
    assert mail.text.startswith("Beste,\n")
    assert "herstelloket" in mail.text and "zaaknummer" in mail.text and CASE_NUMBER in mail.text
    assert "Was jij dit niet?" in mail.text and "IT-helpdesk" in mail.text
    assert "3 december 2026" in mail.text


def test_it_is_delivered_to_the_primary_address(services: Services, outgoing: FakeTransport) -> None:
    services.outbox.enqueue(
        realm=REALM, user_id=USER_ID, kind=DESK_REQUEST_FILED, occurred_at=WHEN, ip="198.51.100.7",
        user_agent="Firefox/140", detail={"case_number": CASE_NUMBER, "locale": "nl"},
    )  # fmt: skip
    assert services.notification_sender().run_once().sent == 1
    [mail] = outgoing.messages
    assert (mail["To"], mail["Subject"]) == ("jan@acme.example", "A recovery request was filed for your account")
    assert CASE_NUMBER in text_of(mail)  # the user's own locale (en) wins over the page's


def test_without_a_locale_of_their_own_the_pages_language(
    services: Services, outgoing: FakeTransport, directory: FakeDirectory
) -> None:
    directory.users[USER_ID] = replace(directory.users[USER_ID], attributes={})
    services.outbox.enqueue(
        realm=REALM, user_id=USER_ID, kind=DESK_REQUEST_FILED, occurred_at=WHEN, ip=None, user_agent=None,
        detail={"case_number": CASE_NUMBER, "locale": "nl"},
    )  # fmt: skip
    services.notification_sender().run_once()
    assert outgoing.messages[-1]["Subject"] == "Er is een herstelverzoek ingediend voor je account"


def test_a_notice_without_its_case_number_is_given_up(services: Services, outgoing: FakeTransport) -> None:
    notification = services.outbox.enqueue(
        realm=REALM, user_id=USER_ID, kind=DESK_REQUEST_FILED, occurred_at=WHEN, ip=None, user_agent=None, detail={}
    )
    assert services.notification_sender().run_once().failed == 1
    assert outgoing.messages == []
    assert outbox_row(services, notification)["status"] == "failed"

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.cli import CliContext, cli
from mfa_recovery.config import Settings
from mfa_recovery.directory import DirectoryUser, UserContact
from mfa_recovery.notifications import smtp
from mfa_recovery.notifications.mails.backup_code_signin import backup_code_signin
from mfa_recovery.notifications.mails.layout import Occurrence, language_of
from mfa_recovery.notifications.outbox import BACKUP_CODE_SIGNIN, MAX_ATTEMPTS, retry_delay
from mfa_recovery.notifications.sender import NotificationSender
from mfa_recovery.services import Services, build_services
from mfa_recovery.web.app import create_app
from tests.support.mailsink import MailSink, free_port

from .fakes.bridge import BridgeIssuer
from .fakes.clock import FakeClock
from .fakes.keycloak import FakeDirectory
from .fakes.smtp import text_of
from .support import DEV_ENV, REALM, USER_ID, json_body, outbox_row

VERIFY = "/bridge/v1/backup-codes/verify"
REALM_SMTP = {"host": "smtp.acme.example", "port": "587", "from": "no-reply@acme.example",
              "fromDisplayName": "Acme sign-in", "starttls": "true", "password": "**********"}  # fmt: skip


def directory_with(contact: UserContact | None) -> FakeDirectory:
    """Keycloak with the user the notifications are for, reachable by ``contact`` (no such user: None), and the
    realm's SMTP settings."""
    if contact is None:
        return FakeDirectory(smtp_settings=REALM_SMTP)
    locale = {"locale": (contact.locale,)} if contact.locale else {}
    user = DirectoryUser(USER_ID, "alice", email=contact.email, first_name=contact.first_name, attributes=locale)
    return FakeDirectory(user, smtp_settings=REALM_SMTP)


ALICE_NL = UserContact(email="alice@acme.example", first_name="Alice", locale="nl")


def mail_settings(tmp_path: Any, sink: MailSink | None, port: int | None = None, **extra: str) -> Settings:
    env = {
        **DEV_ENV,
        "MFA_RECOVERY_DATA_DIR": str(tmp_path / "data"),
        "MFA_RECOVERY_NOTIFICATIONS": "off",
        "MFA_RECOVERY_SMTP_HOST": "127.0.0.1",
        "MFA_RECOVERY_SMTP_PORT": str(port or (sink.port if sink else free_port())),
        "MFA_RECOVERY_SMTP_TLS": "off",
        **extra,
    }
    return Settings.from_env(env)


@pytest.fixture
def mail_services(
    tmp_path: Any, smtp_server: MailSink, clock: FakeClock, fast_hasher: CodeHasher
) -> Iterator[Services]:
    svc = build_services(mail_settings(tmp_path, smtp_server), clock=clock, hasher=fast_hasher)
    yield svc
    svc.engine.dispose()


def queue(svc: Services, codes_left: int = 4) -> int:
    return svc.outbox.enqueue(
        realm=REALM,
        user_id=USER_ID,
        kind=BACKUP_CODE_SIGNIN,
        occurred_at=datetime(2025, 11, 25, 14, 3, 12, tzinfo=UTC),
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
        codes_left=codes_left,
    )


# --- the outbox row -------------------------------------------------------------------------------------------


def test_an_accepted_code_queues_a_notification(app: Flask, call: Callable[..., Any], clock: FakeClock) -> None:
    svc: Services = app.extensions["mfa_recovery"]
    codes = svc.backup_codes.issue(REALM, USER_ID, 5)
    call(VERIFY, {"code": "0000-0000-00"})
    assert svc.outbox.due() == []  # a rejected code queues nothing
    call(VERIFY, {"code": codes[0], "ip": "203.0.113.7", "user_agent": "Firefox/140"})
    [row] = svc.outbox.due()
    assert (row.realm, row.user_id, row.kind) == (REALM, USER_ID, "backup_code_signin")
    assert (row.ip, row.user_agent, row.codes_left, row.attempts) == ("203.0.113.7", "Firefox/140", 4, 0)
    assert row.occurred_at.replace(tzinfo=UTC) == clock()


def test_the_sign_in_is_rolled_back_when_its_notification_cannot_be_queued(
    app: Flask, call: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notice is queued in the sign-in's one transaction (test_one_transaction.py): no sign-in without it."""
    svc: Services = app.extensions["mfa_recovery"]
    codes = svc.backup_codes.issue(REALM, USER_ID, 5)

    def broken(**_: Any) -> int:
        raise RuntimeError("outbox down")

    monkeypatch.setattr(svc.outbox, "enqueue", broken)
    assert call(VERIFY, {"code": codes[0]}).status_code == 500
    assert svc.backup_codes.remaining(REALM, USER_ID) == 5
    assert [e["action"] for e in svc.audit.recent()] == []
    monkeypatch.undo()
    assert call(VERIFY, {"code": codes[0]}).json["result"] == "accepted"


# --- rendering and SMTP settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "language"),
    [("nl", "nl"), ("nl-BE", "nl"), ("nl_NL", "nl"), ("en", "en"), ("de", "en"), (None, "en"), ("", "en")],
)
def test_language_of(locale: str | None, language: str) -> None:
    assert language_of(locale) == language


def test_mail_in_english_and_dutch() -> None:
    when = datetime(2025, 11, 25, 14, 3, 12, tzinfo=UTC)
    common = {"event": Occurrence("acme", when, "203.0.113.7", "Firefox/140")}
    en = backup_code_signin(locale="en", first_name="Bob", codes_left=2, warning_threshold=3, **common)
    assert en.subject == "Signed in with a backup code"
    assert "Hello Bob," in en.text
    assert "25 November 2025, 14:03 UTC (2025-11-25T14:03:12Z)" in en.text
    assert "203.0.113.7" in en.text and "Firefox/140" in en.text
    assert re.search(r"^Backup codes left: +2$", en.text, re.MULTILINE)
    assert "If this was not you" in en.text and "few backup codes left" in en.text

    nl = backup_code_signin(locale="nl", first_name=None, codes_left=8, warning_threshold=3, **common)
    assert nl.subject == "Ingelogd met een back-upcode"
    assert nl.text.startswith("Beste,")
    assert "25 november 2025, 14:03 UTC" in nl.text and "IP-adres" in nl.text
    assert "Was jij dit niet?" in nl.text and "weinig" not in nl.text
    assert "<html lang='nl'>" in nl.html


def test_html_part_escapes_what_the_client_sent() -> None:
    mail = backup_code_signin(
        locale="en",
        first_name="<b>Eve</b>",
        event=Occurrence("acme", datetime(2025, 1, 1, tzinfo=UTC), None, "<script>alert(1)</script>"),
        codes_left=None,
    )
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert "<b>Eve" not in mail.html
    assert "IP address:" in mail.text and "unknown" in mail.text


def test_smtp_settings_from_the_realm_with_environment_overrides() -> None:
    realm_only = smtp.resolve(REALM_SMTP, smtp.SmtpOverrides())
    assert (realm_only.host, realm_only.port, realm_only.security) == ("smtp.acme.example", 587, "starttls")
    assert (realm_only.sender, realm_only.sender_name) == ("no-reply@acme.example", "Acme sign-in")
    assert realm_only.user is None and realm_only.password is None  # Keycloak's mask is never used

    env = Settings.from_env(
        {
            **DEV_ENV,
            "MFA_RECOVERY_SMTP_HOST": "mail.internal",
            "MFA_RECOVERY_SMTP_PORT": "2525",
            "MFA_RECOVERY_SMTP_FROM": "security@acme.example",
            "MFA_RECOVERY_SMTP_USER": "mailer",
            "MFA_RECOVERY_SMTP_PASSWORD": "s3cret",
        }
    )
    overridden = smtp.resolve(REALM_SMTP, smtp.SmtpOverrides.from_settings(env))
    assert (overridden.host, overridden.port, overridden.sender) == ("mail.internal", 2525, "security@acme.example")
    assert (overridden.user, overridden.password, overridden.security) == ("mailer", "s3cret", "starttls")
    assert "s3cret" not in repr(overridden) and "s3cret" not in repr(smtp.SmtpOverrides.from_settings(env))

    assert smtp.resolve({"host": "h", "from": "a@b", "ssl": "true"}, smtp.SmtpOverrides()).port == 465
    assert smtp.resolve({"host": "h", "from": "a@b"}, smtp.SmtpOverrides()).port == 25
    with pytest.raises(smtp.MailNotConfigured, match="no SMTP host"):
        smtp.resolve({"from": "a@b"}, smtp.SmtpOverrides())
    with pytest.raises(smtp.MailNotConfigured, match="sender"):
        smtp.resolve({"host": "h"}, smtp.SmtpOverrides())


def test_smtp_password_from_a_file(tmp_path: Any) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("from-file\n")
    environ = {**DEV_ENV, "MFA_RECOVERY_SMTP_HOST": "mail.internal", "MFA_RECOVERY_SMTP_PASSWORD_FILE": str(secret)}
    assert Settings.from_env(environ).smtp_password == "from-file"


# --- delivery -------------------------------------------------------------------------------------------------


def test_mail_is_sent_in_the_users_language(mail_services: Services, smtp_server: MailSink) -> None:
    notification = queue(mail_services, codes_left=4)
    directory = directory_with(ALICE_NL)
    report = mail_services.notification_sender(directory).run_once()
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)

    [message] = smtp_server.wait_for(1)
    assert smtp_server.recipients == [["alice@acme.example"]]
    assert message["Subject"] == "Ingelogd met een back-upcode"
    assert message["To"] == "alice@acme.example"
    assert message["From"] == "Acme sign-in <no-reply@acme.example>"
    assert message["Content-Language"] == "nl"
    text = text_of(message)
    assert "Beste Alice," in text
    assert re.search(r"^Back-upcodes over: +4$", text, re.MULTILINE)
    assert "203.0.113.7" in text and "Firefox/140.0" in text
    assert "2025-11-25T14:03:12Z" in text
    assert message.get_body(("html",)) is not None

    assert outbox_row(mail_services, notification)["status"] == "sent"
    assert mail_services.notification_sender(directory).run_once().sent == 0  # sent once only
    assert len(smtp_server.messages) == 1
    events = [e for e in mail_services.audit.recent() if e["action"].startswith("notification.")]
    assert [(e["action"], e["outcome"], e["subject"]) for e in events] == [("notification.sent", "ok", USER_ID)]


def test_english_for_users_without_a_locale(mail_services: Services, smtp_server: MailSink) -> None:
    queue(mail_services)
    contact = UserContact(email="bob@acme.example", first_name="Bob", locale=None)
    mail_services.notification_sender(directory_with(contact)).run_once()
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Signed in with a backup code"
    assert "Hello Bob," in text_of(message)


def test_smtp_down_is_retried_later_without_raising(
    tmp_path: Any, clock: FakeClock, fast_hasher: CodeHasher, smtp_server: MailSink
) -> None:
    smtp_server.stop()  # nothing listens on its port now
    svc = build_services(mail_settings(tmp_path, smtp_server), clock=clock, hasher=fast_hasher)
    try:
        notification = queue(svc)
        sender = svc.notification_sender(directory_with(ALICE_NL))
        report = sender.run_once()
        assert (report.sent, report.retried) == (0, 1)
        row = outbox_row(svc, notification)
        assert row["status"] == "pending" and row["attempts"] == 1 and row["claimed_at"] is None
        assert isinstance(row["last_error"], str) and "ConnectionRefusedError" in row["last_error"]
        failed = [e for e in svc.audit.recent() if e["action"] == "notification.failed"]
        assert failed[0]["outcome"] == "retry" and failed[0]["detail"]["attempts"] == 1

        assert sender.run_once().retried == 0  # not due yet
        smtp_server.start()
        clock.advance(retry_delay(1).total_seconds())
        assert sender.run_once().sent == 1
        assert len(smtp_server.wait_for(1)) == 1
        assert outbox_row(svc, notification)["attempts"] == 2
    finally:
        svc.engine.dispose()


def test_keycloak_down_is_retried_with_backoff(mail_services: Services, clock: FakeClock) -> None:
    notification = queue(mail_services)
    directory = directory_with(ALICE_NL)
    directory.down = True
    sender = mail_services.notification_sender(directory)
    delays = []
    for attempt in range(1, 4):
        before = clock()
        assert sender.run_once().retried == 1
        due = outbox_row(mail_services, notification)["next_attempt_at"]
        assert isinstance(due, datetime)
        delays.append((due.replace(tzinfo=UTC) - before).total_seconds())
        clock.advance(3600)
        assert outbox_row(mail_services, notification)["attempts"] == attempt
    assert delays == [30, 60, 120]


def test_gives_up_after_the_last_attempt(mail_services: Services, clock: FakeClock) -> None:
    notification = queue(mail_services)
    directory = directory_with(ALICE_NL)
    directory.down = True
    sender = mail_services.notification_sender(directory)
    for _ in range(MAX_ATTEMPTS - 1):
        assert sender.run_once().retried == 1
        clock.advance(3600)
    assert sender.run_once().failed == 1
    assert outbox_row(mail_services, notification)["status"] == "failed"
    clock.advance(3600)
    assert sender.run_once().failed == 0 and directory.calls.count("get_user") == MAX_ATTEMPTS
    last = next(e for e in mail_services.audit.recent() if e["action"] == "notification.failed")
    assert last["outcome"] == "given_up" and last["detail"]["final"] is True


@pytest.mark.parametrize(
    ("contact", "reason"),
    [(None, "user not found"), (UserContact(email=None, first_name="A", locale="en"), "no email address")],
)
def test_no_user_or_no_address_is_given_up_at_once(
    mail_services: Services, smtp_server: MailSink, contact: UserContact | None, reason: str
) -> None:
    notification = queue(mail_services)
    assert mail_services.notification_sender(directory_with(contact)).run_once().failed == 1
    row = outbox_row(mail_services, notification)
    assert row["status"] == "failed" and isinstance(row["last_error"], str) and reason in row["last_error"]
    assert smtp_server.messages == []


def test_a_row_is_claimed_once(mail_services: Services, clock: FakeClock) -> None:
    notification = queue(mail_services)
    assert mail_services.outbox.claim(notification) is True
    assert mail_services.outbox.claim(notification) is False
    assert mail_services.outbox.due() == []
    clock.advance(5 * 60)  # the claimant died mid-delivery: the row may be taken again, once
    assert [n.id for n in mail_services.outbox.due()] == [notification]
    assert mail_services.outbox.claim(notification) is True
    assert mail_services.outbox.claim(notification) is False


def test_concurrent_senders_send_each_mail_once(
    mail_services: Services, smtp_server: MailSink, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(6):
        queue(mail_services)
    # Several workers that all saw the same due rows before any of them claimed one.
    senders = [mail_services.notification_sender(directory_with(ALICE_NL)) for _ in range(4)]
    barrier = threading.Barrier(len(senders))
    real_due = mail_services.outbox.due
    due_rows = real_due()

    def due_then_wait(limit: int = 20) -> list[Any]:
        barrier.wait(timeout=10)
        return due_rows

    reports = []
    errors: list[BaseException] = []
    monkeypatch.setattr(mail_services.outbox, "due", due_then_wait)

    def work(sender: NotificationSender) -> None:
        try:
            reports.append(sender.run_once())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sum(r.sent for r in reports) == 6
    assert sum(r.skipped for r in reports) == 18
    assert len(smtp_server.wait_for(6)) == 6
    time.sleep(0.2)
    assert len(smtp_server.messages) == 6


# --- running it: the app's thread and the CLI -----------------------------------------------------------------


def test_app_factory_runs_the_sender_thread_when_enabled(
    tmp_path: Any, smtp_server: MailSink, fast_hasher: CodeHasher, bridge_issuer: BridgeIssuer
) -> None:
    settings = mail_settings(tmp_path, smtp_server, MFA_RECOVERY_NOTIFICATIONS="on")
    app = create_app(
        settings, hasher=fast_hasher, directory=directory_with(ALICE_NL), realm_keys=bridge_issuer.realm_keys()
    )
    sender = app.extensions["mfa_recovery_sender"]
    try:
        svc: Services = app.extensions["mfa_recovery"]
        code = svc.backup_codes.issue(REALM, USER_ID, 5)[0]
        headers = {"Authorization": f"Bearer {bridge_issuer.token(VERIFY)}"}
        response = app.test_client().post(VERIFY, json={"code": code, "ip": "192.0.2.1"}, headers=headers)
        assert json_body(response)["result"] == "accepted"
        [message] = smtp_server.wait_for(1, timeout=10)
        assert "192.0.2.1" in text_of(message)
    finally:
        sender.stop()
        app.extensions["mfa_recovery"].engine.dispose()
    assert not sender.alive


def test_no_sender_thread_when_notifications_are_off(app: Flask) -> None:
    assert "mfa_recovery_sender" not in app.extensions


def test_cli_send_pending(tmp_path: Any, smtp_server: MailSink) -> None:
    env = {
        **DEV_ENV,
        "MFA_RECOVERY_DATA_DIR": str(tmp_path / "data"),
        "MFA_RECOVERY_SMTP_HOST": "127.0.0.1",
        "MFA_RECOVERY_SMTP_PORT": str(smtp_server.port),
        "MFA_RECOVERY_SMTP_TLS": "off",
    }
    svc = build_services(Settings.from_env(env))
    queue(svc)
    queue(svc)
    svc.engine.dispose()
    obj = CliContext(environ=env, directory_factory=lambda _s: directory_with(ALICE_NL))
    result = CliRunner().invoke(cli, ["notifications", "send-pending"], obj=obj)
    assert result.exit_code == 0, result.output
    assert "sent 2," in result.stdout
    assert len(smtp_server.wait_for(2)) == 2
    again = CliRunner().invoke(cli, ["notifications", "send-pending"], obj=obj)
    assert "sent 0," in again.stdout

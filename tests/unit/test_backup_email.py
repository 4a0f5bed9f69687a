"""The backup address and the codes mailed for it and for signing in, through the services (no HTTP)."""

import smtplib
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from mfa_recovery.backup_email.limits import CAP_WINDOW, CODE_LIFETIME, COOLDOWN, HOURLY_CAP, MAX_WRONG_TRIES
from mfa_recovery.caller import Caller, Profile
from mfa_recovery.services import Services
from mfa_recovery.store.tables import email_challenges, metadata, recovery_failures

from .fakes.clock import FakeClock
from .fakes.keycloak import FakeDirectory
from .fakes.smtp import FakeTransport, code_in, text_of
from .support import REALM, USER_ID

CALLER = Caller(REALM, USER_ID, attempt="root-session-id.tab-id", ip="203.0.113.7", user_agent="Firefox/140")
PROFILE = Profile(username="jdoe", first_name="Jan", email="jan@acme.example", locale="en")
BACKUP = "nina@example.net"
OTHER = "jan.private@example.org"


def start(svc: Services, address: str = BACKUP, caller: Caller = CALLER) -> Any:
    return svc.backup_email.start(caller, address, PROFILE)


def add_backup_address(svc: Services, outgoing: FakeTransport, clock: FakeClock, address: str = BACKUP) -> None:
    """A verified backup address; the clock moves past the cool-down afterwards."""
    assert start(svc, address).result == "sent"
    assert svc.backup_email.verify(CALLER, outgoing.last_code_to(address), PROFILE).result == "verified"
    clock.advance(COOLDOWN.total_seconds())


def send(svc: Services, caller: Caller = CALLER) -> Any:
    return svc.email_sign_in.send(caller, PROFILE)


def verify(svc: Services, code: str, caller: Caller = CALLER) -> Any:
    return svc.email_sign_in.verify(caller, code, PROFILE)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**8:08d}"


def stored_challenges(svc: Services) -> list[dict[str, Any]]:
    with svc.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(email_challenges).order_by(email_challenges.c.id))]


def events(svc: Services, action: str) -> list[dict[str, Any]]:
    return [e for e in reversed(svc.audit.recent(500)) if e["action"] == action]


def failures(svc: Services) -> int:
    """Failures counted against users (not the per-source counts kept in the same table)."""
    with svc.engine.connect() as conn:
        query = select(func.coalesce(func.sum(recovery_failures.c.failures), 0)).where(
            ~recovery_failures.c.user_id.startswith("source:")
        )
        return int(conn.execute(query).scalar_one())


# --- setting up the backup address ------------------------------------------------------------------------------


def test_a_new_address_gets_a_code_and_becomes_the_backup_address_when_verified(
    services: Services, outgoing: FakeTransport
) -> None:
    issued = start(services)
    assert (issued.result, issued.address_hint) == ("sent", "n•••@example.net")
    assert (issued.expires_in_seconds, issued.resend_after_seconds) == (600, 60)
    [mail] = outgoing.to(BACKUP)
    assert mail["Subject"] == "Confirm your backup email address"
    assert "jdoe" in text_of(mail) and "Hello Jan," in text_of(mail)
    # Waiting for its code, the address is not the backup address yet.
    status = services.backup_email.status(REALM, USER_ID)
    assert (status.enabled, status.address_hint, status.verified) == (True, None, False)
    waiting = services.backup_email.awaiting_verification(REALM, USER_ID)
    assert waiting is not None and waiting[0] == "n•••@example.net"

    checked = services.backup_email.verify(CALLER, outgoing.last_code_to(BACKUP), PROFILE)
    assert (checked.result, checked.address_hint) == ("verified", "n•••@example.net")
    status = services.backup_email.status(REALM, USER_ID)
    assert (status.address_hint, status.verified) == ("n•••@example.net", True)
    assert services.backup_email.awaiting_verification(REALM, USER_ID) is None

    [notice] = services.outbox.due()
    assert (notice.kind, notice.user_id, notice.ip) == ("backup_email_changed", USER_ID, "203.0.113.7")
    assert notice.detail == {"address_hint": "n•••@example.net", "previous_hint": None, "locale": "en"}
    assert [e["outcome"] for e in events(services, "backup_email.verification_sent")] == ["sent"]
    [verified] = events(services, "backup_email.verified")
    assert verified["outcome"] == "verified" and verified["detail"]["address_hint"] == "n•••@example.net"
    assert verified["detail"]["attempt"] == "root-session-id.tab-id" and verified["actor"] == "user"


def test_a_newly_verified_address_replaces_the_earlier_one(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    add_backup_address(services, outgoing, clock, BACKUP)
    add_backup_address(services, outgoing, clock, OTHER)
    assert services.backup_email.status(REALM, USER_ID).address_hint == "j•••@example.org"
    notices = services.outbox.due()
    assert [n.detail["previous_hint"] for n in notices] == [None, "n•••@example.net"]


def test_the_verified_address_stays_in_use_while_a_new_one_waits(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    add_backup_address(services, outgoing, clock, BACKUP)
    assert start(services, OTHER).result == "sent"
    assert services.email_sign_in.available(REALM, USER_ID) == BACKUP
    assert send(services).address_hint == "n•••@example.net"


@pytest.mark.parametrize(
    ("address", "result"),
    [
        ("not an address", "invalid_address"),
        ("nina@", "invalid_address"),
        ("n" * 250 + "@example.net", "invalid_address"),
        ("jan@acme.example", "same_as_primary"),
        (" JAN@ACME.example ", "same_as_primary"),
    ],
)
def test_refused_addresses_send_and_store_nothing(
    services: Services, outgoing: FakeTransport, address: str, result: str
) -> None:
    assert start(services, address).result == result
    assert outgoing.messages == [] and stored_challenges(services) == []
    [event] = events(services, "backup_email.verification_sent")
    assert event["outcome"] == result
    assert address.strip() not in str(event["detail"])


def test_no_backup_address_while_the_email_method_is_off(services: Services, outgoing: FakeTransport) -> None:
    services.realm_options.update(REALM, "cli:t", email_method_enabled=False)
    assert start(services).result == "disabled"
    assert outgoing.messages == [] and stored_challenges(services) == []
    assert services.backup_email.status(REALM, USER_ID).enabled is False


def test_five_wrong_tries_kill_an_address_code_without_touching_the_sign_in_limit(
    services: Services, outgoing: FakeTransport
) -> None:
    start(services)
    right = outgoing.last_code_to(BACKUP)
    answers = [services.backup_email.verify(CALLER, wrong(right), PROFILE) for _ in range(MAX_WRONG_TRIES)]
    assert [(a.result, a.attempts_left) for a in answers] == [("rejected", n) for n in (4, 3, 2, 1, 0)]
    assert services.backup_email.verify(CALLER, right, PROFILE).result == "expired"
    assert services.backup_email.status(REALM, USER_ID).verified is False
    assert failures(services) == 0 and not services.failure_limiter.state(REALM, USER_ID).locked


def test_an_address_code_is_valid_for_10_minutes(services: Services, outgoing: FakeTransport, clock: FakeClock) -> None:
    start(services)
    clock.advance(CODE_LIFETIME.total_seconds() - 1)
    assert services.backup_email.verify(CALLER, outgoing.last_code_to(BACKUP), PROFILE).result == "verified"

    start(services, OTHER)
    clock.advance(CODE_LIFETIME.total_seconds())
    assert services.backup_email.verify(CALLER, outgoing.last_code_to(OTHER), PROFILE).result == "expired"
    assert services.backup_email.status(REALM, USER_ID).address_hint == "n•••@example.net"


def test_an_address_code_works_once(services: Services, outgoing: FakeTransport) -> None:
    start(services)
    code = outgoing.last_code_to(BACKUP)
    assert services.backup_email.verify(CALLER, code, PROFILE).result == "verified"
    assert services.backup_email.verify(CALLER, code, PROFILE).result == "expired"
    assert len(services.outbox.due()) == 1


def test_codes_of_one_purpose_do_not_work_for_the_other(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    add_backup_address(services, outgoing, clock)
    start(services, OTHER)
    address_code = outgoing.last_code_to(OTHER)
    assert verify(services, address_code).result == "expired"  # no sign-in code was sent
    send(services)
    sign_in_code = outgoing.last_code_to(BACKUP)
    assert services.backup_email.verify(CALLER, sign_in_code, PROFILE).result == "rejected"


def test_codes_are_stored_only_as_their_hmac(services: Services, outgoing: FakeTransport, clock: FakeClock) -> None:
    add_backup_address(services, outgoing, clock)
    send(services)
    start(services, OTHER)
    sent = [code for address in (BACKUP, OTHER) for code in map(code_in, outgoing.to(address))]
    assert len(sent) == 3
    with services.engine.connect() as conn:
        dump = " ".join(str(row) for table in metadata.sorted_tables for row in conn.execute(select(table)))
    for code in sent:
        assert code not in dump and f"{code[:4]} {code[4:]}" not in dump
    assert all(len(row["code_lookup"]) == 64 for row in stored_challenges(services))
    assert BACKUP not in str([e["detail"] for e in services.audit.recent(500)])  # only masked hints


# --- limits on sending ------------------------------------------------------------------------------------------


def test_cool_down_per_purpose_keeps_the_earlier_code(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    start(services)
    first = outgoing.last_code_to(BACKUP)
    clock.advance(18)
    refused = start(services)
    assert (refused.result, refused.retry_after_seconds) == ("cooldown", 42)
    assert len(outgoing.messages) == 1
    assert services.backup_email.verify(CALLER, first, PROFILE).result == "verified"
    # Sign-in codes have their own cool-down.
    assert send(services).result == "sent"


def test_a_new_code_replaces_the_earlier_one(services: Services, outgoing: FakeTransport, clock: FakeClock) -> None:
    start(services)
    first = outgoing.last_code_to(BACKUP)
    clock.advance(COOLDOWN.total_seconds())
    assert start(services).result == "sent"
    second = outgoing.last_code_to(BACKUP)
    assert first != second
    answer = services.backup_email.verify(CALLER, first, PROFILE)
    assert (answer.result, answer.attempts_left) == ("rejected", 4)  # checked against the live code only
    assert services.backup_email.verify(CALLER, second, PROFILE).result == "verified"


def test_at_most_five_codes_an_hour_over_both_purposes(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    add_backup_address(services, outgoing, clock)  # code 1, 60 s ago
    for purpose_send in (lambda: send(services), lambda: start(services, OTHER)) * 2:  # codes 2..5
        assert purpose_send().result == "sent"
        clock.advance(COOLDOWN.total_seconds())
    # Now 300 s after the first code: one more fits when it is an hour old.
    for refused in (send(services), start(services, OTHER)):
        assert (refused.result, refused.retry_after_seconds) == ("capped", 3300)
    assert len(outgoing.messages) == HOURLY_CAP
    clock.advance(3300 - 1)
    assert send(services).result == "capped"
    clock.advance(1)
    assert send(services).result == "sent"
    again = send(services)  # five in the last hour again: the cap wins over the (shorter) cool-down
    assert (again.result, again.retry_after_seconds) == ("capped", 60)


def test_old_codes_are_forgotten_once_out_of_every_window(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    start(services)
    clock.advance(CAP_WINDOW.total_seconds() + 1)
    start(services)
    assert len(stored_challenges(services)) == 1


@pytest.mark.parametrize(
    "failure",
    [
        OSError("connection refused"),
        smtplib.SMTPRecipientsRefused({BACKUP: (550, b"no such user")}),
        "keycloak",
        "smtp",
    ],
)
def test_a_mail_that_cannot_be_sent_leaves_nothing_behind(
    services: Services, outgoing: FakeTransport, directory: FakeDirectory, failure: Any
) -> None:
    if failure == "keycloak":
        directory.down = True
    elif failure == "smtp":
        directory.smtp_settings = {}  # the realm has no SMTP server and the sidecar names none
    else:
        outgoing.failure = failure
    issued = start(services)
    assert issued.result == "mail_failed" and issued.address_hint is None
    assert stored_challenges(services) == []
    [event] = events(services, "backup_email.verification_sent")
    assert event["outcome"] == "mail_failed" and event["detail"]["mail_error"]
    assert BACKUP not in str(event["detail"])

    # Nothing was counted: no cool-down, and the cap still allows five.
    directory.down, directory.smtp_settings, outgoing.failure = False, {"host": "h", "from": "a@acme.example"}, None
    assert start(services).result == "sent"


def test_a_failed_mail_keeps_the_earlier_code_valid(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    start(services)
    first = outgoing.last_code_to(BACKUP)
    clock.advance(COOLDOWN.total_seconds())
    outgoing.failure = OSError("down")
    assert start(services).result == "mail_failed"
    assert services.backup_email.verify(CALLER, first, PROFILE).result == "verified"


# --- signing in with a mailed code ------------------------------------------------------------------------------


def test_no_code_without_a_verified_address_or_with_the_method_off(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    assert send(services).result == "unavailable"
    start(services)  # an address awaiting its code is not a way in
    assert send(services).result == "unavailable"
    assert len(outgoing.messages) == 1
    services.backup_email.verify(CALLER, outgoing.last_code_to(BACKUP), PROFILE)
    clock.advance(60)
    services.realm_options.update(REALM, "cli:t", email_method_enabled=False)
    assert send(services).result == "unavailable"
    assert [e["outcome"] for e in events(services, "email_code.sent")] == ["unavailable"] * 3


def test_sign_in_with_a_mailed_code(services: Services, outgoing: FakeTransport, clock: FakeClock) -> None:
    add_backup_address(services, outgoing, clock)
    services.backup_codes.issue(REALM, USER_ID, 4)
    services.failure_limiter.record_failure(REALM, USER_ID)
    issued = send(services)
    assert (issued.result, issued.address_hint, issued.expires_in_seconds) == ("sent", "n•••@example.net", 600)
    mail = outgoing.to(BACKUP)[-1]
    assert mail["Subject"] == "Your code to sign in"
    body = text_of(mail)
    assert "jdoe" in body and "realm acme" in body and "203.0.113.7" in body and "Firefox/140" in body
    assert "10 minutes" in body and "someone knows your password" in body

    answer = verify(services, outgoing.last_code_to(BACKUP))
    assert (answer.result, answer.reenrol_otp, answer.backup_codes_remaining) == ("accepted", True, 4)
    assert failures(services) == 0  # an accepted code resets the failure limit
    notice = [n for n in services.outbox.due() if n.kind == "email_code_signin"]
    assert [(n.detail["address_hint"], n.ip) for n in notice] == [("n•••@example.net", "203.0.113.7")]
    assert [e["outcome"] for e in events(services, "email_code.sent")] == ["sent"]
    assert [e["outcome"] for e in events(services, "email_code.verify")] == ["accepted"]


@pytest.mark.parametrize(
    ("after_email", "after_any", "reenrol"), [(True, False, True), (False, True, True), (False, False, False)]
)
def test_reenrol_otp_after_an_email_recovery(
    services: Services, outgoing: FakeTransport, clock: FakeClock, after_email: bool, after_any: bool, reenrol: bool
) -> None:
    services.realm_options.update(
        REALM, "cli:t", reenrol_otp_after_email_recovery=after_email, reenrol_otp_after_recovery=after_any
    )
    add_backup_address(services, outgoing, clock)
    send(services)
    assert verify(services, outgoing.last_code_to(BACKUP)).reenrol_otp is reenrol


def test_a_sign_in_code_works_once(services: Services, outgoing: FakeTransport, clock: FakeClock) -> None:
    add_backup_address(services, outgoing, clock)
    send(services)
    code = outgoing.last_code_to(BACKUP)
    assert verify(services, code).result == "accepted"
    assert verify(services, code).result == "expired"
    assert failures(services) == 1  # the second one counted


def test_wrong_and_expired_codes_count_in_the_failure_limit(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    assert verify(services, "12345678").result == "expired"  # no code at all: counted
    add_backup_address(services, outgoing, clock)
    send(services)
    right = outgoing.last_code_to(BACKUP)
    answers = [verify(services, wrong(right)) for _ in range(3)]
    assert [(a.result, a.attempts_left) for a in answers] == [("rejected", 4), ("rejected", 3), ("rejected", 2)]
    assert verify(services, "not a code").attempts_left == 1  # malformed input is simply wrong
    # 5 failures: the limit (5 in 15 minutes) holds, and nothing is checked while it does.
    locked = verify(services, right)
    assert (locked.result, locked.retry_after_seconds) == ("locked", 900)
    assert (
        stored_challenges(services)[-1]["failed_attempts"] == 4
        and stored_challenges(services)[-1]["consumed_at"] is None
    )
    events_ = events(services, "email_code.verify")
    assert [e["outcome"] for e in events_] == ["expired", "rejected", "rejected", "rejected", "rejected", "locked"]
    assert events_[-2]["detail"]["lockout_started"] is True

    clock.advance(900)
    assert verify(services, right).result == "expired"  # the lockout (15 min) outlasts the code (10 min)


def test_backup_codes_and_mailed_codes_share_one_failure_limit(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    add_backup_address(services, outgoing, clock)
    services.backup_codes.issue(REALM, USER_ID, 5)
    for _ in range(3):
        assert services.sign_in.verify(CALLER, "0000-0000-00").result == "rejected"
    send(services)
    right = outgoing.last_code_to(BACKUP)
    verify(services, wrong(right))
    assert verify(services, wrong(right)).result == "rejected"  # the 5th failure starts the lockout
    assert verify(services, right).result == "locked"
    assert services.sign_in.verify(CALLER, "0000-0000-00").result == "locked"


def test_five_wrong_tries_kill_a_sign_in_code(services: Services, outgoing: FakeTransport, clock: FakeClock) -> None:
    add_backup_address(services, outgoing, clock)
    send(services)
    right = outgoing.last_code_to(BACKUP)
    for left in (4, 3, 2, 1):
        assert verify(services, wrong(right)).attempts_left == left
        services.failure_limiter.reset(REALM, USER_ID)
    assert verify(services, wrong(right)).attempts_left == 0
    services.failure_limiter.reset(REALM, USER_ID)
    assert verify(services, right).result == "expired"


def test_a_sign_in_code_is_valid_for_10_minutes(services: Services, outgoing: FakeTransport, clock: FakeClock) -> None:
    add_backup_address(services, outgoing, clock)
    send(services)
    clock.advance(CODE_LIFETIME.total_seconds())
    assert verify(services, outgoing.last_code_to(BACKUP)).result == "expired"


def test_switching_the_method_off_ends_sent_codes(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    add_backup_address(services, outgoing, clock)
    send(services)
    services.realm_options.update(REALM, "cli:t", email_method_enabled=False)
    assert verify(services, outgoing.last_code_to(BACKUP)).result == "expired"
    assert failures(services) == 0  # nothing was tried


def test_a_new_backup_address_ends_the_sign_in_code_sent_to_the_old_one(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    add_backup_address(services, outgoing, clock)
    send(services)
    old_code = outgoing.last_code_to(BACKUP)
    add_backup_address(services, outgoing, clock, OTHER)
    assert verify(services, old_code).result == "expired"


def test_concurrent_submissions_of_one_code_sign_in_once(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    add_backup_address(services, outgoing, clock)
    send(services)
    code = outgoing.last_code_to(BACKUP)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def submit() -> None:
        barrier.wait(timeout=10)
        results.append(verify(services, code).result)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["accepted"] + ["expired"] * 7


def test_the_directory_is_not_needed_to_check_a_code(
    services: Services, outgoing: FakeTransport, clock: FakeClock, directory: FakeDirectory
) -> None:
    add_backup_address(services, outgoing, clock)
    send(services)
    directory.down = True  # any question to Keycloak would raise now
    assert verify(services, outgoing.last_code_to(BACKUP)).result == "accepted"

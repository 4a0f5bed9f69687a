"""Limits per source address: one address trying many accounts (each under its own per-user limit) is stopped,
for wrong codes, mailed codes and supervisor notices alike, while other addresses go on."""

from __future__ import annotations

import uuid
from dataclasses import replace

from mfa_recovery.attempt_limits.attempts import FAILURE_WINDOW_SECONDS, SENDING_WINDOW_SECONDS
from mfa_recovery.backup_email.repository import SIGN_IN
from mfa_recovery.caller import NO_PROFILE, Caller
from mfa_recovery.notifications.mails.layout import Mail
from mfa_recovery.services import Services

from .fakes.clock import FakeClock
from .fakes.keycloak import FakeDirectory
from .support import EMPLOYEE, REALM

ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.20"
WRONG = "0000-0000-00"
FAILURES, MAILS, NOTICES = 20, 20, 10  # the defaults, which the unit tests' settings keep
MAIL = Mail(subject="Your code", text="code", html="<p>code</p>", language="en")


def caller(user_id: str, ip: str) -> Caller:
    return Caller(REALM, user_id, attempt=f"{uuid.uuid4()}.tab", ip=ip, user_agent="curl/8")


def new_user() -> str:
    return str(uuid.uuid4())


def test_wrong_codes_across_many_accounts_lock_the_address_not_the_accounts(services: Services) -> None:
    # Four wrong codes each for many accounts: every account stays under its own limit of five.
    for _ in range(FAILURES // 4):
        user = new_user()
        for _ in range(4):
            assert services.sign_in.verify(caller(user, ATTACKER), WRONG).result == "rejected"
    victim = new_user()
    code = services.backup_codes.issue(REALM, victim, 5)[0]
    locked = services.sign_in.verify(caller(victim, ATTACKER), code)
    assert locked.result == "locked" and locked.retry_after_seconds == FAILURE_WINDOW_SECONDS
    # The owner, from another address, is not held up, and the code was not spent by the refused attempt.
    assert services.sign_in.verify(caller(victim, OFFICE), code).result == "accepted"


def test_a_success_does_not_clear_the_address(services: Services) -> None:
    for _ in range(FAILURES - 1):
        services.sign_in.verify(caller(new_user(), ATTACKER), WRONG)
    own = new_user()
    codes = services.backup_codes.issue(REALM, own, 5)
    assert services.sign_in.verify(caller(own, ATTACKER), codes[0]).result == "accepted"
    assert services.sign_in.verify(caller(new_user(), ATTACKER), WRONG).result == "rejected"
    assert services.sign_in.verify(caller(own, ATTACKER), codes[1]).result == "locked"


def test_codes_mailed_for_many_accounts_are_capped_per_address(services: Services) -> None:
    challenges = services.email_sign_in._challenges  # noqa: SLF001 - the one place every code is mailed from
    for _ in range(MAILS):
        issued = challenges.issue(caller(new_user(), ATTACKER), SIGN_IN, "someone@example.net", lambda code: MAIL)
        assert issued.result == "sent"
    refused = challenges.issue(caller(new_user(), ATTACKER), SIGN_IN, "someone@example.net", lambda code: MAIL)
    assert refused.result == "capped" and refused.retry_after_seconds == SENDING_WINDOW_SECONDS
    assert challenges.issue(caller(new_user(), OFFICE), SIGN_IN, "x@example.net", lambda code: MAIL).result == "sent"


def test_supervisor_notices_for_many_employees_are_limited_per_address(
    services: Services, directory: FakeDirectory, clock: FakeClock
) -> None:
    employees = [directory.add(replace(EMPLOYEE, id=new_user(), username=f"e{n}")) for n in range(NOTICES + 1)]
    for employee in employees[:NOTICES]:
        assert services.supervisor.notify(caller(employee.id, ATTACKER), NO_PROFILE).result == "queued"
    last = employees[NOTICES]
    refused = services.supervisor.notify(caller(last.id, ATTACKER), NO_PROFILE)
    assert refused.result == "rate_limited" and refused.retry_after_seconds == SENDING_WINDOW_SECONDS
    assert services.supervisor.info(caller(last.id, ATTACKER)).can_notify is False
    assert services.supervisor.notify(caller(last.id, OFFICE), NO_PROFILE).result == "queued"


def test_without_an_address_only_the_per_user_limits_apply(services: Services) -> None:
    for _ in range(FAILURES + 1):
        services.sign_in.verify(Caller(REALM, new_user()), WRONG)
    user = new_user()
    code = services.backup_codes.issue(REALM, user, 5)[0]
    assert services.sign_in.verify(Caller(REALM, user), code).result == "accepted"

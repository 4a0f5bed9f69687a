"""Two sidecar processes on one store, behind one Keycloak, as operators run replicas: a load balancer sends each
of Keycloak's bridge calls (and each admin call) to one or the other. What one sidecar does, the other sees:

- a backup code is used once, whichever sidecar checks it;
- the failure limit counts failures on both, and the email-code cool-down and hourly cap hold across both;
- each queued notification is mailed once, though both run their outbox senders;
- the audit trail stays one hash chain.

The run's store decides what "one store" is: the SQLite file (several processes on one machine) or the PostgreSQL
database (scripts/test.sh runs this file on both).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.balancer import Balancer
from tests.support.employees import email_of
from tests.support.mail import age_email_codes, code_in
from tests.support.mailsink import free_port
from tests.support.recovery import add_backup_address, start_recovery
from tests.support.stack import SidecarProcess, SidecarServer, StackConfig

FIRST, SECOND = 0, 1
SIGNIN_NOTICE = "Signed in with a backup code"


class Replicas:
    def __init__(self, servers: list[SidecarServer], bridge: Balancer, admin: Balancer) -> None:
        self.servers = servers
        self.bridge = bridge
        self.admin = admin

    def bridge_calls(self, index: int) -> int:
        return self.bridge.served[self.servers[index].bridge_port or 0]


@pytest.fixture(scope="module")
def replicas(sidecar: SidecarProcess, keycloak: str, stack_config: StackConfig) -> Iterator[Replicas]:
    """The run's sidecar makes way for two, on the same store and secrets, each on ports of its own; balancers on the
    run's two ports send each connection to one of them. The run's sidecar comes back afterwards."""
    sidecar.stop()
    servers = [
        SidecarServer(
            free_port(),
            sidecar.environ,
            stack_config.instance_dir / f"sidecar-replica-{index + 1}.log",
            bridge_port=free_port(),
        )
        for index in range(2)
    ]
    bridge = Balancer(stack_config.bridge_port, [server.bridge_port or 0 for server in servers])
    admin = Balancer(stack_config.sidecar_port, [server.port for server in servers])
    try:
        for server in servers:
            server.start()
        bridge.start()
        admin.start()
        yield Replicas(servers, bridge, admin)
    finally:
        bridge.stop()
        admin.stop()
        for server in servers:
            server.stop()
        sidecar.start()


def test_sign_ins_go_through_both_sidecars(replicas, sign_in, new_employee, issue_codes):
    before = [replicas.bridge_calls(FIRST), replicas.bridge_calls(SECOND)]
    for _ in range(3):
        employee = new_employee()
        codes = issue_codes(employee)
        attempt = start_recovery(sign_in, employee)
        attempt.backup_code(codes[0])
        assert attempt.authorization_code() is not None, attempt.page.text[:400]
    assert replicas.bridge_calls(FIRST) > before[FIRST] and replicas.bridge_calls(SECOND) > before[SECOND]


def test_a_code_used_through_one_sidecar_fails_through_the_other(replicas, sign_in, new_employee, issue_codes):
    employee = new_employee()
    code = issue_codes(employee)[0]
    first = start_recovery(sign_in, employee)
    second = start_recovery(sign_in, employee)
    with replicas.bridge.only(FIRST):
        first.backup_code(code)
    assert first.authorization_code() is not None, first.page.text[:400]
    with replicas.bridge.only(SECOND):
        page = second.backup_code(code)
    assert second.authorization_code() is None
    assert "That backup code is not valid" in page.text, page.text[:400]


def test_failures_on_both_sidecars_count_towards_one_limit(replicas, sign_in, new_employee, issue_codes):
    employee = new_employee()
    right = issue_codes(employee)[0]
    attempt = start_recovery(sign_in, employee)
    for turn in range(5):  # the limit is 5: alternately through the first and the second sidecar
        with replicas.bridge.only(turn % 2):
            attempt.backup_code("ZZZZ-ZZZZ-ZZZZ")
    with replicas.bridge.only(SECOND):
        page = attempt.backup_code(right)
    assert attempt.authorization_code() is None
    assert "Too many failed attempts" in page.text, page.text[:400]


def test_email_code_limits_hold_across_both_sidecars(replicas, sign_in, new_employee, mail_sink, sidecar):
    employee = new_employee()
    address = add_backup_address(sign_in, employee, mail_sink)  # mail 1 counts in the hourly cap
    attempt = start_recovery(sign_in, employee)
    with replicas.bridge.only(FIRST):
        attempt.choose("email")  # mail 2
    mail_sink.wait_for_mails_to(address, 2)
    with replicas.bridge.only(SECOND):
        page = attempt.click("mfa-recovery-email-resend")
    assert "wait" in page.text.lower(), page.text[:400]

    for sent in (3, 4, 5):
        age_email_codes(sidecar.database_url, employee.user_id, 61)
        with replicas.bridge.only(sent % 2):
            attempt.click("mfa-recovery-email-resend")
        mail_sink.wait_for_mails_to(address, sent)
    age_email_codes(sidecar.database_url, employee.user_id, 61)
    with replicas.bridge.only(FIRST):
        page = attempt.click("mfa-recovery-email-resend")
    assert "too many" in page.text.lower(), page.text[:400]
    time.sleep(1)
    assert len(mail_sink.mails_to(address)) == 5, "the sixth code in an hour is sent by neither sidecar"

    with replicas.bridge.only(SECOND):
        attempt.email_code(code_in(mail_sink.mails_to(address)[-1]))
    assert attempt.page.has("kc-totp-settings-form"), attempt.page.text[:400]  # re-enrolment after an email code


def test_each_notification_is_mailed_once(replicas, sign_in, new_employee, issue_codes, mail_sink):
    employees = [new_employee() for _ in range(4)]
    for employee in employees:
        code = issue_codes(employee)[0]
        attempt = start_recovery(sign_in, employee)
        attempt.backup_code(code)
        assert attempt.authorization_code() is not None, attempt.page.text[:400]
    for employee in employees:
        mail_sink.wait_for_subject(email_of(employee), SIGNIN_NOTICE)
    time.sleep(3)  # both sidecars' senders poll every second: a second delivery would have arrived by now
    for employee in employees:
        notices = [mail for mail in mail_sink.mails_to(email_of(employee)) if mail["Subject"] == SIGNIN_NOTICE]
        assert len(notices) == 1, f"{employee.username} got {len(notices)} sign-in notices"


def test_the_audit_trail_stays_one_chain(replicas, sign_in, new_employee, issue_codes, sidecar):
    """Sign-ins of several employees at once, through both sidecars: every event lands in one chain. (One employee's
    parallel attempts never reach the sidecars together: Keycloak refuses the others as "user temporarily disabled";
    the store's part, one code accepted once under concurrency, is tests/integration/test_store_concurrency.py.)"""
    employees = [new_employee() for _ in range(6)]
    codes = {employee.username: issue_codes(employee)[0] for employee in employees}
    attempts = {employee.username: start_recovery(sign_in, employee) for employee in employees}

    def wrong_then_right(username: str) -> bool:
        attempts[username].backup_code("ZZZZ-ZZZZ-ZZZZ")
        attempts[username].backup_code(codes[username])
        return attempts[username].authorization_code() is not None

    before = [replicas.bridge_calls(FIRST), replicas.bridge_calls(SECOND)]
    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        signed_in = list(pool.map(wrong_then_right, attempts))
    assert all(signed_in), [attempt.page.text[:200] for attempt in attempts.values()]
    assert replicas.bridge_calls(FIRST) > before[FIRST] and replicas.bridge_calls(SECOND) > before[SECOND]

    verified = sidecar.cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr

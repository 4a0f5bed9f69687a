"""A used code always has its audit row: using a backup code or a mailed sign-in code and writing its ``accepted``
row commit in one transaction, so a row that cannot be written leaves the code unused."""

from __future__ import annotations

from typing import Any

import pytest

from mfa_recovery.audit.log import AuditedTransaction
from mfa_recovery.services import Services

from .fakes.clock import FakeClock
from .fakes.smtp import FakeTransport
from .support import REALM, USER_ID
from .test_backup_email import BACKUP, CALLER, add_backup_address, send
from .test_backup_email import verify as verify_email_code


class AuditDown(Exception):
    """The audit row cannot be written."""


def make_audit_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on no audit row can be written; a transaction's other changes are made before its row."""

    def record(self: AuditedTransaction, *args: Any, **kwargs: Any) -> None:
        raise AuditDown("audit store full")

    monkeypatch.setattr(AuditedTransaction, "record", record)


@pytest.fixture
def audit_fails_after_the_code_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    make_audit_fail(monkeypatch)


def rows(services: Services, action: str) -> list[tuple[str, int | None]]:
    return [
        (row["outcome"], row["detail"].get("remaining")) for row in services.audit.recent() if row["action"] == action
    ]


# --- backup codes ---------------------------------------------------------------------------------------------------


def test_an_accepted_backup_code_leaves_exactly_one_row(services: Services) -> None:
    codes = services.backup_codes.issue(REALM, USER_ID, 3)
    assert services.sign_in.verify(CALLER, codes[0]).result == "accepted"
    assert rows(services, "backup_code.verify") == [("accepted", 2)]
    assert services.backup_codes.remaining(REALM, USER_ID) == 2
    assert services.audit.verify().ok


def test_a_backup_code_stays_unused_when_its_row_cannot_be_written(
    services: Services, monkeypatch: pytest.MonkeyPatch, audit_fails_after_the_code_is_used: None
) -> None:
    codes = services.backup_codes.issue(REALM, USER_ID, 3)
    with pytest.raises(AuditDown):
        services.sign_in.verify(CALLER, codes[0])
    assert services.backup_codes.remaining(REALM, USER_ID) == 3  # rolled back
    assert rows(services, "backup_code.verify") == []

    monkeypatch.undo()
    assert services.sign_in.verify(CALLER, codes[0]).result == "accepted"
    assert rows(services, "backup_code.verify") == [("accepted", 2)]


# --- mailed sign-in codes -------------------------------------------------------------------------------------------


def test_an_accepted_mailed_code_leaves_exactly_one_row(
    services: Services, outgoing: FakeTransport, clock: FakeClock
) -> None:
    add_backup_address(services, outgoing, clock)
    send(services)
    assert verify_email_code(services, outgoing.last_code_to(BACKUP)).result == "accepted"
    assert rows(services, "email_code.verify") == [("accepted", None)]
    assert services.audit.verify().ok


def test_a_mailed_code_stays_unused_when_its_row_cannot_be_written(
    services: Services,
    outgoing: FakeTransport,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_backup_address(services, outgoing, clock)
    send(services)
    code = outgoing.last_code_to(BACKUP)
    make_audit_fail(monkeypatch)  # only now: the set-up above writes rows too
    with pytest.raises(AuditDown):
        verify_email_code(services, code)
    assert rows(services, "email_code.verify") == []

    monkeypatch.undo()
    assert verify_email_code(services, code).result == "accepted"  # the code was not used
    assert rows(services, "email_code.verify") == [("accepted", None)]


# --- over HTTP: a 500 without a trace, and nothing used -------------------------------------------------------------


def test_the_bridge_answers_500_and_the_code_stays_unused(
    app: Any, call: Any, audit_fails_after_the_code_is_used: None
) -> None:
    codes = app.extensions["mfa_recovery"].backup_codes.issue(REALM, USER_ID, 3)
    response = call("/bridge/v1/backup-codes/verify", {"code": codes[0]})
    assert response.status_code == 500 and "Traceback" not in response.get_data(as_text=True)
    assert app.extensions["mfa_recovery"].backup_codes.remaining(REALM, USER_ID) == 3

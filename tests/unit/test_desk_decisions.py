"""The recovery desk's operators' side below the API: who an operator is (the token's realm roles), a document that
no longer decrypts, the store of approvals and notes, the four-eyes realm option and its CLI switch, the
administrators' look-up over Keycloak's REST API, the decision mails in English and Dutch, and the reset shared
with "Disable MFA"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from mfa_recovery.admin.errors import Forbidden
from mfa_recovery.admin.identity import AdminCall, Administrator
from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.cli import CliContext, cli
from mfa_recovery.config import ConfigError, Settings
from mfa_recovery.desk.decisions import DocumentUnavailable
from mfa_recovery.desk.repository import Approval, Note, SqlDeskRepository
from mfa_recovery.keycloak.rest import KeycloakRest
from mfa_recovery.notifications.mails.desk_decided import desk_approved, desk_rejected
from mfa_recovery.notifications.mails.layout import Occurrence
from mfa_recovery.notifications.outbox import DESK_APPROVED, DESK_REJECTED
from mfa_recovery.services import Services
from tests.support.desk_files import file_case

from .fakes.admin_api import AdminHarness, close, make_harness
from .fakes.clock import FakeClock
from .fakes.keycloak import KEYCLOAK_URL, FakeHttp, FakeIssuer, answer, user_rep
from .fakes.smtp import FakeTransport, text_of
from .support import DEV_ENV, PEPPER, REALM, USER_ID

ROLE = "mfa-recovery-operator"
WHEN = datetime(2026, 12, 3, 9, 30, 5, tzinfo=UTC)
EVENT = Occurrence("acme", WHEN, None, None)
CASE_NUMBER = "7G2K-M9QX-3TBW"


@pytest.fixture
def harness(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> Iterator[AdminHarness]:
    made = make_harness(settings, clock, fast_hasher)
    yield made
    close(made)


def operator_call(roles: tuple[str, ...] = (ROLE,), realm: str = "master") -> AdminCall:
    return AdminCall(Administrator("op-1", "op1", realm, "token", realm_roles=frozenset(roles)))


# --- who is an operator -------------------------------------------------------------------------------------------


def test_the_verified_token_carries_its_realm_roles_and_email() -> None:
    issuer = FakeIssuer()
    token = issuer.token(realm_access={"roles": [ROLE, "offline_access", 7]}, email="op1@ops.example")
    administrator = issuer.verifier().verify(token, "master")
    assert administrator.realm_roles == frozenset({ROLE, "offline_access"})
    assert administrator.email == "op1@ops.example"
    assert issuer.verifier().verify(issuer.token(), "master").realm_roles == frozenset()
    assert issuer.verifier().issuer_realm(issuer.token("acme")) == "acme"
    assert issuer.verifier().issuer_realm("not a token") is None


def test_only_the_operator_realms_role_makes_an_operator(harness: AdminHarness) -> None:
    decisions = harness.services.desk_decisions
    decisions.check_operator(operator_call())
    for call in (operator_call(roles=()), operator_call(roles=("admin",)), operator_call(realm="acme")):
        with pytest.raises(Forbidden):
            decisions.check_operator(call)


def test_the_operator_settings_are_checked(settings: Settings) -> None:
    environ = {**DEV_ENV, "MFA_RECOVERY_DATA_DIR": settings.data_dir, "MFA_RECOVERY_CODE_PEPPER": PEPPER}
    defaults = Settings.from_env(environ)
    assert (defaults.desk_operator_realm, defaults.desk_operator_role) == ("master", ROLE)
    with pytest.raises(ConfigError, match="DESK_OPERATOR_REALM"):
        Settings.from_env({**environ, "MFA_RECOVERY_DESK_OPERATOR_REALM": "../admin"})
    with pytest.raises(ConfigError, match="DESK_OPERATOR_ROLE"):
        Settings.from_env({**environ, "MFA_RECOVERY_DESK_OPERATOR_ROLE": "a\nb"})


# --- documents ----------------------------------------------------------------------------------------------------


def test_a_document_that_no_longer_decrypts_is_refused_and_the_attempt_audited(harness: AdminHarness) -> None:
    case = file_case(harness.services, matched_user_id=USER_ID)
    document = SqlDeskRepository(harness.services.engine).documents(case.id)[0]
    path = harness.services.settings.desk_dir / document.file_name
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(DocumentUnavailable):
        harness.services.desk_decisions.open_document(operator_call(), case.case_number, document.id)
    (row,) = [r for r in harness.services.audit.recent(50) if r["action"] == "desk.document_viewed"]
    assert (row["outcome"], row["detail"]["kind"]) == ("unreadable", document.kind.value)


# --- the store ----------------------------------------------------------------------------------------------------


def test_approvals_and_notes_are_kept_and_go_with_the_case(harness: AdminHarness, clock: FakeClock) -> None:
    repository = SqlDeskRepository(harness.services.engine)
    case = file_case(harness.services)
    approval = Approval(case.id, "op-1", "admin:master/op1", USER_ID, "called back", clock())
    assert repository.add_approval(approval) is True
    assert repository.add_approval(approval) is False  # one approval per operator
    repository.add_note(Note("n" * 32, case.id, "admin:master/op1", "line one\nline two", clock()))
    assert repository.approvals(case.id) == [approval]
    assert [note.text for note in repository.notes(case.id)] == ["line one\nline two"]
    assert [open_case.id for open_case in repository.open_cases()] == [case.id]
    assert repository.delete_case(case.id) is True
    assert repository.approvals(case.id) == [] and repository.notes(case.id) == []


# --- four eyes: the realm option ----------------------------------------------------------------------------------


def test_four_eyes_is_off_by_default_and_switched_by_the_cli(tmp_path: Path) -> None:
    environ = {**DEV_ENV, "MFA_RECOVERY_DATA_DIR": str(tmp_path / "data"), "MFA_RECOVERY_CODE_PEPPER": PEPPER}

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, list(args), obj=CliContext(environ=environ))
        assert result.exit_code == 0, result.output
        return result.stdout

    assert "desk_four_eyes: false" in run("realm-options", "show", "--realm", "acme")
    assert "desk_four_eyes: true" in run("realm-options", "set", "--realm", "acme", "--desk-four-eyes", "on")
    assert "desk_four_eyes: false" in run("realm-options", "set", "--realm", "acme", "--desk-four-eyes", "off")
    bad = CliRunner().invoke(cli, ["realm-options", "set", "--realm", "acme", "--desk-four-eyes", "maybe"])
    assert bad.exit_code == 2


# --- Keycloak: the realm's administrators -------------------------------------------------------------------------


def test_the_administrators_are_read_from_realm_managements_roles() -> None:
    base = f"{KEYCLOAK_URL}/admin/realms/acme"
    http = FakeHttp(
        {
            ("GET", f"{base}/clients"): answer(200, [{"id": "rm-uuid", "clientId": "realm-management"}]),
            ("GET", f"{base}/clients/rm-uuid/roles/realm-admin/users"): answer(200, [user_rep(USER_ID, "jdoe")]),
        }
    )
    keycloak = KeycloakRest(KEYCLOAK_URL, lambda realm: "operator-token", session=http)
    assert keycloak.client_uuid(REALM, "realm-management") == "rm-uuid"
    assert [u["id"] for u in keycloak.client_role_users(REALM, "rm-uuid", "realm-admin", 0, 100)] == [USER_ID]
    clients, users = http.sent
    assert clients["params"]["clientId"] == "realm-management"
    assert users["params"] == {"first": 0, "max": 100, "briefRepresentation": "true"}
    assert users["headers"]["Authorization"] == "Bearer operator-token"


def test_no_realm_management_client_means_no_administrators() -> None:
    base = f"{KEYCLOAK_URL}/admin/realms/acme"
    http = FakeHttp({("GET", f"{base}/clients"): answer(200, [{"id": "x", "clientId": "realm-management-2"}])})
    assert KeycloakRest(KEYCLOAK_URL, lambda realm: "t", session=http).client_uuid(REALM, "realm-management") is None


# --- the mails ----------------------------------------------------------------------------------------------------


def test_the_approval_mail_in_english_and_dutch() -> None:
    mail = desk_approved(locale="en", first_name="Jan", event=EVENT, case_number=CASE_NUMBER)
    assert mail.subject == "Your recovery request was approved"
    assert re.search(r"^7G2K-M9QX-3TBW$", mail.text, re.MULTILINE)
    assert "set up an authenticator app again" in mail.text
    assert "IP address" not in mail.text  # the operator's address is nothing for the user
    dutch = desk_approved(locale="nl", first_name=None, event=EVENT, case_number=CASE_NUMBER)
    assert dutch.subject == "Je herstelverzoek is goedgekeurd"
    assert "zaaknummer" in dutch.text and "3 december 2026" in dutch.text


def test_the_rejection_mail_carries_the_reason_escaped() -> None:
    mail = desk_rejected(locale="en", first_name="Jan", event=EVENT, case_number=CASE_NUMBER, reason="<b>no</b>")
    assert mail.subject == "Your recovery request was rejected"
    assert "Nothing changed in your account" in mail.text and "<b>no</b>" in mail.text
    assert "<b>no</b>" not in mail.html and "&lt;b&gt;no&lt;/b&gt;" in mail.html
    dutch = desk_rejected(locale="nl", first_name=None, event=EVENT, case_number=CASE_NUMBER, reason="geen")
    assert dutch.subject == "Je herstelverzoek is afgewezen" and "Reden" in dutch.text


@pytest.mark.parametrize("kind", [DESK_APPROVED, DESK_REJECTED])
def test_the_decision_mails_go_to_the_primary_address(services: Services, outgoing: FakeTransport, kind: str) -> None:
    services.outbox.enqueue(
        realm=REALM, user_id=USER_ID, kind=kind, occurred_at=WHEN, ip=None, user_agent=None,
        detail={"case_number": CASE_NUMBER, "locale": "en", "reason": "nobody answered"},
    )  # fmt: skip
    assert services.notification_sender().run_once().sent == 1
    [mail] = outgoing.messages
    assert mail["To"] == "jan@acme.example"
    assert CASE_NUMBER in text_of(mail)


# --- the reset shared with "Disable MFA" --------------------------------------------------------------------------


def test_disable_mfa_is_still_refused_while_mfa_is_forced(harness: AdminHarness) -> None:
    harness.keycloak.step()["requirement"] = "REQUIRED"
    response = harness.send("POST", f"/admin/v1/realms/acme/employees/{USER_ID}/disable-mfa", {"reason": "lost"})
    assert (response.status_code, response.json["error"]) == (409, "mfa_forced")


def test_the_reset_removes_every_method_and_asks_to_enrol(harness: AdminHarness) -> None:
    services = harness.services
    services.backup_codes.issue(REALM, USER_ID, 10)
    harness.keycloak.credentials[USER_ID].append({"id": "marker", "type": "mfa-recovery-backup-codes"})
    keycloak = harness.keycloak.as_admin(Administrator("a", "admin", "master", "t"))
    detail: dict[str, object] = {}
    services.mfa_actions.reset_for_enrolment(keycloak, REALM, USER_ID, detail)
    assert detail == {
        "removed": 1,
        "revoked": 10,
        "markers_removed": 1,
        "required_action_added": True,
        "backup_email_removed": False,
        "codes_ended": 0,
    }
    assert [c["type"] for c in harness.keycloak.credentials[USER_ID]] == ["password"]

"""The recovery desk's operators' admin API (``/admin/v1/desk/…``), from the attacker's side first: no token, a
token without the operator role, an operator of another realm, an operator deciding their own case; then what an
operator sees and does, the answers' shapes against the description, and the document's headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings
from mfa_recovery.desk.repository import Case, SqlDeskRepository
from tests.support.desk_files import file_case

from .fakes.admin_api import AdminHarness, close, make_harness
from .fakes.clock import FakeClock
from .fakes.keycloak import EVERYTHING, VIEW_USERS, FakeKeycloak
from .support import DEV_ENV, EMPLOYEE, PEPPER, USER_ID
from .test_admin_openapi import check

DESK = "/admin/v1/desk"
ROLE = "mfa-recovery-operator"
OP1 = "0b000000-0000-4000-8000-000000000001"
OP2 = "0b000000-0000-4000-8000-000000000002"
NOT_OP = "0b000000-0000-4000-8000-000000000003"


@pytest.fixture
def desk(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> Iterator[AdminHarness]:
    keycloak = FakeKeycloak()
    keycloak.add_user(USER_ID, EMPLOYEE.username, first_name="Jan", email=EMPLOYEE.email)
    keycloak.add_user("anna-id", "anna", email="anna@acme.example")
    keycloak.role_holders = {"realm-admin": [USER_ID], "manage-users": [USER_ID, "anna-id"]}
    keycloak.grants = {"op1": EVERYTHING, "op2": EVERYTHING, "viewer": frozenset({VIEW_USERS}), "admin": EVERYTHING}
    harness = make_harness(settings, clock, fast_hasher, keycloak=keycloak)
    yield harness
    close(harness)


def operator(
    desk: AdminHarness, username: str = "op1", *, realm: str = "master", roles: tuple[str, ...] = (ROLE,)
) -> str:
    subject = {"op1": OP1, "op2": OP2}.get(username, NOT_OP)
    return desk.issuer.token(
        realm, username=username, sub=subject, email=f"{username}@ops.example", realm_access={"roles": list(roles)}
    )


def new_case(desk: AdminHarness, **changes: Any) -> Case:
    return file_case(desk.services, matched_user_id=USER_ID, **changes)


def endpoints(case: Case) -> list[tuple[str, str, Any]]:
    base = f"{DESK}/cases/{case.case_number}"
    return [
        ("GET", f"{DESK}/cases", None),
        ("GET", base, None),
        ("GET", f"{base}/documents/0123456789abcdef0123456789abcdef", None),
        ("GET", f"{base}/administrators", None),
        ("POST", f"{base}/notes", {"text": "called back"}),
        ("POST", f"{base}/approve", {"user_id": USER_ID, "reason": "called back"}),
        ("POST", f"{base}/reject", {"reason": "no answer"}),
    ]


def assert_error(response: Any, status: int, error: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error"] == error
    assert response.headers["Cache-Control"] == "no-store"


def audit_rows(desk: AdminHarness, action: str) -> list[dict[str, Any]]:
    return [row for row in desk.services.audit.recent(500) if row["action"] == action]


def untouched(desk: AdminHarness, case: Case) -> None:
    stored = SqlDeskRepository(desk.services.engine).get(case.id)
    assert stored is not None and stored.status == "open"
    assert len(SqlDeskRepository(desk.services.engine).documents(case.id)) == 3
    assert desk.keycloak.writes() == []


# --- who may ------------------------------------------------------------------------------------------------------


def test_an_anonymous_caller_gets_401_everywhere(desk: AdminHarness) -> None:
    case = new_case(desk)
    for method, path, body in endpoints(case):
        response = desk.client.open(path, method=method, json=body)
        assert_error(response, 401, "invalid_token")
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    untouched(desk, case)


def test_a_forged_token_gets_401(desk: AdminHarness) -> None:
    case = new_case(desk)
    forged = desk.issuer.token("master", key="stray-key", realm_access={"roles": [ROLE]})
    for method, path, body in endpoints(case):
        assert_error(desk.send(method, path, body, token=forged), 401, "invalid_token")
    untouched(desk, case)


def test_a_token_without_the_operator_role_gets_403_everywhere(desk: AdminHarness) -> None:
    case = new_case(desk)
    token = operator(desk, "admin", roles=("admin", "offline_access"))
    for method, path, body in endpoints(case):
        response = desk.send(method, path, body, token=token)
        assert_error(response, 403, "forbidden")
        assert ROLE in response.json["message"]
    untouched(desk, case)
    assert audit_rows(desk, "desk.document_viewed") == []


def test_an_operator_of_another_realm_gets_403_everywhere(desk: AdminHarness) -> None:
    """The role's name in the case's own realm (or any other) makes nobody an operator: only the operator realm's."""
    case = new_case(desk)
    for realm in ("acme", "other"):
        token = operator(desk, realm=realm)
        for method, path, body in endpoints(case):
            assert_error(desk.send(method, path, body, token=token), 403, "forbidden")
    untouched(desk, case)


def test_the_operator_realm_and_role_are_settings(
    settings: Settings, clock: FakeClock, fast_hasher: CodeHasher
) -> None:
    environ = {**DEV_ENV, "MFA_RECOVERY_DATA_DIR": settings.data_dir, "MFA_RECOVERY_CODE_PEPPER": PEPPER}
    changed = Settings.from_env(
        {**environ, "MFA_RECOVERY_DESK_OPERATOR_REALM": "other", "MFA_RECOVERY_DESK_OPERATOR_ROLE": "desk"}
    )
    assert (changed.desk_operator_realm, changed.desk_operator_role) == ("other", "desk")
    harness = make_harness(changed, clock, fast_hasher)
    try:
        file_case(harness.services)
        assert harness.get(f"{DESK}/cases", token=operator(harness)).status_code == 403  # master's role: no more
        token = operator(harness, realm="other", roles=("desk",))
        assert harness.get(f"{DESK}/cases", token=token).status_code == 200
    finally:
        close(harness)


def test_an_operator_cannot_decide_their_own_case(desk: AdminHarness) -> None:
    for account in ("OP1", "op1@OPS.example"):
        case = new_case(desk, account=account)
        for path, body in (("approve", {"user_id": USER_ID, "reason": "me"}), ("reject", {"reason": "me"})):
            response = desk.send("POST", f"{DESK}/cases/{case.case_number}/{path}", body, token=operator(desk))
            assert_error(response, 403, "forbidden")
            assert "your own account" in response.json["message"]
        untouched(desk, case)
    refused = audit_rows(desk, "desk.decision_refused")
    assert len(refused) == 4
    assert {row["detail"]["why"] for row in refused} == {"own_case"}
    assert {row["outcome"] for row in refused} == {"refused"}


def test_an_operator_cannot_approve_resetting_themselves(desk: AdminHarness) -> None:
    """An operator of the operator realm matching themselves in that realm, whatever the account typed."""
    desk.keycloak.add_user(OP1, "op1")
    case = file_case(desk.services, realm="master", account="someone-else")
    response = desk.send(
        "POST", f"{DESK}/cases/{case.case_number}/approve", {"user_id": OP1, "reason": "x"}, token=operator(desk)
    )
    assert_error(response, 403, "forbidden")
    untouched(desk, case)


def test_keycloak_decides_whether_the_operator_may_reset_the_user(desk: AdminHarness) -> None:
    case = new_case(desk)
    response = desk.send(
        "POST",
        f"{DESK}/cases/{case.case_number}/approve",
        {"user_id": USER_ID, "reason": "called back"},
        token=operator(desk, "viewer"),
    )
    assert_error(response, 403, "forbidden")
    untouched(desk, case)
    assert [c["type"] for c in desk.keycloak.credentials[USER_ID]] == ["password", "otp"]


# --- reading ------------------------------------------------------------------------------------------------------


def test_open_cases_oldest_first_with_their_age(desk: AdminHarness, clock: FakeClock) -> None:
    older = new_case(desk)
    clock.advance(3600)
    newer = new_case(desk, account="anna")
    clock.advance(60)
    response = desk.get(f"{DESK}/cases", token=operator(desk))
    assert response.status_code == 200
    check(response, "get", "/admin/v1/desk/cases")
    found = response.json["cases"]
    assert [c["case_number"] for c in found] == [older.case_number, newer.case_number]
    assert [c["age_seconds"] for c in found] == [3660, 60]
    assert response.headers["Cache-Control"] == "no-store"


def test_one_case_with_its_documents(desk: AdminHarness) -> None:
    case = new_case(desk)
    typed = case.case_number.replace("-", "").lower()
    response = desk.get(f"{DESK}/cases/{typed}", token=operator(desk))
    assert response.status_code == 200, response.json
    check(response, "get", "/admin/v1/desk/cases/{case_number}")
    assert response.json["case_number"] == case.case_number
    assert [d["kind"] for d in response.json["documents"]] == ["kvk_extract", "id_document", "selfie"]
    assert response.json["four_eyes"] is False
    assert_error(desk.get(f"{DESK}/cases/AAAA-BBBB-CCCC", token=operator(desk)), 404, "not_found")
    assert_error(desk.get(f"{DESK}/cases/nonsense", token=operator(desk)), 404, "not_found")


def test_opening_a_document_is_audited_each_time(desk: AdminHarness) -> None:
    case = new_case(desk)
    documents = SqlDeskRepository(desk.services.engine).documents(case.id)
    for document in documents * 2:
        response = desk.get(f"{DESK}/cases/{case.case_number}/documents/{document.id}", token=operator(desk))
        assert response.status_code == 200
        assert response.mimetype == document.media_type
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert len(response.data) == document.size
    viewed = audit_rows(desk, "desk.document_viewed")
    assert len(viewed) == 6
    assert {row["actor"] for row in viewed} == {"admin:master/op1"}
    assert sorted(row["detail"]["kind"] for row in viewed) == sorted([d.kind.value for d in documents] * 2)
    assert {row["detail"]["admin_id"] for row in viewed} == {OP1}


def test_a_document_of_another_case_is_not_found(desk: AdminHarness) -> None:
    case = new_case(desk)
    other = new_case(desk, account="anna")
    document = SqlDeskRepository(desk.services.engine).documents(other.id)[0]
    response = desk.get(f"{DESK}/cases/{case.case_number}/documents/{document.id}", token=operator(desk))
    assert_error(response, 404, "not_found")
    assert audit_rows(desk, "desk.document_viewed") == []


def test_the_realms_administrators_with_the_match_first(desk: AdminHarness) -> None:
    case = new_case(desk, account="JDOE")
    response = desk.get(f"{DESK}/cases/{case.case_number}/administrators", token=operator(desk))
    assert response.status_code == 200
    check(response, "get", "/admin/v1/desk/cases/{case_number}/administrators")
    found = response.json["administrators"]
    assert [(a["username"], a["roles"], a["matches_account"]) for a in found] == [
        ("jdoe", ["realm-admin", "manage-users"], True),
        ("anna", ["manage-users"], False),
    ]
    assert {who for who, _, _ in desk.keycloak.calls} == {"op1"}  # asked with the operator's own token


def test_a_note_is_kept_and_audited(desk: AdminHarness) -> None:
    case = new_case(desk)
    path = f"{DESK}/cases/{case.case_number}/notes"
    response = desk.send("POST", path, {"text": "Called +31 20 123 4567.\nVoice matches."}, token=operator(desk))
    assert response.status_code == 201
    check(response, "post", "/admin/v1/desk/cases/{case_number}/notes")
    view = desk.get(f"{DESK}/cases/{case.case_number}", token=operator(desk)).json
    assert [n["text"] for n in view["notes"]] == ["Called +31 20 123 4567.\nVoice matches."]
    (row,) = audit_rows(desk, "desk.note_added")
    assert row["detail"]["length"] == len("Called +31 20 123 4567.\nVoice matches.")
    assert "+31" not in str(row)  # the trail is kept for good; the note goes with the case
    for bad in ("", "   ", "x" * 2001, "bell\x07", 5):
        assert_error(desk.send("POST", path, {"text": bad}, token=operator(desk)), 400, "bad_request")


# --- deciding -----------------------------------------------------------------------------------------------------


def approve(desk: AdminHarness, case: Case, username: str = "op1", user_id: str = USER_ID) -> Any:
    return desk.send(
        "POST",
        f"{DESK}/cases/{case.case_number}/approve",
        {"user_id": user_id, "reason": "called back on the registered number"},
        token=operator(desk, username),
    )


def test_approving_resets_the_users_mfa_closes_the_case_and_deletes_its_documents(desk: AdminHarness) -> None:
    desk.services.backup_codes.issue("acme", USER_ID, 10)
    case = new_case(desk)
    response = approve(desk, case)
    assert response.status_code == 200, response.json
    check(response, "post", "/admin/v1/desk/cases/{case_number}/approve")
    assert response.json["result"] == "approved"
    assert response.json["case"]["status"] == "approved"
    assert response.json["reset"] == {
        "otp_removed": 1,
        "backup_codes_revoked": 10,
        "backup_email_removed": False,
        "required_action_added": True,
    }
    assert [c["type"] for c in desk.keycloak.credentials[USER_ID]] == ["password"]
    assert desk.keycloak.users[USER_ID]["requiredActions"] == ["CONFIGURE_TOTP"]
    assert desk.services.backup_codes.remaining("acme", USER_ID) == 0
    repository = SqlDeskRepository(desk.services.engine)
    assert repository.documents(case.id) == []
    assert list(desk.services.settings.desk_dir.iterdir()) == []
    stored = repository.get(case.id)
    assert stored is not None and stored.decided_by == "admin:master/op1"
    (mail,) = desk.services.outbox.due()
    assert (mail.kind, mail.user_id, mail.detail["case_number"]) == ("desk_approved", USER_ID, case.case_number)
    assert [row["outcome"] for row in audit_rows(desk, "desk.case_approved")] == ["succeeded", "attempted"]
    assert audit_rows(desk, "desk.documents_deleted")[0]["detail"]["reason"] == "decided"


def test_approving_resets_also_while_the_realm_forces_mfa(desk: AdminHarness) -> None:
    desk.keycloak.step()["requirement"] = "REQUIRED"
    assert desk.services.policy.is_forced("acme")
    case = new_case(desk)
    assert approve(desk, case).status_code == 200
    assert [c["type"] for c in desk.keycloak.credentials[USER_ID]] == ["password"]
    assert desk.keycloak.users[USER_ID]["requiredActions"] == ["CONFIGURE_TOTP"]


def test_a_decided_case_is_409(desk: AdminHarness) -> None:
    case = new_case(desk)
    assert approve(desk, case).status_code == 200
    assert_error(approve(desk, case, "op2"), 409, "case_decided")
    reject = desk.send("POST", f"{DESK}/cases/{case.case_number}/reject", {"reason": "x"}, token=operator(desk, "op2"))
    assert_error(reject, 409, "case_decided")
    document = f"{DESK}/cases/{case.case_number}/documents/0123456789abcdef0123456789abcdef"
    assert_error(desk.get(document, token=operator(desk)), 404, "not_found")


def test_a_reason_is_required_and_one_line(desk: AdminHarness) -> None:
    case = new_case(desk)
    bodies: list[dict[str, Any]] = [
        {"user_id": USER_ID},
        {"user_id": USER_ID, "reason": " "},
        {"user_id": USER_ID, "reason": "a\nb"},
        {"user_id": USER_ID, "reason": "x" * 501},
        {"reason": "ok"},
        {"user_id": 7, "reason": "ok"},
    ]
    for body in bodies:
        response = desk.send("POST", f"{DESK}/cases/{case.case_number}/approve", body, token=operator(desk))
        assert_error(response, 400, "bad_request")
    response = desk.send("POST", f"{DESK}/cases/{case.case_number}/reject", {}, token=operator(desk))
    assert_error(response, 400, "bad_request")
    untouched(desk, case)


def test_an_unknown_user_is_404_and_changes_nothing(desk: AdminHarness) -> None:
    case = new_case(desk)
    assert_error(approve(desk, case, user_id="no-such-user"), 404, "not_found")
    untouched(desk, case)


def test_rejecting_closes_the_case_deletes_its_documents_and_mails_the_reason(desk: AdminHarness) -> None:
    case = new_case(desk)
    response = desk.send(
        "POST", f"{DESK}/cases/{case.case_number}/reject", {"reason": "nobody answered"}, token=operator(desk)
    )
    assert response.status_code == 200, response.json
    check(response, "post", "/admin/v1/desk/cases/{case_number}/reject")
    assert (response.json["result"], response.json["reset"]) == ("rejected", None)
    assert SqlDeskRepository(desk.services.engine).documents(case.id) == []
    assert desk.keycloak.writes() == []
    (mail,) = desk.services.outbox.due()
    assert (mail.kind, mail.user_id, mail.detail["reason"]) == ("desk_rejected", USER_ID, "nobody answered")
    assert audit_rows(desk, "desk.case_rejected")[0]["detail"]["reason"] == "nobody answered"


def test_rejecting_an_account_that_does_not_resolve_mails_nobody(desk: AdminHarness) -> None:
    case = file_case(desk.services, account="ghost")
    response = desk.send("POST", f"{DESK}/cases/{case.case_number}/reject", {"reason": "no"}, token=operator(desk))
    assert response.status_code == 200
    assert desk.services.outbox.due() == []


# --- four eyes ----------------------------------------------------------------------------------------------------


@pytest.fixture
def four_eyes(desk: AdminHarness) -> AdminHarness:
    desk.services.realm_options.update("acme", "test", desk_four_eyes=True)
    return desk


def test_four_eyes_one_approval_is_not_enough(four_eyes: AdminHarness) -> None:
    case = new_case(four_eyes)
    response = approve(four_eyes, case)
    assert response.status_code == 200
    check(response, "post", "/admin/v1/desk/cases/{case_number}/approve")
    assert (response.json["result"], response.json["case"]["status"]) == ("approval_recorded", "open")
    untouched(four_eyes, case)
    assert audit_rows(four_eyes, "desk.approval_recorded")[0]["subject"] == USER_ID
    view = four_eyes.get(f"{DESK}/cases/{case.case_number}", token=operator(four_eyes)).json
    assert [(a["operator"], a["user_id"]) for a in view["approvals"]] == [("admin:master/op1", USER_ID)]


def test_four_eyes_the_same_operator_twice_is_not_enough(four_eyes: AdminHarness) -> None:
    case = new_case(four_eyes)
    assert approve(four_eyes, case).status_code == 200
    assert_error(approve(four_eyes, case), 409, "already_approved")
    untouched(four_eyes, case)


def test_four_eyes_a_second_operator_approving_another_user_does_not_carry_it_out(four_eyes: AdminHarness) -> None:
    case = new_case(four_eyes)
    assert approve(four_eyes, case).status_code == 200
    assert approve(four_eyes, case, "op2", user_id="anna-id").json["result"] == "approval_recorded"
    untouched(four_eyes, case)


def test_four_eyes_a_second_operator_carries_it_out(four_eyes: AdminHarness) -> None:
    case = new_case(four_eyes)
    assert approve(four_eyes, case).status_code == 200
    response = approve(four_eyes, case, "op2")
    assert response.json["result"] == "approved"
    assert [c["type"] for c in four_eyes.keycloak.credentials[USER_ID]] == ["password"]
    approved = audit_rows(four_eyes, "desk.case_approved")[0]
    assert approved["detail"]["approved_by"] == ["admin:master/op1", "admin:master/op2"]
    assert SqlDeskRepository(four_eyes.services.engine).documents(case.id) == []


def test_four_eyes_one_rejection_closes_the_case(four_eyes: AdminHarness) -> None:
    case = new_case(four_eyes)
    assert approve(four_eyes, case).status_code == 200
    response = four_eyes.send(
        "POST", f"{DESK}/cases/{case.case_number}/reject", {"reason": "doubt"}, token=operator(four_eyes, "op2")
    )
    assert response.json["result"] == "rejected"
    assert_error(approve(four_eyes, case, "op2"), 409, "case_decided")
    assert four_eyes.keycloak.writes() == []

"""The admin API over HTTP (employees, MFA actions, audit trail) against a fake Keycloak: good paths, the 401
matrix, Keycloak's refusals, bad input, and the sidecar's data read once per table for a whole page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.backup_email.repository import SIGN_IN, VERIFY_ADDRESS, SqlBackupEmailRepository
from mfa_recovery.config import Settings
from mfa_recovery.notifications.outbox import MFA_DISABLED

from .fakes.admin_api import AdminHarness, ServedApp, close, make_harness
from .fakes.clock import FakeClock
from .fakes.keycloak import ADMIN_ID, MANAGE_USERS, VIEW_EVENTS, VIEW_USERS
from .support import REALM, USER_ID, json_body

ANNA = "9b1f0c1e-0000-4000-8000-0000000000a2"
PIET = "9b1f0c1e-0000-4000-8000-0000000000a3"
API = "/admin/v1/realms/acme"
EMPLOYEE = f"{API}/employees/{USER_ID}"
DISABLE = f"{EMPLOYEE}/disable-mfa"
CODES = f"{EMPLOYEE}/backup-codes"
EMAIL = f"{EMPLOYEE}/backup-email"


@pytest.fixture
def admin(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> Iterator[AdminHarness]:
    harness = make_harness(settings, clock, fast_hasher)
    harness.keycloak.add_user(ANNA, "anna", otp=False)
    harness.keycloak.add_user(PIET, "piet", enabled=False, first_name=None, email=None)
    harness.keycloak.grants["helpdesk"] = frozenset({VIEW_USERS})  # may see users, not change them
    harness.keycloak.grants["nobody"] = frozenset()
    yield harness
    close(harness)


def emails(admin: ServedApp) -> SqlBackupEmailRepository:
    return SqlBackupEmailRepository(admin.services.engine)


def give_backup_address(admin: ServedApp, clock: FakeClock, user_id: str, address: str) -> None:
    now = clock()
    repo = emails(admin)
    repo.add_challenge(REALM, user_id, VERIFY_ADDRESS, address, f"lookup-{user_id}", now, now + timedelta(minutes=10),
                       now - timedelta(days=1))  # fmt: skip
    challenge = repo.live_challenge(REALM, user_id, VERIFY_ADDRESS, now, 5)
    assert challenge is not None
    assert repo.consume_as_backup_address(challenge.id, REALM, user_id, address, now, 5)


def send_code(admin: AdminHarness, clock: FakeClock, user_id: str, purpose: str, address: str) -> None:
    now = clock()
    emails(admin).add_challenge(REALM, user_id, purpose, address, f"code-{user_id}-{purpose}", now,
                                now + timedelta(minutes=10), now - timedelta(days=1))  # fmt: skip


def audit_rows(admin: AdminHarness, action: str) -> list[dict[str, Any]]:
    """The rows of ``action``, newest first."""
    return [row for row in admin.services.audit.recent() if row["action"] == action]


def outcome_and_attempt(admin: AdminHarness, action: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The only attempt of ``action`` and how it ended: the two newest rows of the trail."""
    outcome, attempt = audit_rows(admin, action)
    assert attempt["outcome"] == "attempted" and attempt["id"] + 1 == outcome["id"]
    return outcome, attempt


def assert_error(response: Any, status: int, error: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error"] == error
    assert response.headers["Cache-Control"] == "no-store"
    assert "Traceback" not in response.get_data(as_text=True)


# --- employees ----------------------------------------------------------------------------------------------------


def test_a_page_of_employees_with_their_mfa(admin: AdminHarness, clock: FakeClock) -> None:
    admin.services.backup_codes.issue(REALM, USER_ID, 10)
    give_backup_address(admin, clock, USER_ID, "jan.private@example.net")
    send_code(admin, clock, ANNA, VERIFY_ADDRESS, "anna@example.org")  # waiting for its code
    clock.advance(60)
    admin.services.audit.record(REALM, "bridge", USER_ID, "backup_code.verify", "accepted")
    admin.services.audit.record(REALM, "bridge", USER_ID, "backup_code.verify", "rejected")

    response = admin.get(f"{API}/employees")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.json
    assert (page["total"], page["first"], page["max"]) == (3, 0, 20)
    jan, anna, piet = page["employees"]
    assert jan == {
        "id": USER_ID,
        "username": "jdoe",
        "first_name": "Jan",
        "last_name": "Doe",
        "email": "jan@acme.example",
        "enabled": True,
        "mfa": {
            "otp": True,
            "backup_codes_remaining": 10,
            "backup_email": {"set": True, "verified": True, "address_hint": "j•••@example.net"},
            "last_recovery": {
                "at": clock().isoformat().replace("+00:00", "Z"),
                "action": "backup_code.verify",
                "outcome": "accepted",
            },
        },
    }
    assert anna["mfa"] == {
        "otp": False,
        "backup_codes_remaining": 0,
        "backup_email": {"set": True, "verified": False, "address_hint": "a•••@example.org"},
        "last_recovery": None,
    }
    assert (piet["enabled"], piet["first_name"], piet["email"]) == (False, None, None)


def test_the_page_reads_each_table_once_and_keycloak_twice(admin: AdminHarness) -> None:
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(admin.services.engine, "before_cursor_execute", seen)
    try:
        assert admin.get(f"{API}/employees").status_code == 200
    finally:
        event.remove(admin.services.engine, "before_cursor_execute", seen)
    tables = Counter(
        table
        for statement in statements
        for table in ("backup_codes", "backup_emails", "email_challenges", "audit_events")
        if f"FROM {table}" in statement
    )
    assert tables == {"backup_codes": 1, "backup_emails": 1, "email_challenges": 1, "audit_events": 1}
    assert [(who, call) for who, call, _ in admin.keycloak.calls] == [("admin", "users"), ("admin", "count_users")]


def test_paging_and_search_go_to_keycloak(admin: AdminHarness) -> None:
    page = admin.get(f"{API}/employees?first=1&max=1").json
    assert ([e["username"] for e in page["employees"]], page["total"], page["first"], page["max"]) == (
        ["anna"],
        3,
        1,
        1,
    )
    found = admin.get(f"{API}/employees?search=pie").json
    assert ([e["username"] for e in found["employees"]], found["total"]) == (["piet"], 1)
    assert admin.keycloak.calls[-2] == ("admin", "users", ("pie", 0, 20))


@pytest.mark.parametrize(
    "query", ["first=-1", "first=x", "first=1000001", "max=0", "max=101", "max=1.5", "search=" + "x" * 256]
)
def test_bad_paging_is_refused(admin: AdminHarness, query: str) -> None:
    assert_error(admin.get(f"{API}/employees?{query}"), 400, "bad_request")
    assert admin.keycloak.calls == []


def test_one_employee_with_required_actions_and_events(admin: AdminHarness) -> None:
    admin.keycloak.users[USER_ID]["requiredActions"] = ["UPDATE_PASSWORD"]
    for outcome in ("rejected", "accepted"):
        admin.services.audit.record(REALM, "bridge", USER_ID, "backup_code.verify", outcome)
    admin.services.audit.record(REALM, "bridge", ANNA, "backup_code.verify", "accepted")

    detail = admin.get(EMPLOYEE).json
    assert (detail["id"], detail["username"], detail["mfa"]["otp"]) == (USER_ID, "jdoe", True)
    assert detail["required_actions"] == ["UPDATE_PASSWORD"]
    assert [(e["action"], e["outcome"]) for e in detail["events"]] == [
        ("backup_code.verify", "accepted"),
        ("backup_code.verify", "rejected"),
    ]
    assert set(detail["events"][0]) == {
        "id", "occurred_at", "realm", "actor", "subject", "action", "outcome", "detail", "ip", "user_agent"
    }  # fmt: skip


def test_the_events_of_an_employee_need_permission_to_read_events(admin: AdminHarness) -> None:
    detail = admin.get(EMPLOYEE, username="helpdesk").json
    assert detail["username"] == "jdoe"
    assert detail["events"] is None


def test_an_unknown_employee_is_404(admin: AdminHarness) -> None:
    assert_error(admin.get(f"{API}/employees/no-such-user"), 404, "not_found")


@pytest.mark.parametrize("path", [f"{API}/employees", EMPLOYEE])
def test_keycloak_decides_who_may_see_employees(admin: AdminHarness, path: str) -> None:
    assert_error(admin.get(path, username="nobody"), 403, "forbidden")


def test_keycloak_down_is_502_without_details(admin: AdminHarness) -> None:
    admin.keycloak.down = True
    response = admin.get(f"{API}/employees")
    assert_error(response, 502, "keycloak_unavailable")
    assert response.json["message"] == "Keycloak is unavailable"


# --- authentication -----------------------------------------------------------------------------------------------

ROUTES = [
    ("GET", f"{API}/employees"),
    ("GET", EMPLOYEE),
    ("POST", DISABLE),
    ("DELETE", CODES),
    ("DELETE", EMAIL),
    ("GET", f"{API}/policy"),
    ("PUT", f"{API}/policy"),
    ("GET", f"{API}/audit"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer   ", "Basic YWRtaW46YWRtaW4=", "Bearer not-a-jwt", "expired", "other realm"],
)
def test_every_route_wants_a_valid_token(
    admin: AdminHarness, method: str, path: str, authorization: str | None
) -> None:
    if authorization == "expired":
        authorization = f"Bearer {admin.issuer.token(lifetime=-60)}"
    elif authorization == "other realm":
        authorization = f"Bearer {admin.issuer.token('other')}"
    headers = {} if authorization is None else {"Authorization": authorization}
    response = admin.client.open(path, method=method, headers=headers, json={"reason": "x", "force_mfa": True})
    assert_error(response, 401, "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert json_body(response)["message"] == "missing or invalid access token"
    assert admin.keycloak.calls == []


def test_a_realm_administrator_may_call_about_their_own_realm(admin: AdminHarness) -> None:
    admin.keycloak.grants["local"] = frozenset({VIEW_USERS})
    assert admin.get(f"{API}/employees", token=admin.issuer.token(REALM, username="local")).status_code == 200


@pytest.mark.parametrize("realm", ["a*b", "x" * 256, "..", "acme%0A"])
def test_a_realm_name_that_cannot_be_a_realm_is_400(admin: AdminHarness, realm: str) -> None:
    assert_error(admin.get(f"/admin/v1/realms/{realm}/employees"), 400, "bad_request")


def test_a_user_id_that_cannot_be_one_is_400(admin: AdminHarness) -> None:
    assert_error(admin.get(f"{API}/employees/a%20b"), 400, "bad_request")


# --- disable MFA --------------------------------------------------------------------------------------------------


def test_disabling_mfa(admin: AdminHarness) -> None:
    response = admin.send("POST", DISABLE, {"reason": "  lost her phone  ", "enrol_again": True})
    assert response.status_code == 200
    assert response.json == {
        "result": "disabled",
        "removed_credentials": 1,
        "enrol_again": True,
        "required_action_added": True,
    }
    assert [c["type"] for c in admin.keycloak.credentials[USER_ID]] == ["password"]
    assert admin.keycloak.users[USER_ID]["requiredActions"] == ["CONFIGURE_TOTP"]
    assert all(who == "admin" for who, call, _ in admin.keycloak.writes())

    row, attempt = outcome_and_attempt(admin, "admin.disable_mfa")
    assert (row["actor"], row["subject"], row["realm"], row["outcome"]) == (
        "admin:master/admin",
        USER_ID,
        REALM,
        "succeeded",
    )
    assert row["detail"] == {"reason": "lost her phone", "enrol_again": True, "removed": 1, "admin_id": ADMIN_ID}
    assert attempt["detail"] == {**row["detail"], "removed": 0}
    assert row["user_agent"] == attempt["user_agent"] == "admin-script/1"

    (queued,) = admin.services.outbox.due()
    assert (queued.kind, queued.user_id, queued.realm) == (MFA_DISABLED, USER_ID, REALM)
    assert dict(queued.detail) == {"enrol_again": True, "administrator": "admin"}
    assert queued.user_agent == "admin-script/1", "the notice says from where the administrator acted"


def test_every_otp_credential_goes_and_enrol_again_is_the_default(admin: AdminHarness) -> None:
    admin.keycloak.credentials[USER_ID].append({"id": "otp-2", "type": "otp", "userLabel": "tablet"})
    admin.keycloak.credentials[USER_ID].append({"id": "wa-1", "type": "webauthn"})
    response = admin.send("POST", DISABLE, {"reason": "left the company"})
    assert response.json["removed_credentials"] == 2
    assert response.json["enrol_again"] is True
    assert [c["type"] for c in admin.keycloak.credentials[USER_ID]] == ["password", "webauthn"]


def test_disabling_without_enrolling_again(admin: AdminHarness) -> None:
    response = admin.send("POST", DISABLE, {"reason": "new phone, set up by IT", "enrol_again": False})
    assert response.json["required_action_added"] is False
    assert admin.keycloak.users[USER_ID]["requiredActions"] == []
    assert admin.services.outbox.due()[0].detail == {"enrol_again": False, "administrator": "admin"}


def test_disabling_for_someone_without_otp_changes_nothing_and_mails_nobody(admin: AdminHarness) -> None:
    response = admin.send("POST", f"{API}/employees/{ANNA}/disable-mfa", {"reason": "check", "enrol_again": False})
    assert response.json == {
        "result": "unchanged",
        "removed_credentials": 0,
        "enrol_again": False,
        "required_action_added": False,
    }
    assert audit_rows(admin, "admin.disable_mfa")[0]["outcome"] == "unchanged"
    assert admin.services.outbox.due() == []


def test_disabling_is_refused_while_mfa_is_forced(admin: AdminHarness) -> None:
    admin.keycloak.step()["requirement"] = "REQUIRED"
    response = admin.send("POST", DISABLE, {"reason": "lost phone"})
    assert_error(response, 409, "mfa_forced")
    assert [c["type"] for c in admin.keycloak.credentials[USER_ID]] == ["password", "otp"]
    assert admin.keycloak.writes() == []
    assert [who for who, _, _ in admin.keycloak.calls] == ["admin"] + ["service-account"] * 3  # policy: the sidecar
    row, _ = outcome_and_attempt(admin, "admin.disable_mfa")
    assert (row["outcome"], row["detail"]["error"]) == ("failed", "mfa_forced")


def test_keycloak_decides_who_may_disable(admin: AdminHarness) -> None:
    assert_error(admin.send("POST", DISABLE, {"reason": "x"}, username="helpdesk"), 403, "forbidden")
    assert [c["type"] for c in admin.keycloak.credentials[USER_ID]] == ["password", "otp"]
    row, _ = outcome_and_attempt(admin, "admin.disable_mfa")
    assert (row["actor"], row["outcome"], row["detail"]["error"]) == ("admin:master/helpdesk", "failed", "forbidden")
    assert admin.services.outbox.due() == []


def test_disabling_for_an_unknown_user_is_404(admin: AdminHarness) -> None:
    assert_error(admin.send("POST", f"{API}/employees/ghost/disable-mfa", {"reason": "x"}), 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": None},
        {"reason": "   "},
        {"reason": "x" * 501},
        {"reason": 42},
        {"reason": "ok", "enrol_again": "yes"},
        {"reason": "ok", "enrol_again": None},
        ["reason"],
        "reason",
    ],
)
def test_bad_disable_bodies_are_400(admin: AdminHarness, body: object) -> None:
    assert_error(admin.send("POST", DISABLE, body), 400, "bad_request")
    assert admin.keycloak.writes() == []


def test_a_reason_of_500_characters_is_enough(admin: AdminHarness) -> None:
    assert admin.send("POST", DISABLE, {"reason": " " + "x" * 500 + "\n"}).status_code == 200


def test_malformed_json_and_other_media_are_refused(admin: AdminHarness) -> None:
    headers = admin.headers()
    assert_error(admin.client.post(DISABLE, data="{", headers=headers, content_type="application/json"), 400,
                 "bad_request")  # fmt: skip
    assert_error(admin.client.post(DISABLE, data="reason=x", headers=headers, content_type="text/plain"), 415,
                 "unsupported_media_type")  # fmt: skip
    big = {"reason": "x", "padding": "y" * 20_000}
    assert_error(admin.client.post(DISABLE, json=big, headers=headers), 413, "too_large")


# --- revoke backup codes ------------------------------------------------------------------------------------------


def test_revoking_backup_codes(admin: AdminHarness) -> None:
    admin.services.backup_codes.issue(REALM, USER_ID, 10)
    admin.services.backup_codes.start_setup(REALM, USER_ID, 10)  # a pending set goes too
    admin.keycloak.credentials[USER_ID].append({"id": "marker", "type": "mfa-recovery-backup-codes"})

    response = admin.send("DELETE", CODES)
    assert response.status_code == 200
    assert response.json == {"result": "revoked", "codes_revoked": 20, "markers_removed": 1}
    assert admin.services.backup_codes.remaining(REALM, USER_ID) == 0
    assert [c["type"] for c in admin.keycloak.credentials[USER_ID]] == ["password", "otp"]
    row, _ = outcome_and_attempt(admin, "admin.revoke_backup_codes")
    assert row["detail"] == {"reason": None, "revoked": 20, "markers_removed": 1, "admin_id": ADMIN_ID}

    again = admin.send("DELETE", CODES, {"reason": "twice"})
    assert again.json == {"result": "unchanged", "codes_revoked": 0, "markers_removed": 0}
    assert audit_rows(admin, "admin.revoke_backup_codes")[0]["detail"]["reason"] == "twice"


def test_revoking_needs_keycloaks_manage_access_to_the_user(admin: AdminHarness) -> None:
    admin.services.backup_codes.issue(REALM, USER_ID, 10)
    assert_error(admin.send("DELETE", CODES, username="helpdesk"), 403, "forbidden")
    assert admin.services.backup_codes.remaining(REALM, USER_ID) == 10
    admin.keycloak.grants["manager"] = frozenset({VIEW_USERS, MANAGE_USERS})
    assert admin.send("DELETE", CODES, username="manager").json["codes_revoked"] == 10


def test_an_empty_body_with_a_json_type_is_no_reason(admin: AdminHarness) -> None:
    headers = admin.headers()
    response = admin.client.delete(CODES, data=b"", headers=headers, content_type="application/json")
    assert json_body(response)["result"] == "unchanged"
    assert audit_rows(admin, "admin.revoke_backup_codes")[0]["detail"]["reason"] is None
    text = admin.client.delete(CODES, data=b"reason", headers=headers, content_type="text/plain")
    assert_error(text, 415, "unsupported_media_type")


@pytest.mark.parametrize("body", [{"reason": 1}, {"reason": "x" * 501}, []])
def test_bad_revoke_bodies_are_400(admin: AdminHarness, body: object) -> None:
    admin.services.backup_codes.issue(REALM, USER_ID, 10)
    assert_error(admin.send("DELETE", CODES, body), 400, "bad_request")
    assert admin.services.backup_codes.remaining(REALM, USER_ID) == 10


@pytest.mark.parametrize("path", [CODES, EMAIL])
@pytest.mark.parametrize("reason", ["", "   ", "\u2003"])
def test_a_reason_sent_empty_or_blank_is_400_and_changes_nothing(admin: AdminHarness, path: str, reason: str) -> None:
    admin.services.backup_codes.issue(REALM, USER_ID, 10)
    assert_error(admin.send("DELETE", path, {"reason": reason}), 400, "bad_request")
    assert admin.services.backup_codes.remaining(REALM, USER_ID) == 10
    assert audit_rows(admin, "admin.revoke_backup_codes") == audit_rows(admin, "admin.remove_backup_email") == []


@pytest.mark.parametrize("body", [{}, {"reason": None}])
def test_a_reason_left_out_or_null_is_no_reason(admin: AdminHarness, body: dict) -> None:
    assert admin.send("DELETE", CODES, body).status_code == 200
    assert admin.send("DELETE", EMAIL, body).status_code == 200


def test_revoking_for_an_unknown_user_is_404(admin: AdminHarness) -> None:
    assert_error(admin.send("DELETE", f"{API}/employees/ghost/backup-codes"), 404, "not_found")


# --- remove the backup email --------------------------------------------------------------------------------------


def test_removing_the_backup_email(admin: AdminHarness, clock: FakeClock) -> None:
    give_backup_address(admin, clock, USER_ID, "jan.private@example.net")
    send_code(admin, clock, USER_ID, SIGN_IN, "jan.private@example.net")
    response = admin.send("DELETE", EMAIL, {"reason": "address compromised"})
    assert response.status_code == 200
    assert response.json == {"result": "removed", "address_hint": "j•••@example.net", "codes_ended": 1}
    assert emails(admin).backup_email(REALM, USER_ID) is None
    assert emails(admin).live_challenge(REALM, USER_ID, SIGN_IN, clock(), 5) is None
    row, _ = outcome_and_attempt(admin, "admin.remove_backup_email")
    assert row["detail"] == {
        "reason": "address compromised",
        "address_hint": "j•••@example.net",
        "codes_ended": 1,
        "admin_id": ADMIN_ID,
    }
    assert admin.send("DELETE", EMAIL).json == {"result": "unchanged", "address_hint": None, "codes_ended": 0}


def test_removing_needs_keycloaks_manage_access_to_the_user(admin: AdminHarness, clock: FakeClock) -> None:
    give_backup_address(admin, clock, USER_ID, "jan.private@example.net")
    assert_error(admin.send("DELETE", EMAIL, username="helpdesk"), 403, "forbidden")
    assert emails(admin).backup_email(REALM, USER_ID) is not None
    assert audit_rows(admin, "admin.remove_backup_email")[0]["outcome"] == "failed"


# --- audit trail --------------------------------------------------------------------------------------------------


def test_reading_the_audit_trail(admin: AdminHarness, clock: FakeClock) -> None:
    start = clock()
    for index in range(5):
        clock.advance(60)
        admin.services.audit.record(REALM, "bridge", USER_ID if index % 2 else ANNA, "backup_code.verify", "accepted")
    admin.services.audit.record("elsewhere", "bridge", USER_ID, "backup_code.verify", "accepted")

    page = admin.get(f"{API}/audit?max=2").json
    assert (page["total"], page["first"], page["max"], len(page["events"])) == (5, 0, 2, 2)
    assert page["events"][0]["id"] > page["events"][1]["id"]  # newest first
    assert admin.get(f"{API}/audit?subject={USER_ID}").json["total"] == 2
    assert admin.get(f"{API}/audit?action=backup_code.&actor=bridge").json["total"] == 5
    since = (start + timedelta(seconds=150)).isoformat().replace("+00:00", "Z")
    assert admin.get(f"{API}/audit?since={since}").json["total"] == 3
    until = (start + timedelta(seconds=150)).replace(tzinfo=None).isoformat()  # naive: UTC
    assert admin.get(f"{API}/audit?until={until}").json["total"] == 2
    assert admin.get(f"{API}/audit?first=4").json["events"][0]["subject"] == ANNA


@pytest.mark.parametrize(
    "query",
    ["since=yesterday", "until=2025-13-01", "max=0", "first=-3", "actor=" + "a" * 256,
     "until=", "since=", "since=%20%20", "first=", "max="],
)  # fmt: skip
def test_bad_audit_queries_are_400(admin: AdminHarness, query: str) -> None:
    assert_error(admin.get(f"{API}/audit?{query}"), 400, "bad_request")


def test_the_audit_trail_is_for_those_who_may_read_keycloaks_events(admin: AdminHarness) -> None:
    assert_error(admin.get(f"{API}/audit", username="helpdesk"), 403, "forbidden")
    admin.keycloak.grants["auditor"] = frozenset({VIEW_EVENTS})
    assert admin.get(f"{API}/audit", username="auditor").status_code == 200


def test_the_head_of_the_chain_is_shown_to_those_who_may_read_events(admin: AdminHarness) -> None:
    admin.services.audit.record(REALM, "bridge", USER_ID, "backup_code.verify", "accepted")
    head = admin.services.audit.head()
    assert head is not None
    assert admin.get(f"{API}/audit/head").json == {"id": head.id, "hash": head.hash}
    assert admin.services.audit.verify(expect_head=head).ok
    assert_error(admin.get(f"{API}/audit/head", username="helpdesk"), 403, "forbidden")


def test_unknown_methods_and_paths(admin: AdminHarness) -> None:
    assert_error(admin.send("PATCH", f"{API}/policy", {}), 405, "method_not_allowed")
    assert admin.get(f"{API}/nothing-here").status_code == 404


@pytest.mark.parametrize(
    "query", ["serach=jan", "first=0&%C3%88=null", "reason=x"], ids=["misspelt", "unknown-unicode", "not-here"]
)
def test_a_query_parameter_the_description_does_not_name_is_refused(admin: AdminHarness, query: str) -> None:
    response = admin.client.get(f"/admin/v1/realms/{REALM}/employees?{query}", headers=admin.headers())
    assert response.status_code == 400
    assert json_body(response)["error"] == "bad_request"
    assert "unknown query parameter" in json_body(response)["message"]


def test_the_described_query_parameters_are_taken(admin: AdminHarness) -> None:
    response = admin.client.get(f"/admin/v1/realms/{REALM}/employees?search=j&first=0&max=5", headers=admin.headers())
    assert response.status_code == 200

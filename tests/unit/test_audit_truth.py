"""The audit trail tells the whole truth: input that cannot be stored is refused before anything changes, every
admin action writes its attempt before it changes Keycloak and its outcome after, and text Keycloak forwards is
cleaned rather than lost."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from mfa_recovery.admin.errors import KeycloakUnavailable
from mfa_recovery.audit.log import AuditLog
from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings

from .fakes.admin_api import AdminHarness, close, make_harness
from .fakes.admin_ui import UI, make_ui
from .fakes.admin_ui import close as close_ui
from .fakes.clock import FakeClock
from .fakes.keycloak import FakeSession
from .support import PROFILE, REALM, USER_ID

API = "/admin/v1/realms/acme"
EMPLOYEE = f"{API}/employees/{USER_ID}"
LONE_SURROGATE = '"\\ud800"'  # valid JSON, but no character: it cannot be encoded as UTF-8
# Control characters inside a reason: C0 (tab and line break included: a reason is one line), NUL, DEL, C1.
CONTROL_REASONS = ["lost\tphone", "lost\nphone", "lost\rphone", "lost\x00phone", "bell\x07", "del\x7f", "c1\x85x"]


@pytest.fixture
def admin(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> Iterator[AdminHarness]:
    harness = make_harness(settings, clock, fast_hasher)
    yield harness
    close(harness)


def raw(admin: AdminHarness, method: str, path: str, body: str) -> Any:
    """Send ``body`` as it is (a JSON text the test client would not make from a Python string)."""
    return admin.client.open(
        path, method=method, data=body.encode("ascii"), headers=admin.headers(), content_type="application/json"
    )


def trail(admin: AdminHarness) -> list[tuple[str, str]]:
    """(action, outcome) of every row, oldest first."""
    return [(row["action"], row["outcome"]) for row in reversed(admin.services.audit.recent())]


def assert_refused_before_anything_changed(admin: AdminHarness, response: Any) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["error"] == "bad_request" and "reason" in response.json["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    assert admin.keycloak.writes() == []
    assert trail(admin) == []


# --- refused before anything changes ------------------------------------------------------------------------------

ACTIONS_WITH_A_REASON = [
    ("POST", f"{EMPLOYEE}/disable-mfa", '{{"reason": {reason}, "enrol_again": true}}'),
    ("DELETE", f"{EMPLOYEE}/backup-codes", '{{"reason": {reason}}}'),
    ("DELETE", f"{EMPLOYEE}/backup-email", '{{"reason": {reason}}}'),
    ("PUT", f"{API}/policy", '{{"force_mfa": true, "reason": {reason}}}'),
]


@pytest.mark.parametrize(("method", "path", "body"), ACTIONS_WITH_A_REASON)
def test_a_reason_with_a_lone_surrogate_is_400_and_changes_nothing(
    admin: AdminHarness, method: str, path: str, body: str
) -> None:
    admin.services.backup_codes.issue(REALM, USER_ID, 10)
    response = raw(admin, method, path, body.format(reason=LONE_SURROGATE))
    assert_refused_before_anything_changed(admin, response)
    assert admin.keycloak.step()["requirement"] == "CONDITIONAL"
    assert [c["type"] for c in admin.keycloak.credentials[USER_ID]] == ["password", "otp"]
    assert admin.services.backup_codes.remaining(REALM, USER_ID) == 10


@pytest.mark.parametrize("reason", CONTROL_REASONS)
@pytest.mark.parametrize(("method", "path", "body"), ACTIONS_WITH_A_REASON)
def test_a_reason_with_a_control_character_is_400_and_changes_nothing(
    admin: AdminHarness, method: str, path: str, body: str, reason: str
) -> None:
    response = raw(admin, method, path, body.format(reason=json.dumps(reason)))
    assert_refused_before_anything_changed(admin, response)


def test_a_reason_keeps_its_spaces_and_any_language(admin: AdminHarness) -> None:
    reason = "Telefoon kwijt — identiteit gecontroleerd 👍 (ticket #4711)"
    assert admin.send("POST", f"{EMPLOYEE}/disable-mfa", {"reason": reason}).status_code == 200
    assert admin.services.audit.recent()[0]["detail"]["reason"] == reason


@pytest.mark.parametrize(
    "query",
    [
        "employees?search=a%00b",
        "employees?search=a%09b",
        "employees?search=a%C2%85b",
        "audit?subject=a%00",
        "audit?actor=x%0Ay",
        "audit?action=admin.%1B",
    ],
)
def test_search_terms_with_control_characters_are_400(admin: AdminHarness, query: str) -> None:
    response = admin.get(f"{API}/{query}")
    assert response.status_code == 400 and response.json["error"] == "bad_request"
    assert admin.keycloak.calls == []


def test_an_administrators_odd_user_agent_is_cleaned_not_refused(admin: AdminHarness) -> None:
    headers = {**admin.headers(), "User-Agent": "script\x85\x01/1"}
    response = admin.client.post(f"{EMPLOYEE}/disable-mfa", json={"reason": "lost phone"}, headers=headers)
    assert response.status_code == 200
    assert admin.services.audit.recent()[0]["user_agent"] == "script\ufffd\ufffd/1"


# --- the attempt before, the outcome after --------------------------------------------------------------------------


def fail_at_second_delete(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    """Keycloak takes the first credential deletion, then fails."""
    real = FakeSession.delete_credential
    deleted: list[str] = []

    def delete_credential(self: FakeSession, realm: str, user_id: str, credential_id: str) -> None:
        if deleted:
            raise error
        real(self, realm, user_id, credential_id)
        deleted.append(credential_id)

    monkeypatch.setattr(FakeSession, "delete_credential", delete_credential)


def with_two_otp_credentials(admin: AdminHarness) -> None:
    admin.keycloak.credentials[USER_ID].append({"id": "otp-2", "type": "otp", "userLabel": "tablet"})


def test_a_keycloak_failure_half_way_shows_the_attempt_and_what_was_done(
    admin: AdminHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_two_otp_credentials(admin)
    fail_at_second_delete(monkeypatch, KeycloakUnavailable("delete_credential: ConnectionError"))
    response = admin.send("POST", f"{EMPLOYEE}/disable-mfa", {"reason": "lost phone"})
    assert response.status_code == 502
    assert trail(admin) == [("admin.disable_mfa", "attempted"), ("admin.disable_mfa", "failed")]
    failed = admin.services.audit.recent()[0]
    assert (failed["detail"]["removed"], failed["detail"]["error"]) == (1, "keycloak_unavailable")
    assert admin.services.audit.verify().ok


def test_a_crash_half_way_is_a_500_without_a_trace_and_is_audited(
    admin: AdminHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_two_otp_credentials(admin)
    fail_at_second_delete(monkeypatch, RuntimeError("a bug"))
    response = admin.send("POST", f"{EMPLOYEE}/disable-mfa", {"reason": "lost phone"})
    assert response.status_code == 500
    assert "a bug" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)
    assert trail(admin) == [("admin.disable_mfa", "attempted"), ("admin.disable_mfa", "failed")]
    failed = admin.services.audit.recent()[0]
    assert (failed["detail"]["removed"], failed["detail"]["error"]) == (1, "internal_error")
    assert admin.services.audit.verify().ok


def test_the_attempt_is_in_the_trail_before_keycloak_is_changed(
    admin: AdminHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen_at_change: list[list[tuple[str, str]]] = []
    real = FakeSession.delete_credential

    def delete_credential(self: FakeSession, realm: str, user_id: str, credential_id: str) -> None:
        seen_at_change.append(trail(admin))
        real(self, realm, user_id, credential_id)

    monkeypatch.setattr(FakeSession, "delete_credential", delete_credential)
    assert admin.send("POST", f"{EMPLOYEE}/disable-mfa", {"reason": "lost phone"}).status_code == 200
    assert seen_at_change == [[("admin.disable_mfa", "attempted")]]
    assert trail(admin)[-2:] == [("admin.disable_mfa", "attempted"), ("admin.disable_mfa", "succeeded")]


def test_a_policy_change_failing_half_way_names_what_keycloak_took(
    admin: AdminHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def update_required_action(self: FakeSession, realm: str, alias: str, representation: Any) -> None:
        raise KeycloakUnavailable("update_required_action: ConnectionError")

    monkeypatch.setattr(FakeSession, "update_required_action", update_required_action)
    response = admin.send("PUT", f"{API}/policy", {"force_mfa": True, "reason": "audit finding"})
    assert response.status_code == 502
    assert trail(admin) == [("admin.policy", "attempted"), ("admin.policy", "failed")]
    failed = admin.services.audit.recent()[0]
    assert failed["detail"]["written"] == ["execution x-2fa: REQUIRED"]
    assert admin.services.audit.verify().ok


# --- the admin UI's forms: the same check -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "form_id", "data"),
    [
        (f"{UI}/employees/{USER_ID}/disable-mfa", "disable-mfa-form", {"reason": "lost\x01phone", "enrol_again": "on"}),
        (f"{UI}/employees/{USER_ID}/revoke-backup-codes", "revoke-backup-codes-form", {"reason": "x\ty"}),
        (f"{UI}/settings/general", "force-mfa-form", {"force_mfa": "on", "reason": "all\nstaff"}),
    ],
)
def test_the_ui_refuses_a_reason_with_a_control_character(
    settings: Settings, clock: FakeClock, fast_hasher: CodeHasher, page: str, form_id: str, data: dict[str, str]
) -> None:
    ui = make_ui(settings, clock, fast_hasher)
    try:
        ui.sign_in()
        response = ui.post_form(page, form_id, data)
        assert response.status_code == 400
        assert "one line" in response.get_data(as_text=True)
        assert ui.keycloak.writes() == [] and ui.services.audit.recent() == []
    finally:
        close_ui(ui)


# --- the bridge: what Keycloak forwards ---------------------------------------------------------------------------

START = "/bridge/v1/recovery/start"
VERIFY = "/bridge/v1/backup-codes/verify"
CONFIRM = "/bridge/v1/backup-codes/confirm"
EMAIL_START = "/bridge/v1/backup-email/start"
NOTIFY = "/bridge/v1/supervisor/notify"


def raw_bridge(client: Any, make_token: Callable[..., str], path: str, body: str) -> Any:
    headers = {"Authorization": f"Bearer {make_token(path)}"}
    return client.post(path, data=body.encode("ascii"), headers=headers, content_type="application/json")


def test_a_user_agent_or_address_that_cannot_be_stored_is_cleaned(
    app: Flask, client: Any, make_token: Callable[..., str]
) -> None:
    body = '{"ip": "203.0.113.7\\u0000", "user_agent": "Firefox\\ud800 \\u0007/1"}'
    response = raw_bridge(client, make_token, START, body)
    assert response.status_code == 200
    (row,) = app.extensions["mfa_recovery"].audit.recent()
    assert (row["ip"], row["user_agent"]) == ("203.0.113.7\ufffd", "Firefox\ufffd \ufffd/1")


def test_a_profile_that_cannot_be_stored_is_cleaned(app: Flask, client: Any, make_token: Callable[..., str]) -> None:
    profile = {**PROFILE, "first_name": "Jan\\ud83d", "locale": "nl\\u0000"}
    body = '{"profile": {' + ", ".join(f'"{name}": "{value}"' for name, value in profile.items()) + "}}"
    response = raw_bridge(client, make_token, NOTIFY, body)
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (VERIFY, '{"code": "7KQM\\ud800"}'),
        (VERIFY, '{"code": "7KQM\\u0000"}'),
        (CONFIRM, '{"set_id": "\\udfff"}'),
        (EMAIL_START, '{"address": "jan\\ud800@example.org"}'),
    ],
)
def test_typed_text_that_cannot_be_stored_is_400(
    app: Flask, client: Any, make_token: Callable[..., str], path: str, body: str
) -> None:
    response = raw_bridge(client, make_token, path, body)
    assert response.status_code == 400 and response.json["error"] == "bad_request"
    assert "Traceback" not in response.get_data(as_text=True)


# --- the writer: the last line -------------------------------------------------------------------------------------


def test_the_writer_stores_a_row_with_what_cannot_be_stored_replaced(services: Any) -> None:
    audit: AuditLog = services.audit
    audit.record(REALM, "bridge\ud800", USER_ID, "test.action", "ok", {"reason": "x\ud800\x00", "list": ["\udfff"]})
    (row,) = audit.recent()
    assert row["actor"] == "bridge\ufffd"
    assert row["detail"] == {"reason": "x\ufffd\ufffd", "list": ["\ufffd"]}
    assert audit.verify().ok

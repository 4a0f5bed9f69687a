"""The audit trail tells the whole truth, against the real Keycloak: a reason that cannot be stored is refused with
400 before Keycloak is changed (once it answered 500 *after* removing the employee's OTP, and wrote no row), and a
successful action shows its attempt before its outcome."""

from __future__ import annotations

import pytest

from tests.support.policy import keycloak_settings

# Valid JSON that no store can keep: a lone surrogate (the bytes sent are the six characters \ud800).
LONE_SURROGATE_REASON = b'"\\ud800"'


def raw_json(api, method: str, path: str, body: bytes):
    """Send ``body`` as it is: ``requests`` would not make this JSON from a Python string."""
    return api.call(method, path, data=body, headers={"Content-Type": "application/json"})


def otp_credentials(admin, user_id: str) -> list[dict]:
    return [credential for credential in admin.get_credentials(user_id) if credential["type"] == "otp"]


def assert_refused(response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_request"
    assert "reason" in response.json()["message"]


def test_disable_mfa_with_a_lone_surrogate_reason_is_400_and_keeps_the_otp(realm_admin, admin, new_employee):
    employee = new_employee()
    body = b'{"reason": ' + LONE_SURROGATE_REASON + b', "enrol_again": true}'
    assert_refused(raw_json(realm_admin, "POST", f"/employees/{employee.user_id}/disable-mfa", body))
    assert len(otp_credentials(admin, employee.user_id)) == 1, "Keycloak was not changed"
    assert "CONFIGURE_TOTP" not in admin.get_user(employee.user_id).get("requiredActions", [])
    events = realm_admin.audit(subject=employee.user_id).json()["events"]
    assert [e for e in events if e["action"] == "admin.disable_mfa"] == []


def test_revoking_backup_codes_with_a_lone_surrogate_reason_is_400_and_keeps_them(
    realm_admin, new_employee, issue_codes
):
    employee = new_employee()
    issue_codes(employee)
    before = realm_admin.employee(employee.user_id).json()["mfa"]["backup_codes_remaining"]
    assert before > 0
    body = b'{"reason": ' + LONE_SURROGATE_REASON + b"}"
    assert_refused(raw_json(realm_admin, "DELETE", f"/employees/{employee.user_id}/backup-codes", body))
    assert realm_admin.employee(employee.user_id).json()["mfa"]["backup_codes_remaining"] == before


def test_forcing_mfa_with_a_lone_surrogate_reason_is_400_and_changes_no_flow(realm_admin, admin, restore_policy):
    body = b'{"force_mfa": true, "reason": ' + LONE_SURROGATE_REASON + b"}"
    assert_refused(raw_json(realm_admin, "PUT", "/policy", body))
    assert keycloak_settings(admin) == restore_policy
    assert realm_admin.policy().json()["force_mfa"] is False


@pytest.mark.parametrize("reason", ["lost\nphone", "lost\tphone", "bell\u0007"])
def test_a_reason_with_a_control_character_is_400_and_keeps_the_otp(realm_admin, admin, new_employee, reason):
    employee = new_employee()
    response = realm_admin.disable_mfa(employee.user_id, reason=reason)
    assert_refused(response)
    assert len(otp_credentials(admin, employee.user_id)) == 1


def test_a_successful_disable_mfa_shows_its_attempt_before_its_outcome(realm_admin, admin, new_employee):
    employee = new_employee()
    response = realm_admin.disable_mfa(employee.user_id, reason="lost phone, identity checked by phone")
    assert response.status_code == 200, response.text
    assert otp_credentials(admin, employee.user_id) == []

    events = realm_admin.audit(subject=employee.user_id, action="admin.disable_mfa").json()["events"]
    outcome, attempt = events  # newest first
    assert (attempt["outcome"], outcome["outcome"]) == ("attempted", "succeeded")
    assert attempt["id"] < outcome["id"]
    assert (attempt["detail"]["removed"], outcome["detail"]["removed"]) == (0, 1)
    assert attempt["detail"]["reason"] == outcome["detail"]["reason"] == "lost phone, identity checked by phone"


def test_the_chain_verifies_after_refusals_and_changes(sidecar, realm_admin, new_employee):
    employee = new_employee()
    body = b'{"reason": ' + LONE_SURROGATE_REASON + b"}"
    assert_refused(raw_json(realm_admin, "POST", f"/employees/{employee.user_id}/disable-mfa", body))
    assert realm_admin.disable_mfa(employee.user_id).status_code == 200
    result = sidecar.cli("audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr

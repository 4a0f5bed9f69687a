"""The admin API against the real Keycloak: who may call it (Keycloak decides, fine-grained permissions
included), disabling MFA, revoking recovery methods, the audit trail."""

from __future__ import annotations

import base64
import json
import subprocess
import time

import pytest
import requests
from keycloak import KeycloakAdmin
from sqlalchemy import create_engine, text

from tests.support.admin_api import ensure_token_client, limit_to_group, token
from tests.support.employees import email_of
from tests.support.recovery import add_backup_address
from tests.support.store_copy import copy_of_store, drop_audit_guard


def otp_credentials(admin, user_id: str) -> list[dict]:
    return [credential for credential in admin.get_credentials(user_id) if credential["type"] == "otp"]


def b64(value: dict | bytes) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_of(bearer: str) -> dict:
    payload = bearer.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# -- who may call it ----------------------------------------------------------------------------------------------


def test_no_token_is_401_with_a_json_body(admin_api):
    response = admin_api().employees()
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert "Bearer" in response.headers.get("WWW-Authenticate", "")


def test_forged_signature_is_refused(admin_api, administrator):
    who = administrator("manage-users", "view-users", "query-users")
    api = admin_api(who)
    header, payload, signature = api.bearer.split(".")
    claims = claims_of(api.bearer)
    claims["preferred_username"] = "someone-else"
    forged = admin_api(bearer=f"{header}.{b64(claims)}.{signature}")
    response = forged.employees()
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"


def test_unsigned_token_is_refused(admin_api, administrator):
    who = administrator("manage-users", "view-users", "query-users")
    claims = claims_of(admin_api(who).bearer)
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    response = admin_api(bearer=unsigned).employees()
    assert response.status_code == 401


def test_expired_token_is_refused(admin_api, administrator, admin, keycloak):
    ensure_token_client(admin, "mfa-recovery-test-short", **{"access.token.lifespan": "1"})
    who = administrator("manage-users", "view-users", "query-users")
    bearer = token(keycloak, who.realm, who.username, who.password, client_id="mfa-recovery-test-short")
    time.sleep(12)  # 1 s of life and the sidecar's 10 s of leeway
    response = admin_api(bearer=bearer).employees()
    assert response.status_code == 401, response.text


def test_token_of_another_realm_is_refused(admin_api, admin, keycloak, stack_config):
    if "elsewhere" not in [realm["realm"] for realm in admin.get_realms()]:
        admin.create_realm({"realm": "elsewhere", "enabled": True})
    elsewhere = KeycloakAdmin(
        server_url=keycloak,
        username=stack_config.admin_username,
        password=stack_config.admin_password,
        realm_name="elsewhere",
        user_realm_name="master",
    )
    ensure_token_client(elsewhere)
    elsewhere.create_user(
        {
            "username": "outsider",
            "enabled": True,
            "email": "outsider@elsewhere.example",
            "firstName": "Out",
            "lastName": "Sider",
            "credentials": [{"type": "password", "value": "outsider-pw", "temporary": False}],
        },
        exist_ok=True,
    )
    bearer = token(keycloak, "elsewhere", "outsider", "outsider-pw")
    response = admin_api(bearer=bearer).employees()
    assert response.status_code == 401


def test_user_without_admin_rights_gets_403(admin_api, administrator, new_employee, admin):
    nobody = administrator(prefix="plain")
    employee = new_employee()
    api = admin_api(nobody)
    assert api.employees().status_code == 403
    response = api.disable_mfa(employee.user_id)
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert otp_credentials(admin, employee.user_id), "nothing changed"


def test_user_administrator_without_realm_rights_cannot_switch_the_policy(admin_api, administrator):
    who = administrator("manage-users", "view-users", "query-users")
    response = admin_api(who).set_policy(True)
    assert response.status_code == 403, response.text
    assert admin_api(who).policy().json()["force_mfa"] is False


def test_fine_grained_permissions_limit_an_administrator_to_one_group(admin_api, administrator, admin, new_employee):
    limited = administrator("query-users", prefix="groupadmin")
    group_id = admin.create_group({"name": f"team-{limited.username}"})
    inside, outside = new_employee(), new_employee()
    admin.group_user_add(inside.user_id, group_id)
    limit_to_group(admin, limited, group_id)
    api = admin_api(limited)

    response = api.disable_mfa(outside.user_id)
    assert response.status_code in (403, 404), response.text
    assert otp_credentials(admin, outside.user_id), "the user outside the group keeps MFA"

    response = api.disable_mfa(inside.user_id)
    assert response.status_code == 200, response.text
    assert not otp_credentials(admin, inside.user_id)


def test_master_realm_administrator_may_act(admin_api, master_admin, new_employee, admin, keycloak, stack_config):
    employee = new_employee()
    bearer = token(keycloak, "master", stack_config.admin_username, stack_config.admin_password)
    response = admin_api(bearer=bearer).disable_mfa(employee.user_id)
    assert response.status_code == 200, response.text
    assert not otp_credentials(admin, employee.user_id)


# -- disabling MFA ------------------------------------------------------------------------------------------------


def test_disable_mfa_makes_the_employee_enrol_again(admin_api, administrator, new_employee, admin, sign_in, mail_sink):
    who = administrator("manage-users", "view-users", "query-users")
    employee = new_employee()
    response = admin_api(who).disable_mfa(employee.user_id)
    assert response.status_code == 200, response.text
    assert response.json()["removed_credentials"] == 1
    assert not otp_credentials(admin, employee.user_id)

    # Keycloak's own admin events name the real administrator, not the sidecar.
    events = admin.connection.raw_get("admin/realms/acme/admin-events?max=200").json()
    # Keycloak records a removed credential as an ACTION on users/{id}/credentials/{credential id}.
    removals = [event for event in events if event["resourcePath"].startswith(f"users/{employee.user_id}/credentials/")]
    assert removals, [(event["operationType"], event["resourcePath"]) for event in events][:3]
    assert {event["authDetails"]["userId"] for event in removals} == {who.user_id}

    attempt = sign_in()
    page = attempt.password(employee.username, employee.password)
    assert page.has("kc-totp-settings-form"), "the employee must enrol an authenticator app again"

    subject = "Multi-factor authentication was switched off for your account"
    assert mail_sink.wait_for_subject(email_of(employee), subject) is not None


def test_disable_mfa_without_enrolment(admin_api, administrator, new_employee, sign_in):
    who = administrator("manage-users", "view-users", "query-users")
    employee = new_employee()
    response = admin_api(who).disable_mfa(employee.user_id, enrol_again=False)
    assert response.status_code == 200, response.text
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    assert attempt.authorization_code() is not None, "password only, no OTP, no enrolment"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 7}, {"reason": "x" * 501}])
def test_disable_mfa_needs_a_reason(admin_api, administrator, new_employee, admin, body):
    who = administrator("manage-users", "view-users", "query-users")
    employee = new_employee()
    response = admin_api(who).call("POST", f"/employees/{employee.user_id}/disable-mfa", json=body)
    assert response.status_code == 400, response.text
    assert otp_credentials(admin, employee.user_id)


def test_malformed_json_and_unknown_user(admin_api, administrator):
    who = administrator("manage-users", "view-users", "query-users")
    api = admin_api(who)
    response = api.call(
        "POST", "/employees/x/disable-mfa", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"] == "bad_request"
    assert api.disable_mfa("00000000-0000-0000-0000-000000000000").status_code == 404


# -- revoking recovery methods ------------------------------------------------------------------------------------


def test_revoke_backup_codes(admin_api, administrator, new_employee, issue_codes, sidecar, sign_in):
    who = administrator("manage-users", "view-users", "query-users")
    employee = new_employee()
    issue_codes(employee)
    response = admin_api(who).revoke_backup_codes(employee.user_id)
    assert response.status_code == 200, response.text
    remaining = sidecar.cli("codes", "remaining", "--realm", "acme", "--user", employee.username)
    assert remaining.stdout.split()[0] == "0", remaining.stdout
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    attempt.use_backup()
    assert attempt.page.has("mfa-recovery-no-method"), "no codes left to offer"


def test_remove_backup_email(admin_api, administrator, new_employee, sign_in, mail_sink):
    who = administrator("manage-users", "view-users", "query-users")
    employee = new_employee()
    add_backup_address(sign_in, employee, mail_sink)
    assert admin_api(who).employee(employee.user_id).json()["mfa"]["backup_email"]["verified"] is True
    response = admin_api(who).remove_backup_email(employee.user_id)
    assert response.status_code == 200, response.text
    assert admin_api(who).employee(employee.user_id).json()["mfa"]["backup_email"]["set"] is False


def test_plain_user_cannot_revoke(admin_api, administrator, new_employee, issue_codes, sidecar):
    nobody = administrator(prefix="plain")
    employee = new_employee()
    issue_codes(employee)
    assert admin_api(nobody).revoke_backup_codes(employee.user_id).status_code == 403
    remaining = sidecar.cli("codes", "remaining", "--realm", "acme", "--user", employee.username)
    assert remaining.stdout.split()[0] == "10"


# -- employees ----------------------------------------------------------------------------------------------------


def test_employees_page_with_mfa_status(admin_api, administrator, new_employee, issue_codes):
    who = administrator("manage-users", "view-users", "query-users")
    with_codes, without_otp = new_employee(), new_employee(with_otp=False)
    issue_codes(with_codes)
    api = admin_api(who)
    response = api.employees(search="employees-page-with-mfa", max=1)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 2 and len(page["employees"]) == 1
    second = api.employees(search="employees-page-with-mfa", first=1, max=1).json()["employees"]
    found = {e["id"]: e for e in page["employees"] + second}
    assert found[with_codes.user_id]["mfa"]["otp"] is True
    assert found[with_codes.user_id]["mfa"]["backup_codes_remaining"] == 10
    assert found[without_otp.user_id]["mfa"]["otp"] is False
    assert found[without_otp.user_id]["mfa"]["backup_codes_remaining"] == 0
    assert api.employees(max=101).status_code == 400


def test_a_search_keycloak_refuses_as_bad_is_a_400_not_a_502(admin_api, administrator):
    response = admin_api(administrator("view-users", "query-users")).employees(search="a\x05b")
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_request"


def test_employee_overview_shows_recent_recovery(admin_api, administrator, new_employee, issue_codes, sign_in):
    who = administrator("manage-users", "view-users", "query-users")
    employee = new_employee()
    code = issue_codes(employee)[0]
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    attempt.use_backup()
    attempt.backup_code(code)
    overview = admin_api(who).employee(employee.user_id).json()
    assert overview["mfa"]["last_recovery"]["outcome"] == "accepted"
    assert overview["username"] == employee.username


# -- the audit trail ----------------------------------------------------------------------------------------------


def test_audit_trail_lists_admin_actions(admin_api, administrator, new_employee):
    who = administrator("realm-admin")
    employee = new_employee()
    admin_api(who).disable_mfa(employee.user_id, reason="audit trail test")
    response = admin_api(who).audit(subject=employee.user_id)
    assert response.status_code == 200, response.text
    events = response.json()["events"]
    disable = next(event for event in events if event["action"] == "admin.disable_mfa")
    assert disable["detail"]["reason"] == "audit trail test"
    assert who.username in disable["actor"]


def test_audit_trail_needs_the_right_to_see_events(admin_api, administrator):
    who = administrator("manage-users", "view-users", "query-users")
    assert admin_api(who).audit().status_code == 403


def test_audit_chain_verifies_and_detects_tampering(sidecar, tmp_path, admin_api, administrator, new_employee):
    who = administrator("manage-users", "view-users", "query-users")
    admin_api(who).disable_mfa(new_employee().user_id)
    result = sidecar.cli("audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr

    # Tamper with a copy of the store, as someone with database access would: drop the guard, change a row.
    with copy_of_store(sidecar.database_url, tmp_path) as copy:
        drop_audit_guard(copy)
        engine = create_engine(copy)
        with engine.begin() as db:
            row_id = db.execute(text("SELECT id FROM audit_events WHERE action = 'admin.disable_mfa' LIMIT 1")).scalar()
            db.execute(text("UPDATE audit_events SET outcome = 'refused' WHERE id = :id"), {"id": row_id})
        engine.dispose()
        env = dict(sidecar.environ, MFA_RECOVERY_DATABASE_URL=copy)
        tampered = subprocess.run([sidecar.executable, "audit", "verify"], env=env, capture_output=True, text=True)
    assert tampered.returncode == 1
    assert str(row_id) in tampered.stdout + tampered.stderr


def test_openapi_description_is_served(sidecar):
    response = requests.get(f"{sidecar.url}/admin/v1/openapi.json", timeout=10)
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert "/admin/v1/realms/{realm}/employees/{user_id}/disable-mfa" in spec["paths"]

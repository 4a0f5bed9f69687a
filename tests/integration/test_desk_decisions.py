"""Operators decide recovery-desk cases through the admin API, against the real Keycloak: only holders of the
operator role in master may, and an approval resets the administrator's MFA so that Keycloak makes them enrol a new
authenticator app at the next sign-in (also while MFA is forced for everyone)."""

from __future__ import annotations

import pytest
import requests
from keycloak import KeycloakAdmin

from tests.support.admin_api import AdminApi, token
from tests.support.desk import case_number_of, create_operator, file_request
from tests.support.employees import email_of

TIMEOUT = 30
REASON = "identity checked by phone against the KvK extract"


def desk(api: AdminApi, method: str, path: str, **kwargs) -> requests.Response:
    """A call to ``/admin/v1/desk/…`` with the API's bearer token (if any)."""
    headers = {"Authorization": f"Bearer {api.bearer}"} if api.bearer else {}
    return requests.request(method, f"{api.root}/desk{path}", headers=headers, timeout=TIMEOUT, **kwargs)


@pytest.fixture
def operator(master_admin: KeycloakAdmin, admin_api_ready: None, keycloak: str, sidecar) -> AdminApi:
    """A master user with the operator role and, in acme, only the Keycloak rights the desk's documentation names,
    as the admin API sees them."""
    who = create_operator(master_admin)
    return AdminApi(sidecar.url, token(keycloak, "master", who.username, who.password))


def test_a_realm_administrator_without_the_operator_role_gets_403(realm_admin: AdminApi, sidecar):
    assert desk(realm_admin, "GET", "/cases").status_code == 403
    assert desk(AdminApi(sidecar.url, None), "GET", "/cases").status_code == 401


@pytest.mark.parametrize("forced", [False, True], ids=["mfa-not-forced", "mfa-forced"])
def test_an_approval_resets_the_administrators_mfa_and_keycloak_makes_them_enrol(
    operator: AdminApi, realm_admin: AdminApi, admin: KeycloakAdmin, new_employee, mail_sink, sidecar, forced,
    restore_policy,
):  # fmt: skip
    locked_out = new_employee()  # has an authenticator app, and loses it
    management = admin.get_client_id("realm-management")
    assert management is not None
    admin.assign_client_role(locked_out.user_id, management, [admin.get_client_role(management, "realm-admin")])
    case_number = case_number_of(file_request(sidecar.url, locked_out.username))
    files_before = len(sidecar.desk_files())
    if forced:
        assert realm_admin.set_policy(True, "desk test: forced").status_code == 200

    cases = desk(operator, "GET", "/cases").json()
    assert case_number in {case["case_number"] for case in cases["cases"]}
    candidates = desk(operator, "GET", f"/cases/{case_number}/administrators").json()
    assert locked_out.user_id in {candidate["id"] for candidate in candidates["administrators"]}

    approved = desk(
        operator, "POST", f"/cases/{case_number}/approve", json={"user_id": locked_out.user_id, "reason": REASON}
    )
    assert approved.status_code == 200, approved.text

    credentials = admin.get_credentials(locked_out.user_id)
    assert not [credential for credential in credentials if credential["type"] == "otp"]
    assert "CONFIGURE_TOTP" in admin.get_user(locked_out.user_id)["requiredActions"]
    assert len(sidecar.desk_files()) == files_before - 3  # the documents went with the decision
    assert desk(operator, "GET", f"/cases/{case_number}").json()["status"] == "approved"
    mail_sink.wait_for_mail_to(email_of(locked_out))
    again = desk(
        operator, "POST", f"/cases/{case_number}/approve", json={"user_id": locked_out.user_id, "reason": REASON}
    )
    assert again.status_code == 409

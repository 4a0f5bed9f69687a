"""Operators decide recovery-desk cases through the admin API, against the real Keycloak: only holders of the
operator role in master may, and an approval resets the administrator's MFA so that Keycloak makes them enrol a new
authenticator app at the next sign-in (also while MFA is forced for everyone); with four eyes only a second
operator's approval changes anything; and no operator decides a case about their own account."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from keycloak import KeycloakAdmin

from tests.support.admin_api import AdminApi, grant_realm_management, token
from tests.support.desk import case_number_of, create_operator, file_request
from tests.support.employees import Employee, email_of

TIMEOUT = 30
REASON = "identity checked by phone against the KvK extract"


def desk(api: AdminApi, method: str, path: str, **kwargs) -> requests.Response:
    """A call to ``/admin/v1/desk/…`` with the API's bearer token (if any)."""
    headers = {"Authorization": f"Bearer {api.bearer}"} if api.bearer else {}
    return requests.request(method, f"{api.root}/desk{path}", headers=headers, timeout=TIMEOUT, **kwargs)


@pytest.fixture
def new_operator(master_admin: KeycloakAdmin, admin_api_ready: None, keycloak: str, sidecar) -> Callable[[], AdminApi]:
    """Make a master user with the operator role and, in acme, only the Keycloak rights the desk's documentation
    names, as the admin API sees them."""

    def _make() -> AdminApi:
        who = create_operator(master_admin)
        return AdminApi(sidecar.url, token(keycloak, "master", who.username, who.password))

    return _make


@pytest.fixture
def operator(new_operator) -> AdminApi:
    return new_operator()


@pytest.fixture
def locked_out_administrator(admin: KeycloakAdmin, new_employee) -> Employee:
    """An administrator of acme (realm-admin) with an authenticator app, which they have lost."""
    person = new_employee()
    grant_realm_management(admin, person.user_id, ("realm-admin",))
    return person


def otp_credentials(admin: KeycloakAdmin, user_id: str) -> list[dict]:
    return [credential for credential in admin.get_credentials(user_id) if credential["type"] == "otp"]


def test_without_the_operator_role_every_desk_endpoint_is_403_and_without_a_token_401(
    realm_admin: AdminApi, master_admin: KeycloakAdmin, keycloak: str, sidecar, new_employee
):
    case_number = case_number_of(file_request(sidecar.url, new_employee().username))
    rights_but_no_role = create_operator(master_admin, operator_role=False)
    master_user = AdminApi(sidecar.url, token(keycloak, "master", rights_but_no_role.username,
                                              rights_but_no_role.password))  # fmt: skip
    endpoints = [
        ("GET", "/cases", None),
        ("GET", f"/cases/{case_number}", None),
        ("GET", f"/cases/{case_number}/documents/{'0' * 32}", None),
        ("GET", f"/cases/{case_number}/administrators", None),
        ("POST", f"/cases/{case_number}/notes", {"text": "called"}),
        ("POST", f"/cases/{case_number}/approve", {"user_id": "x", "reason": "called"}),
        ("POST", f"/cases/{case_number}/reject", {"reason": "no"}),
    ]
    for method, path, body in endpoints:
        assert desk(realm_admin, method, path, json=body).status_code == 403, (method, path)
        assert desk(master_user, method, path, json=body).status_code == 403, (method, path)
        assert desk(AdminApi(sidecar.url, None), method, path, json=body).status_code == 401, (method, path)


@pytest.mark.parametrize("forced", [False, True], ids=["mfa-not-forced", "mfa-forced"])
def test_an_approval_resets_the_administrators_mfa_and_keycloak_makes_them_enrol(
    operator: AdminApi, realm_admin: AdminApi, admin: KeycloakAdmin, locked_out_administrator, mail_sink, sidecar,
    forced, restore_policy,
):  # fmt: skip
    locked_out = locked_out_administrator
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

    assert not otp_credentials(admin, locked_out.user_id)
    assert "CONFIGURE_TOTP" in admin.get_user(locked_out.user_id)["requiredActions"]
    assert len(sidecar.desk_files()) == files_before - 3  # the documents went with the decision
    assert desk(operator, "GET", f"/cases/{case_number}").json()["status"] == "approved"
    mail_sink.wait_for_mail_to(email_of(locked_out))
    again = desk(
        operator, "POST", f"/cases/{case_number}/approve", json={"user_id": locked_out.user_id, "reason": REASON}
    )
    assert again.status_code == 409


def test_with_four_eyes_a_second_operator_carries_out_the_reset(
    new_operator, admin: KeycloakAdmin, locked_out_administrator, realm_options, sidecar
):
    realm_options("--desk-four-eyes", "on")
    locked_out = locked_out_administrator
    case_number = case_number_of(file_request(sidecar.url, locked_out.username))
    first, second = new_operator(), new_operator()
    approval = {"user_id": locked_out.user_id, "reason": REASON}

    recorded = desk(first, "POST", f"/cases/{case_number}/approve", json=approval)
    assert recorded.status_code == 200 and recorded.json()["result"] == "approval_recorded", recorded.text
    assert otp_credentials(admin, locked_out.user_id), "one approval changes nothing in Keycloak"
    twice = desk(first, "POST", f"/cases/{case_number}/approve", json=approval)
    assert twice.status_code == 409 and twice.json()["error"] == "already_approved"
    assert desk(first, "GET", f"/cases/{case_number}").json()["status"] == "open"

    carried_out = desk(second, "POST", f"/cases/{case_number}/approve", json=approval)
    assert carried_out.status_code == 200 and carried_out.json()["result"] == "approved", carried_out.text
    assert not otp_credentials(admin, locked_out.user_id)


def test_an_operator_cannot_decide_a_case_about_their_own_account(
    master_admin: KeycloakAdmin, admin_api_ready, keycloak: str, sidecar
):
    who = create_operator(master_admin)
    api = AdminApi(sidecar.url, token(keycloak, "master", who.username, who.password))
    case_number = case_number_of(file_request(sidecar.url, who.username))
    refused = desk(api, "POST", f"/cases/{case_number}/reject", json={"reason": "closing my own case"})
    assert refused.status_code == 403, refused.text
    assert desk(api, "GET", f"/cases/{case_number}").json()["status"] == "open"

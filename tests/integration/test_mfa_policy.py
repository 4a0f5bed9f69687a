"""The realm's "force MFA for all users" policy against the real Keycloak: what each state means at sign-in,
that switching off restores exactly what was there, and that Disable MFA is refused while it is forced."""

from __future__ import annotations

import json

import pytest

from tests.support.policy import BROWSER_FLOW, keycloak_settings

REALM = "acme"


def requirement_of(settings: dict, display_name: str) -> str:
    return next(e["requirement"] for e in settings["executions"] if e["displayName"] == display_name)


def test_policy_is_read_from_keycloak(realm_admin, restore_policy, admin):
    assert realm_admin.policy().json()["force_mfa"] is False
    # An administrator switches the 2FA subflow to REQUIRED in the Keycloak console: the sidecar sees it.
    execution = next(e for e in restore_policy["executions"] if e["displayName"] == "mfa-browser 2fa")
    admin.connection.raw_put(
        f"admin/realms/{REALM}/authentication/flows/{BROWSER_FLOW}/executions",
        data=json.dumps({**execution, "requirement": "REQUIRED"}),
    )
    assert realm_admin.policy().json()["force_mfa"] is True


def test_forcing_mfa_and_switching_it_off_again(realm_admin, restore_policy, admin, new_employee, sign_in):
    before = restore_policy
    response = realm_admin.set_policy(True)
    assert response.status_code == 200, response.text
    assert realm_admin.policy().json()["force_mfa"] is True
    forced = keycloak_settings(admin)
    assert requirement_of(forced, "mfa-browser 2fa") == "REQUIRED"
    configure_totp = next(a for a in forced["required_actions"] if a["alias"] == "CONFIGURE_TOTP")
    assert configure_totp["enabled"] and configure_totp["defaultAction"]
    assert realm_admin.set_policy(True).status_code == 200, "switching on twice changes nothing"
    assert keycloak_settings(admin) == forced

    # A user without OTP must enrol at this sign-in, before any token.
    newcomer = new_employee(with_otp=False)
    attempt = sign_in()
    page = attempt.password(newcomer.username, newcomer.password)
    assert page.has("kc-totp-settings-form"), page.text[:300]
    assert attempt.authorization_code() is None
    # A user with OTP still sees the OTP page with the way to recover.
    veteran = new_employee()
    page = sign_in().password(veteran.username, veteran.password)
    assert page.has("kc-otp-login-form") and page.has("mfa-recovery-link-form")

    response = realm_admin.set_policy(False)
    assert response.status_code == 200, response.text
    assert keycloak_settings(admin) == before, "switching off restores exactly the snapshot"
    assert realm_admin.set_policy(False).status_code == 200
    assert keycloak_settings(admin) == before

    relaxed = new_employee(with_otp=False)
    attempt = sign_in()
    attempt.password(relaxed.username, relaxed.password)
    assert attempt.authorization_code() is not None, "not forced: no second factor for a user without OTP"


def test_disable_mfa_is_refused_while_forced(realm_admin, restore_policy, admin, new_employee):
    employee = new_employee()
    assert realm_admin.set_policy(True).status_code == 200
    response = realm_admin.disable_mfa(employee.user_id)
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"] == "mfa_forced" and "force" in body["message"].lower()
    assert [c for c in admin.get_credentials(employee.user_id) if c["type"] == "otp"], "nothing was removed"
    assert realm_admin.set_policy(False).status_code == 200
    assert realm_admin.disable_mfa(employee.user_id).status_code == 200


def test_policy_change_needs_a_reason(realm_admin, restore_policy):
    response = realm_admin.call("PUT", "/policy", json={"force_mfa": True})
    assert response.status_code == 400
    assert realm_admin.policy().json()["force_mfa"] is False


def test_policy_changes_are_audited(realm_admin, restore_policy):
    realm_admin.set_policy(True, reason="all staff, from December")
    realm_admin.set_policy(False, reason="trial over")
    events = realm_admin.audit(action="admin.policy").json()["events"]
    outcomes = [(event["outcome"], event["detail"]["reason"]) for event in events[:4]]
    assert outcomes == [
        ("succeeded", "trial over"),
        ("attempted", "trial over"),
        ("succeeded", "all staff, from December"),
        ("attempted", "all staff, from December"),
    ]


# -- forcing MFA never lets a password holder skip a second factor the user has --------------------------------

TWO_FACTOR_SUBFLOW = "mfa-browser 2fa"


def execution_id(admin, provider: str) -> str:
    executions = keycloak_settings(admin)["executions"]
    return next(e["id"] for e in executions if e.get("providerId") == provider)


@pytest.fixture
def subflow_with_builtin_recovery_codes(admin, restore_policy):
    """The 2FA subflow offers, as alternatives, the OTP form, our step and Keycloak's own recovery codes."""
    admin.create_authentication_flow_execution({"provider": "auth-recovery-authn-code-form"}, TWO_FACTOR_SUBFLOW)
    added = next(
        e
        for e in admin.get_authentication_flow_executions(TWO_FACTOR_SUBFLOW)
        if e.get("providerId") == "auth-recovery-authn-code-form"
    )
    admin.connection.raw_put(
        f"admin/realms/{REALM}/authentication/flows/{TWO_FACTOR_SUBFLOW}/executions",
        data=json.dumps({**added, "requirement": "ALTERNATIVE"}),
    )
    yield
    admin.delete_authentication_flow_execution(added["id"])


def with_builtin_recovery_codes(new_employee, sign_in) -> tuple:
    """A user whose only second factor is Keycloak's own recovery codes (enrolled through its required action)."""
    employee = new_employee(with_otp=False, required_actions=("CONFIGURE_RECOVERY_AUTHN_CODES",))
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    codes = attempt.builtin_recovery_codes()
    assert attempt.authorization_code() is not None, attempt.page.text[:300]
    return employee, codes


def otp_credentials(admin, employee) -> list:
    return [c for c in admin.get_credentials(employee.user_id) if c["type"] == "otp"]


def test_forced_mfa_does_not_let_a_password_holder_skip_the_users_other_factor(
    realm_admin, subflow_with_builtin_recovery_codes, admin, new_employee, sign_in
):
    victim, codes = with_builtin_recovery_codes(new_employee, sign_in)
    assert realm_admin.set_policy(True).status_code == 200

    attacker = sign_in()
    page = attacker.password(victim.username, victim.password)
    assert page.has("kc-recovery-code-login-form"), page.text[:300]
    assert not page.has("mfa-recovery-link-form"), "recovery is not offered to a user without an authenticator app"
    # The attacker asks by hand for the recovery step, which would send a user without OTP to enrol one.
    page = attacker.switch_to_execution("kc-recovery-code-login-form", execution_id(admin, "mfa-recovery"))
    assert not page.has("kc-totp-settings-form"), "no way to enrol an authenticator app of one's own"
    assert attacker.authorization_code() is None
    assert otp_credentials(admin, victim) == []
    assert "CONFIGURE_TOTP" not in admin.get_user(victim.user_id).get("requiredActions", [])

    # The user themself still signs in with their own factor.
    owner = sign_in()
    owner.password(victim.username, victim.password)
    owner.builtin_recovery_code(codes[0])
    assert owner.authorization_code() is not None, owner.page.text[:300]

    # And a user with no second factor at all is still sent to enrol, as forcing asks.
    newcomer = new_employee(with_otp=False)
    attempt = sign_in()
    page = attempt.password(newcomer.username, newcomer.password)
    assert page.has("kc-totp-settings-form"), page.text[:300]
    assert attempt.authorization_code() is None


def test_forced_mfa_with_enrolment_switched_off_signs_nobody_in_with_the_password_alone(
    realm_admin, restore_policy, admin, new_employee, sign_in
):
    newcomer = new_employee(with_otp=False)
    assert realm_admin.set_policy(True).status_code == 200
    configure_totp = admin.connection.raw_get(
        f"admin/realms/{REALM}/authentication/required-actions/CONFIGURE_TOTP"
    ).json()
    admin.connection.raw_put(
        f"admin/realms/{REALM}/authentication/required-actions/CONFIGURE_TOTP",
        data=json.dumps({**configure_totp, "enabled": False}),
    )

    attempt = sign_in()
    page = attempt.password(newcomer.username, newcomer.password)
    assert attempt.authorization_code() is None, "the password alone must not sign in"
    assert "setting up an authenticator app is switched off" in page.text, page.text[:300]
    assert page.response.status_code == 403

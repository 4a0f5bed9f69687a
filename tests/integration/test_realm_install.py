"""``mfa-recovery realm install|uninstall`` against the real Keycloak, on a realm the test creates with a browser flow
of its own (not the demo import): the plan changes nothing, install adds our step beside the realm's OTP form and a
recovery sign-in then works there, a second install changes nothing, and uninstall leaves the realm as it was (its
export before and after, compared)."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from keycloak import KeycloakAdmin

from tests.support.employees import create_employee
from tests.support.signin import DEMO_CLIENT_ID, DEMO_REDIRECT_URI, SignIn, claims_of

COMPANY_FLOW = "company browser"
OUR_FLOW = "mfa-recovery browser"
LOCALES = ("en", "nl")


@pytest.fixture
def company_realm(master_admin: KeycloakAdmin, keycloak: str, stack_config) -> Iterator[KeycloakAdmin]:
    """A new realm as an organisation has it: its own browser flow (a copy of Keycloak's, bound), its application,
    Dutch and English; an administrator of master works on it."""
    name = f"company-{secrets.token_hex(3)}"
    master_admin.create_realm({"realm": name, "enabled": True, "internationalizationEnabled": True,
                               "supportedLocales": list(LOCALES), "defaultLocale": "en"})  # fmt: skip
    admin = KeycloakAdmin(server_url=keycloak + "/", username=stack_config.admin_username,
                          password=stack_config.admin_password, realm_name=name, user_realm_name="master")  # fmt: skip
    admin.copy_authentication_flow(payload={"newName": COMPANY_FLOW}, flow_alias="browser")
    admin.update_realm(name, {"browserFlow": COMPANY_FLOW})
    pkce = {"pkce.code.challenge.method": "S256"}
    admin.create_client({"clientId": DEMO_CLIENT_ID, "publicClient": True, "standardFlowEnabled": True,
                         "redirectUris": [DEMO_REDIRECT_URI], "attributes": pkce})  # fmt: skip
    yield admin
    master_admin.delete_realm(name)


def realm_cli(sidecar, stack_config, *args: str):
    """``mfa-recovery realm …`` as the bootstrap administrator of master."""
    environ = dict(sidecar.environ, MFA_RECOVERY_KEYCLOAK_ADMIN_PASSWORD=stack_config.admin_password)
    return subprocess.run([sidecar.executable, "realm", *args, "--admin-user", stack_config.admin_username],
                          env=environ, capture_output=True, text=True, timeout=120)  # fmt: skip


def export(admin: KeycloakAdmin) -> dict[str, Any]:
    """What a realm is, as Keycloak exports it (with its clients and roles), plus its own texts per locale."""
    realm = admin.connection.realm_name
    response = admin.connection.raw_post(
        f"admin/realms/{realm}/partial-export", data="", exportClients="true", exportGroupsAndRoles="true"
    )
    assert response.status_code == 200, response.text
    texts = {locale: admin.connection.raw_get(f"admin/realms/{realm}/localization/{locale}").json()
             for locale in LOCALES}  # fmt: skip
    return {"realm": response.json(), "texts": texts}


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    """Where two exports differ, as paths (``realm.authenticationFlows[3].description``); [] when they are equal."""
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after)):
            if key not in before or key not in after:
                found.append(f"{path}.{key}: {'added' if key in after else 'removed'}")
            else:
                found += differences(before[key], after[key], f"{path}.{key}")
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [line for index, pair in enumerate(zip(before, after, strict=True))
                for line in differences(*pair, f"{path}[{index}]")]  # fmt: skip
    return [] if before == after else [f"{path}: {json.dumps(before)[:200]} -> {json.dumps(after)[:200]}"]


def step_beside_otp(admin: KeycloakAdmin) -> tuple[dict, dict]:
    """The OTP form and our step in our flow: the same subflow, ours right after it."""
    executions = admin.get_authentication_flow_executions(OUR_FLOW)
    otp = next(e for e in executions if e.get("providerId") == "auth-otp-form")
    ours = next(e for e in executions if e.get("providerId") == "mfa-recovery")
    return otp, ours


def test_install_adds_recovery_to_an_existing_realm_and_uninstall_leaves_it_as_it_was(
    company_realm: KeycloakAdmin, sidecar, stack_config, keycloak: str
):
    admin = company_realm
    realm = admin.connection.realm_name
    assert realm is not None
    before = export(admin)

    planned = realm_cli(sidecar, stack_config, "install", "--realm", realm, "--bind", "--dry-run")
    assert planned.returncode == 0, planned.stderr
    assert "create" in planned.stdout
    assert export(admin) == before, "a dry run changes nothing"

    installed = realm_cli(sidecar, stack_config, "install", "--realm", realm, "--bind")
    assert installed.returncode == 0, installed.stderr
    assert admin.get_realm(realm)["browserFlow"] == OUR_FLOW
    assert admin.get_realm(realm)["loginTheme"] == "mfa-recovery"
    otp, ours = step_beside_otp(admin)
    assert (ours["level"], ours["index"]) == (otp["level"], otp["index"] + 1)
    assert ours["requirement"] == otp["requirement"] == "ALTERNATIVE"
    assert COMPANY_FLOW in {flow["alias"] for flow in admin.get_authentication_flows()}, "the realm's flow stays"

    again = realm_cli(sidecar, stack_config, "install", "--realm", realm, "--bind")
    assert again.returncode == 0, again.stderr
    assert "nothing to change" in again.stdout

    employee = create_employee(admin, "installed")
    issued = sidecar.cli("codes", "issue", "--realm", realm, "--user", employee.username)
    assert issued.returncode == 0, issued.stderr
    codes = [line.strip() for line in issued.stdout.splitlines() if line.strip()]
    attempt = SignIn(keycloak, realm=realm)
    attempt.password(employee.username, employee.password)
    attempt.use_backup()
    attempt.backup_code(codes[0])
    assert claims_of(attempt.exchange())["sub"] == employee.user_id

    admin.delete_user(employee.user_id)
    removed = realm_cli(sidecar, stack_config, "uninstall", "--realm", realm)
    assert removed.returncode == 0, removed.stderr
    after = export(admin)
    # The one thing Keycloak's API cannot put back: a login theme never set (absent) comes back as "", which is
    # the same default theme.
    if "loginTheme" not in before["realm"] and after["realm"].get("loginTheme") == "":
        del after["realm"]["loginTheme"]
    changed = differences(before, after)
    assert not changed, "\n".join(changed)


def test_a_realm_whose_browser_flow_has_no_otp_form_is_refused_with_nothing_changed(
    company_realm: KeycloakAdmin, sidecar, stack_config
):
    admin = company_realm
    realm = admin.connection.realm_name
    assert realm is not None
    admin.create_authentication_flow({"alias": "passwords only", "providerId": "basic-flow", "topLevel": True,
                                      "builtIn": False})  # fmt: skip
    admin.create_authentication_flow_execution({"provider": "auth-username-password-form"}, "passwords only")
    admin.update_realm(realm, {"browserFlow": "passwords only"})
    before = export(admin)
    refused = realm_cli(sidecar, stack_config, "install", "--realm", realm, "--bind")
    assert refused.returncode != 0
    assert "OTP" in refused.stderr or "otp" in refused.stderr
    assert export(admin) == before

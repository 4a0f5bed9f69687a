"""The sidecar's one service account lives in master with roles on the realms it serves: no secret that an
administrator of one realm can read gives anything in another realm. Against the real Keycloak, with two realms."""

from __future__ import annotations

import secrets
import subprocess

import pytest
import requests
from keycloak import KeycloakAdmin

from tests.support.employees import REALM

SIDECAR_CLIENT = "mfa-recovery-sidecar"


@pytest.fixture
def other_realm(master_admin: KeycloakAdmin):
    name = f"beta-{secrets.token_hex(3)}"
    master_admin.create_realm({"realm": name, "enabled": True})
    yield name
    master_admin.delete_realm(name)


def grant(sidecar, stack_config, *realms: str) -> subprocess.CompletedProcess:
    flags = [part for realm in realms for part in ("--realm", realm)]
    return subprocess.run(
        [sidecar.executable, "service-account", "grant", *flags, "--admin-user", stack_config.admin_username],
        env=dict(sidecar.environ, MFA_RECOVERY_KEYCLOAK_ADMIN_PASSWORD=stack_config.admin_password),
        capture_output=True,
        text=True,
        timeout=60,
    )


def token(keycloak: str, realm: str, **form: str) -> str | None:
    response = requests.post(f"{keycloak}/realms/{realm}/protocol/openid-connect/token", data=form, timeout=10)
    return response.json()["access_token"] if response.status_code == 200 else None


def realm_administrator(keycloak: str, stack_config, realm: str) -> str:
    """An administrator of ``realm`` (realm-management realm-admin); their access token."""
    admin = stack_config.keycloak_admin(realm)
    password = secrets.token_urlsafe(12)
    user_id = admin.create_user(
        {
            "username": "boss",
            "enabled": True,
            "email": "boss@beta.example",
            "emailVerified": True,
            "firstName": "Beta",
            "lastName": "Boss",
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
    )
    management = admin.get_client_id("realm-management")
    admin.assign_client_role(user_id, management, [admin.get_client_role(management, "realm-admin")])
    found = token(keycloak, realm, grant_type="password", client_id="admin-cli", username="boss", password=password)
    assert found, "the other realm's administrator signs in"
    return found


def test_no_secret_an_administrator_of_another_realm_can_read_opens_this_realm(
    keycloak, sidecar, stack_config, other_realm
):
    result = grant(sidecar, stack_config, other_realm)
    assert result.returncode == 0, result.stderr
    boss = realm_administrator(keycloak, stack_config, other_realm)
    as_boss = {"Authorization": f"Bearer {boss}"}

    # Everything that administrator can read of their realm: its clients and their secrets.
    clients = requests.get(f"{keycloak}/admin/realms/{other_realm}/clients", headers=as_boss, timeout=10)
    assert clients.status_code == 200
    assert SIDECAR_CLIENT not in [client["clientId"] for client in clients.json()], "no sidecar secret in a realm"
    readable = []
    for client in clients.json():
        answer = requests.get(
            f"{keycloak}/admin/realms/{other_realm}/clients/{client['id']}/client-secret", headers=as_boss, timeout=10
        )
        if answer.status_code == 200 and answer.json().get("value"):
            readable.append((client["clientId"], answer.json()["value"]))
    # Master, where the sidecar's secret lives, is closed to them.
    master_clients = requests.get(f"{keycloak}/admin/realms/master/clients", headers=as_boss, timeout=10)
    assert master_clients.status_code in (401, 403)

    # No readable secret, with any client id and in any realm, gives a token that reads acme's users.
    for client_id, secret in readable:
        for realm in (other_realm, REALM, "master"):
            for name in (client_id, SIDECAR_CLIENT):
                found = token(keycloak, realm, grant_type="client_credentials", client_id=name, client_secret=secret)
                if found:
                    users = requests.get(
                        f"{keycloak}/admin/realms/{REALM}/users",
                        headers={"Authorization": f"Bearer {found}"},
                        timeout=10,
                    )
                    assert users.status_code in (401, 403), f"{name}@{realm} read acme's users"
    acme_clients = stack_config.keycloak_admin(REALM).get_clients()
    assert SIDECAR_CLIENT not in [client["clientId"] for client in acme_clients], "no sidecar secret in acme either"


def test_the_service_account_reads_only_the_realms_it_was_granted(keycloak, sidecar, stack_config, other_realm):
    admin = stack_config.keycloak_admin(other_realm)
    admin.create_user({"username": "dave", "enabled": True, "email": "dave@beta.example", "emailVerified": True})

    before = sidecar.cli("codes", "issue", "--realm", other_realm, "--user", "dave")
    assert before.returncode != 0, "a realm not granted is closed to the service account"

    result = grant(sidecar, stack_config, REALM, other_realm)
    assert result.returncode == 0, result.stderr
    assert f"on realm {other_realm}" in result.stdout and f"on realm {REALM}" not in result.stdout, result.stdout
    assert grant(sidecar, stack_config, REALM, other_realm).stdout.strip() == "nothing to change"

    after = sidecar.cli("codes", "issue", "--realm", other_realm, "--user", "dave")
    assert after.returncode == 0, after.stderr

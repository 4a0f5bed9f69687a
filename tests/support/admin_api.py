"""Administrators and their tokens for the admin-API tests, and a small client of the sidecar's admin API.

Tokens come from a public test client with direct access grants (``mfa-recovery-test-admin``) that the tests
create in each realm they use: Keycloak's own ``admin-cli`` issues lightweight access tokens without ``sub``,
which the sidecar refuses.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import requests
from keycloak import KeycloakAdmin

from .stack import TEST_ADMIN_CLIENT

TIMEOUT = 15


@dataclass(frozen=True)
class Administrator:
    realm: str
    username: str
    password: str
    user_id: str


def ensure_token_client(admin: KeycloakAdmin, client_id: str = TEST_ADMIN_CLIENT, **attributes: str) -> None:
    """A public client with direct access grants in ``admin``'s realm (no-op when it exists)."""
    if admin.get_client_id(client_id):
        return
    admin.create_client(
        {
            "clientId": client_id,
            "publicClient": True,
            "directAccessGrantsEnabled": True,
            "standardFlowEnabled": False,
            "attributes": dict(attributes),
        }
    )


def token(keycloak_url: str, realm: str, username: str, password: str, client_id: str = TEST_ADMIN_CLIENT) -> str:
    response = requests.post(
        f"{keycloak_url}/realms/{realm}/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": client_id, "username": username, "password": password},
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def create_administrator(admin: KeycloakAdmin, prefix: str, roles: tuple[str, ...]) -> Administrator:
    """A user of ``admin``'s realm holding these ``realm-management`` roles (none: a plain user)."""
    username = f"{prefix}-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(12)
    user_id = admin.create_user(
        {
            "username": username,
            "enabled": True,
            "email": f"{username}@admins.example",
            "emailVerified": True,
            "firstName": prefix.title(),
            "lastName": "Admin",
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
    )
    grant_realm_management(admin, user_id, roles)
    realm = admin.connection.realm_name
    assert realm is not None
    return Administrator(realm, username, password, user_id)


def grant_realm_management(admin: KeycloakAdmin, user_id: str, roles: tuple[str, ...]) -> None:
    """Give the user these roles of the realm's ``realm-management`` client (none: nothing)."""
    if roles:
        management = admin.get_client_id("realm-management")
        assert management is not None, "every realm has the realm-management client"
        admin.assign_client_role(user_id, management, [admin.get_client_role(management, role) for role in roles])


def limit_to_group(admin: KeycloakAdmin, administrator: Administrator, group_id: str) -> None:
    """Fine-grained admin permissions (v2): ``administrator`` may view and manage the members of one group only.
    Needs the realm's ``adminPermissionsEnabled``; the administrator must hold no legacy admin role but
    ``query-users`` (which the list endpoints need)."""
    permissions_client = admin.get_client_id("admin-permissions")
    base = f"admin/realms/{admin.connection.realm_name}/clients/{permissions_client}/authz/resource-server"
    policy = admin.connection.raw_post(
        f"{base}/policy/user",
        data=_json({"name": f"only {administrator.username}", "users": [administrator.user_id]}),
    ).json()
    response = admin.connection.raw_post(
        f"{base}/permission/scope",
        data=_json(
            {
                "name": f"{administrator.username} manages group {group_id}",
                "resourceType": "Groups",
                "resources": [group_id],
                "scopes": ["view-members", "manage-members"],
                "policies": [policy["id"]],
            }
        ),
    )
    assert response.status_code == 201, response.text


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


class AdminApi:
    """The sidecar's admin API with one administrator's bearer token."""

    def __init__(self, sidecar_url: str, bearer: str | None, realm: str = "acme") -> None:
        self.base = f"{sidecar_url}/admin/v1/realms/{realm}"
        self.root = f"{sidecar_url}/admin/v1"
        self.bearer = bearer

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.bearer is not None:
            headers.setdefault("Authorization", f"Bearer {self.bearer}")
        return requests.request(method, self.base + path, headers=headers, timeout=TIMEOUT, **kwargs)

    def employees(self, **params: Any) -> requests.Response:
        return self.call("GET", "/employees", params=params)

    def employee(self, user_id: str) -> requests.Response:
        return self.call("GET", f"/employees/{user_id}")

    def disable_mfa(self, user_id: str, reason: str = "lost phone, identity checked by phone", **extra: Any):
        return self.call("POST", f"/employees/{user_id}/disable-mfa", json={"reason": reason, **extra})

    def revoke_backup_codes(self, user_id: str) -> requests.Response:
        return self.call("DELETE", f"/employees/{user_id}/backup-codes", json={"reason": "codes printed and lost"})

    def remove_backup_email(self, user_id: str) -> requests.Response:
        return self.call("DELETE", f"/employees/{user_id}/backup-email", json={"reason": "address no longer used"})

    def policy(self) -> requests.Response:
        return self.call("GET", "/policy")

    def set_policy(self, force_mfa: bool, reason: str = "company policy") -> requests.Response:
        return self.call("PUT", "/policy", json={"force_mfa": force_mfa, "reason": reason})

    def audit(self, **params: Any) -> requests.Response:
        return self.call("GET", "/audit", params=params)

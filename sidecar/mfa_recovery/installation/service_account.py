"""The sidecar's one service account in Keycloak.

It is a confidential client in the ``master`` realm whose service account holds, for each realm the sidecar serves,
only ``view-users`` and ``view-realm`` of that realm (roles of the master realm's ``<realm>-realm`` client). Its
secret lives in ``master``, where only Keycloak's own administrators can read it: an administrator of a served
realm can read no secret that gives anything in another realm. (A client with the same secret copied into every
realm would let the administrator of any one of them read every other realm's users.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

SERVICE_REALM = "master"
ROLES = ("view-users", "view-realm")


class GrantError(Exception):
    """Keycloak refused a step, or a realm to serve does not exist."""


class MasterAdmin(Protocol):
    """What this needs of python-keycloak's ``KeycloakAdmin``, signed in to the master realm."""

    def get_client_id(self, client_id: str) -> str | None: ...
    def create_client(self, payload: dict[str, Any], skip_exists: bool = False) -> str: ...
    def update_client(self, client_id: str, payload: dict[str, Any]) -> Any: ...
    def get_client_service_account_user(self, client_id: str) -> dict[str, Any]: ...
    def get_client_role(self, client_id: str, role_name: str) -> dict[str, Any]: ...
    def get_client_roles_of_user(self, user_id: str, client_id: str) -> list[dict[str, Any]]: ...
    def assign_client_role(self, user_id: str, client_id: str, roles: list[dict[str, Any]]) -> Any: ...


def client_representation(client_id: str, secret: str) -> dict[str, Any]:
    """A client that can do nothing but obtain its own service account's token."""
    return {
        "clientId": client_id,
        "name": "mfa-recovery sidecar (service account)",
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": secret,
        "serviceAccountsEnabled": True,
        "standardFlowEnabled": False,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
    }


def grant(admin: MasterAdmin, client_id: str, secret: str, realms: Iterable[str]) -> list[str]:
    """Make sure the client exists with this secret and its service account holds :data:`ROLES` on each realm.
    Idempotent; returns what it did, one line per change."""
    done: list[str] = []
    client_uuid = admin.get_client_id(client_id)
    if client_uuid is None:
        client_uuid = admin.create_client(client_representation(client_id, secret))
        done.append(f"created client {client_id} in {SERVICE_REALM}")
    else:
        admin.update_client(client_uuid, client_representation(client_id, secret))
    account = admin.get_client_service_account_user(client_uuid)["id"]
    for realm in realms:
        realm_client = admin.get_client_id(f"{realm}-realm")
        if realm_client is None:
            raise GrantError(f"Keycloak has no realm {realm!r} (no client {realm}-realm in {SERVICE_REALM})")
        held = {role["name"] for role in admin.get_client_roles_of_user(account, realm_client)}
        missing = [admin.get_client_role(realm_client, role) for role in ROLES if role not in held]
        if missing:
            admin.assign_client_role(account, realm_client, missing)
            done.append(f"granted {', '.join(role['name'] for role in missing)} on realm {realm}")
    return done

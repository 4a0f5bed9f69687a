"""The sidecar's service account in master: created once, its secret kept as configured, roles per realm."""

from __future__ import annotations

from typing import Any

import pytest

from mfa_recovery.installation.service_account import ROLES, GrantError, client_representation, grant


class FakeMaster:
    """Keycloak's master realm as python-keycloak's KeycloakAdmin shows it."""

    def __init__(self, realms: tuple[str, ...]) -> None:
        self.clients: dict[str, dict[str, Any]] = {f"{realm}-realm": {"id": f"uuid-{realm}"} for realm in realms}
        self.held: dict[str, set[str]] = {}

    def get_client_id(self, client_id: str) -> str | None:
        client = self.clients.get(client_id)
        return None if client is None else client["id"]

    def create_client(self, payload: dict[str, Any], skip_exists: bool = False) -> str:
        self.clients[payload["clientId"]] = {**payload, "id": "uuid-sidecar"}
        return "uuid-sidecar"

    def update_client(self, client_id: str, payload: dict[str, Any]) -> None:
        name = next(name for name, client in self.clients.items() if client["id"] == client_id)
        self.clients[name] = {**payload, "id": client_id}

    def get_client_service_account_user(self, client_id: str) -> dict[str, Any]:
        assert self.clients["mfa-recovery-sidecar"]["serviceAccountsEnabled"]
        return {"id": "service-account"}

    def get_client_role(self, client_id: str, role_name: str) -> dict[str, Any]:
        return {"name": role_name, "containerId": client_id}

    def get_client_roles_of_user(self, user_id: str, client_id: str) -> list[dict[str, Any]]:
        return [{"name": name} for name in sorted(self.held.get(client_id, set()))]

    def assign_client_role(self, user_id: str, client_id: str, roles: list[dict[str, Any]]) -> None:
        self.held.setdefault(client_id, set()).update(role["name"] for role in roles)


def test_grant_creates_the_client_and_gives_only_view_roles_on_each_realm() -> None:
    master = FakeMaster(("acme", "beta", "gamma"))
    done = grant(master, "mfa-recovery-sidecar", "s" * 32, ["acme", "beta"])
    assert done == [
        "created client mfa-recovery-sidecar in master",
        "granted view-users, view-realm on realm acme",
        "granted view-users, view-realm on realm beta",
    ]
    assert master.held == {"uuid-acme": set(ROLES), "uuid-beta": set(ROLES)}, "nothing on a realm not served"
    client = master.clients["mfa-recovery-sidecar"]
    assert client["secret"] == "s" * 32
    assert not client["standardFlowEnabled"] and not client["directAccessGrantsEnabled"]


def test_grant_twice_changes_nothing_but_keeps_the_configured_secret() -> None:
    master = FakeMaster(("acme",))
    grant(master, "mfa-recovery-sidecar", "old" * 11, ["acme"])
    assert grant(master, "mfa-recovery-sidecar", "new" * 11, ["acme"]) == []
    assert master.clients["mfa-recovery-sidecar"]["secret"] == "new" * 11


def test_grant_refuses_a_realm_keycloak_does_not_have() -> None:
    with pytest.raises(GrantError, match="no realm 'nosuch'"):
        grant(FakeMaster(("acme",)), "mfa-recovery-sidecar", "s" * 32, ["nosuch"])


def test_the_client_can_do_nothing_but_its_own_service_account() -> None:
    client = client_representation("mfa-recovery-sidecar", "s" * 32)
    assert client["serviceAccountsEnabled"] and not client["publicClient"]
    assert not client["standardFlowEnabled"] and not client["implicitFlowEnabled"]

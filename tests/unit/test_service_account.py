"""The sidecar's service account in master: created once, its secret kept as configured, roles per realm."""

from __future__ import annotations

import pytest

from mfa_recovery.installation.service_account import ROLES, GrantError, client_representation, grant

from .fakes.keycloak import FakeMaster


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

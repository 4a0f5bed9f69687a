"""``mfa-recovery desk operators setup``: the operator realm gets the operator role and a copy of the admin UI's
client, the named users get the role; a second run changes nothing, an unknown user stops it before any change."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from mfa_recovery import cli as cli_module
from mfa_recovery.cli import CliContext, cli
from mfa_recovery.config import DEVELOPMENT_ADMIN_UI_CLIENT_SECRET, Settings
from mfa_recovery.installation.desk_operators import (
    OperatorRealmAdmin,
    SetupError,
    client_representation,
    set_up,
)

from .support import DEV_ENV

ROOT = Path(__file__).resolve().parents[2]
ROLE = "mfa-recovery-operator"
CLIENT = "mfa-recovery-admin"
SECRET = "s" * 40
PUBLIC = "https://mfa.example.org"


class FakeOperatorRealm:
    """The operator realm as python-keycloak's KeycloakAdmin shows it: realm roles, clients (``get_client`` leaves
    the secret out, Keycloak's separate secret endpoint has it), users by username and their realm roles.
    ``writes`` names every change made."""

    def __init__(self, *usernames: str) -> None:
        self.roles: dict[str, dict[str, Any]] = {"admin": {"id": "role-admin", "name": "admin"}}
        self.clients: dict[str, dict[str, Any]] = {}
        self.secrets: dict[str, str] = {}
        self.users = {username: f"id-{username}" for username in usernames}
        self.held: dict[str, set[str]] = {}
        self.writes: list[str] = []

    def get_realm_roles(self, brief_representation: bool = True, search_text: str = "") -> list[dict[str, Any]]:
        return [copy.deepcopy(r) for name, r in self.roles.items() if search_text.lower() in name.lower()]

    def get_realm_role(self, role_name: str) -> dict[str, Any]:
        return copy.deepcopy(self.roles[role_name])

    def create_realm_role(self, payload: dict[str, Any], skip_exists: bool = False) -> str:
        assert payload["name"] not in self.roles
        self.roles[payload["name"]] = {**payload, "id": f"role-{payload['name']}"}
        self.writes.append(f"create_realm_role {payload['name']}")
        return str(payload["name"])

    def get_client_id(self, client_id: str) -> str | None:
        return next((uuid for uuid, client in self.clients.items() if client["clientId"] == client_id), None)

    def get_client(self, client_id: str) -> dict[str, Any]:
        return copy.deepcopy(self.clients[client_id])

    def get_client_secrets(self, client_id: str) -> dict[str, Any]:
        return {"type": "secret", "value": self.secrets[client_id]}

    def create_client(self, payload: dict[str, Any], skip_exists: bool = False) -> str:
        uuid = f"uuid-{len(self.clients)}"
        self.clients[uuid] = {key: value for key, value in copy.deepcopy(payload).items() if key != "secret"}
        self.clients[uuid]["id"] = uuid
        self.secrets[uuid] = payload["secret"]
        self.writes.append(f"create_client {payload['clientId']}")
        return uuid

    def update_client(self, client_id: str, payload: dict[str, Any]) -> None:
        """As Keycloak's PUT: the fields given replace the stored ones, the secret too."""
        payload = copy.deepcopy(payload)
        if "secret" in payload:
            self.secrets[client_id] = payload.pop("secret")
        self.clients[client_id].update(payload)
        self.writes.append(f"update_client {client_id}")

    def get_user_id(self, username: str) -> str | None:
        return self.users.get(username.lower())

    def get_realm_roles_of_user(self, user_id: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(self.roles[name]) for name in sorted(self.held.get(user_id, set()))]

    def assign_realm_roles(self, user_id: str, roles: list[dict[str, Any]]) -> None:
        assert all(role["id"] == self.roles[role["name"]]["id"] for role in roles), "Keycloak maps roles by id"
        self.held.setdefault(user_id, set()).update(role["name"] for role in roles)
        self.writes.append(f"assign_realm_roles {user_id} {[role['name'] for role in roles]}")

    def client(self) -> dict[str, Any]:
        uuid = self.get_client_id(CLIENT)
        assert uuid is not None
        return self.clients[uuid]


def setup(admin: OperatorRealmAdmin, *operators: str, secret: str = SECRET, public_url: str = PUBLIC) -> list[str]:
    return set_up(
        admin, realm="master", role=ROLE, client_id=CLIENT, secret=secret, public_url=public_url, operators=operators
    )


def test_the_first_run_creates_the_role_and_the_client_and_gives_the_role() -> None:
    realm = FakeOperatorRealm("admin", "olga")
    done = setup(realm, "admin", "olga")
    assert done == [
        "created realm role mfa-recovery-operator in master",
        "created client mfa-recovery-admin in master",
        "gave realm role mfa-recovery-operator to admin in master",
        "gave realm role mfa-recovery-operator to olga in master",
    ]
    assert realm.roles[ROLE]["description"], "the role says what it is for"
    assert realm.held == {"id-admin": {ROLE}, "id-olga": {ROLE}}
    client = realm.client()
    assert realm.secrets[client["id"]] == SECRET
    assert client["redirectUris"] == [f"{PUBLIC}/ui/realms/master/callback"]
    assert client["attributes"] == {
        "pkce.code.challenge.method": "S256",
        "post.logout.redirect.uris": f"{PUBLIC}/ui/realms/master/signed-out",
    }
    assert client["standardFlowEnabled"] and not client["publicClient"]
    assert not client["directAccessGrantsEnabled"] and not client["serviceAccountsEnabled"]
    assert not client["implicitFlowEnabled"] and not client["frontchannelLogout"]


def test_the_client_has_the_shape_of_the_demo_realms_admin_ui_client() -> None:
    """The same client as realm-config/acme-realm.json imports, but for the operator realm: only the name and
    description may say who signs in there."""
    imported = json.loads((ROOT / "realm-config" / "acme-realm.json").read_text(encoding="utf-8"))
    acme = next(client for client in imported["clients"] if client["clientId"] == CLIENT)
    text = json.dumps(acme).replace("${MFA_RECOVERY_SIDECAR_URL}", PUBLIC).replace("/ui/realms/acme/", "/ui/realms/x/")
    expected = json.loads(text.replace("${MFA_RECOVERY_ADMIN_UI_CLIENT_SECRET}", SECRET))
    made = client_representation(CLIENT, SECRET, PUBLIC + "/", "x")
    for representation in (expected, made):
        del representation["name"], representation["description"]
    assert made == expected


def test_the_second_run_changes_nothing() -> None:
    realm = FakeOperatorRealm("admin")
    setup(realm, "admin")
    writes = list(realm.writes)
    assert setup(realm, "admin") == []
    assert realm.writes == writes


def test_an_existing_role_is_kept_and_a_holder_is_not_given_it_again() -> None:
    realm = FakeOperatorRealm("admin", "olga")
    realm.roles[ROLE] = {"id": "role-existing", "name": ROLE, "description": "made by hand"}
    realm.roles[ROLE + "-trainee"] = {"id": "role-trainee", "name": ROLE + "-trainee"}
    realm.held["id-olga"] = {ROLE}
    assert setup(realm, "admin", "olga") == [
        "created client mfa-recovery-admin in master",
        "gave realm role mfa-recovery-operator to admin in master",
    ]
    assert realm.roles[ROLE]["description"] == "made by hand"
    assert realm.held["id-admin"] == {ROLE}


def test_the_client_is_updated_when_its_redirect_uri_differs_and_keeps_other_attributes() -> None:
    realm = FakeOperatorRealm()
    setup(realm)
    client = realm.client()
    client["redirectUris"] = ["http://127.0.0.1:8081/ui/realms/master/callback"]
    client["attributes"]["access.token.lifespan"] = "120"
    assert setup(realm) == ["updated client mfa-recovery-admin in master (redirectUris)"]
    assert client["redirectUris"] == [f"{PUBLIC}/ui/realms/master/callback"]
    assert client["attributes"]["access.token.lifespan"] == "120"
    assert setup(realm) == []


def test_a_new_public_url_and_secret_update_the_client_without_printing_the_secret() -> None:
    realm = FakeOperatorRealm()
    setup(realm)
    done = setup(realm, secret="n" * 40, public_url="https://desk.example.org")
    assert done == ["updated client mfa-recovery-admin in master (secret, redirectUris, post.logout.redirect.uris)"]
    client = realm.client()
    assert realm.secrets[client["id"]] == "n" * 40
    assert client["attributes"]["post.logout.redirect.uris"] == "https://desk.example.org/ui/realms/master/signed-out"


def test_a_direct_grant_switched_on_by_hand_is_switched_off() -> None:
    realm = FakeOperatorRealm()
    setup(realm)
    realm.client()["directAccessGrantsEnabled"] = True
    assert setup(realm) == ["updated client mfa-recovery-admin in master (directAccessGrantsEnabled)"]
    assert realm.client()["directAccessGrantsEnabled"] is False


def test_an_unknown_operator_is_refused_before_anything_changes() -> None:
    realm = FakeOperatorRealm("admin")
    with pytest.raises(SetupError, match="realm master has no user 'nobody'"):
        setup(realm, "admin", "nobody")
    assert realm.writes == []
    assert ROLE not in realm.roles and realm.clients == {} and realm.held == {}


# --- the command line ----------------------------------------------------------------------------------------------


class KeycloakAdminStandIn:
    """Stands in for python-keycloak's ``KeycloakAdmin`` in cli.py: hands out one fake realm, notes how it was
    signed in."""

    def __init__(self, realm: FakeOperatorRealm) -> None:
        self.realm = realm
        self.sign_ins: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> FakeOperatorRealm:
        self.sign_ins.append(kwargs)
        return self.realm


@pytest.fixture
def keycloak(monkeypatch: pytest.MonkeyPatch) -> KeycloakAdminStandIn:
    stand_in = KeycloakAdminStandIn(FakeOperatorRealm("admin"))
    monkeypatch.setattr(cli_module, "KeycloakAdmin", stand_in)
    return stand_in


ENVIRON = {**DEV_ENV, "MFA_RECOVERY_KEYCLOAK_ADMIN_PASSWORD": "master-admin-password"}


def run(args: list[str], environ: dict[str, str] | None = None, settings: Settings | None = None) -> Result:
    obj = CliContext(environ=ENVIRON if environ is None else environ, _settings=settings)
    return CliRunner().invoke(cli, ["desk", "operators", "setup", *args], obj=obj)


def test_the_command_signs_in_to_master_and_works_on_the_operator_realm(keycloak: KeycloakAdminStandIn) -> None:
    result = run(["--admin-user", "boss", "--operator", "admin"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "created realm role mfa-recovery-operator in master",
        "created client mfa-recovery-admin in master",
        "gave realm role mfa-recovery-operator to admin in master",
    ]
    [sign_in] = keycloak.sign_ins
    assert (sign_in["username"], sign_in["password"]) == ("boss", "master-admin-password")
    assert (sign_in["realm_name"], sign_in["user_realm_name"]) == ("master", "master")
    client = keycloak.realm.client()
    assert keycloak.realm.secrets[client["id"]] == DEVELOPMENT_ADMIN_UI_CLIENT_SECRET
    assert client["redirectUris"] == ["http://127.0.0.1:8081/ui/realms/master/callback"]

    again = run(["--admin-user", "boss", "--operator", "admin"])
    assert (again.exit_code, again.output) == (0, "nothing to change\n")


def test_the_command_follows_the_configured_operator_realm_role_client_and_url(
    keycloak: KeycloakAdminStandIn,
) -> None:
    environ = {
        **ENVIRON,
        "MFA_RECOVERY_DESK_OPERATOR_REALM": "staff",
        "MFA_RECOVERY_DESK_OPERATOR_ROLE": "desk-operator",
        "MFA_RECOVERY_ADMIN_UI_CLIENT_ID": "sidecar-ui",
        "MFA_RECOVERY_PUBLIC_URL": "https://mfa.example.org",
    }
    result = run(["--admin-user", "boss"], environ)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "created realm role desk-operator in staff",
        "created client sidecar-ui in staff",
    ]
    assert keycloak.sign_ins[0]["realm_name"] == "staff" and keycloak.sign_ins[0]["user_realm_name"] == "master"
    [client] = keycloak.realm.clients.values()
    assert client["clientId"] == "sidecar-ui"
    assert client["redirectUris"] == ["https://mfa.example.org/ui/realms/staff/callback"]


def test_the_command_refuses_an_unknown_operator_with_exit_2_and_changes_nothing(
    keycloak: KeycloakAdminStandIn,
) -> None:
    result = run(["--admin-user", "boss", "--operator", "admin", "--operator", "ghost"])
    assert result.exit_code == 2
    assert "error: realm master has no user 'ghost': nothing was changed" in result.output
    assert keycloak.realm.writes == []


def test_the_command_refuses_settings_without_an_admin_ui_client_secret(keycloak: KeycloakAdminStandIn) -> None:
    settings = replace(Settings.from_env(DEV_ENV), admin_ui_client_secret=None)
    result = run(["--admin-user", "boss", "--operator", "admin"], settings=settings)
    assert result.exit_code == 2
    assert "error: the admin UI has no client secret (MFA_RECOVERY_ADMIN_UI_CLIENT_SECRET" in result.output
    assert keycloak.sign_ins == [], "Keycloak is not even asked"
    assert keycloak.realm.writes == []

"""The recovery desk's operators in their realm (``desk_operator_realm``, by default ``master``).

Operators sign in to the sidecar's admin UI in the operator realm, so that realm needs the admin UI's client
(confidential, authorization code + PKCE, redirect URIs under the sidecar's public URL), and its users need the
operator realm role. The realm import gives the demo realm its own admin UI client; the operator realm gets a copy
of it here, with the same secret (the sidecar has one admin UI client secret for every realm). In ``master`` only
Keycloak's own administrators can read that copy's secret.

Every step is idempotent; the users to make operators are all looked up before anything changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

ROLE_DESCRIPTION = "mfa-recovery: recovery desk operator (reviews and decides account recovery cases)"
CLIENT_NAME = "mfa-recovery admin"
CLIENT_DESCRIPTION = "The sidecar's admin web UI: recovery desk operators sign in here (authorization code + PKCE)."
PKCE = "pkce.code.challenge.method"
POST_LOGOUT = "post.logout.redirect.uris"


class SetupError(Exception):
    """A user to make an operator does not exist in the operator realm (nothing was changed)."""


class OperatorRealmAdmin(Protocol):
    """What this needs of python-keycloak's ``KeycloakAdmin``, signed in to master, working on the operator realm."""

    def get_realm_roles(self, brief_representation: bool = True, search_text: str = "") -> list[dict[str, Any]]: ...
    def get_realm_role(self, role_name: str) -> dict[str, Any]: ...
    def create_realm_role(self, payload: dict[str, Any], skip_exists: bool = False) -> str: ...
    def get_client_id(self, client_id: str) -> str | None: ...
    def get_client(self, client_id: str) -> dict[str, Any]: ...
    def get_client_secrets(self, client_id: str) -> dict[str, Any]: ...
    def create_client(self, payload: dict[str, Any], skip_exists: bool = False) -> str: ...
    def update_client(self, client_id: str, payload: dict[str, Any]) -> Any: ...
    def get_user_id(self, username: str) -> str | None: ...
    def get_realm_roles_of_user(self, user_id: str) -> list[dict[str, Any]]: ...
    def assign_realm_roles(self, user_id: str, roles: list[dict[str, Any]]) -> Any: ...


def ui_base(public_url: str, realm: str) -> str:
    """The admin UI of ``realm`` under the sidecar's public URL."""
    return f"{public_url.rstrip('/')}/ui/realms/{realm}"


def client_representation(client_id: str, secret: str, public_url: str, realm: str) -> dict[str, Any]:
    """The admin UI's client as the demo realm's import has it: confidential, authorization code with PKCE (S256)
    and nothing else, redirects only to the admin UI of ``realm``."""
    base = ui_base(public_url, realm)
    return {
        "clientId": client_id,
        "name": CLIENT_NAME,
        "description": CLIENT_DESCRIPTION,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": secret,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "frontchannelLogout": False,
        "redirectUris": [f"{base}/callback"],
        "webOrigins": [],
        "attributes": {PKCE: "S256", POST_LOGOUT: f"{base}/signed-out"},
    }


def differences(existing: dict[str, Any], secret: str | None, wanted: dict[str, Any]) -> list[str]:
    """The names of what ``existing`` (and its ``secret``) has other than ``wanted``, never their values."""
    differ: list[str] = []
    for key, value in wanted.items():
        if key == "secret":
            if secret != value:
                differ.append(key)
        elif key == "attributes":
            attributes = existing.get("attributes") or {}
            differ.extend(name for name, text in value.items() if attributes.get(name) != text)
        elif key in ("redirectUris", "webOrigins"):
            if sorted(existing.get(key) or []) != sorted(value):
                differ.append(key)
        elif existing.get(key) != value:
            differ.append(key)
    return differ


def set_up(
    admin: OperatorRealmAdmin,
    *,
    realm: str,
    role: str,
    client_id: str,
    secret: str,
    public_url: str,
    operators: Iterable[str] = (),
) -> list[str]:
    """Make sure ``realm`` has the realm role ``role``, the admin UI's client ``client_id`` as
    :func:`client_representation` describes it, and that each of ``operators`` (usernames) holds the role.
    Idempotent; returns what it did, one line per change. Raises :class:`SetupError`, having changed nothing,
    when one of ``operators`` does not exist."""
    usernames = list(dict.fromkeys(operators))
    found = {username: admin.get_user_id(username) for username in usernames}
    missing = [username for username, user_id in found.items() if user_id is None]
    if missing:
        raise SetupError(f"realm {realm} has no user {', '.join(map(repr, missing))}: nothing was changed")
    user_ids = {username: user_id for username, user_id in found.items() if user_id is not None}

    done: list[str] = []
    if not any(found["name"] == role for found in admin.get_realm_roles(search_text=role)):
        admin.create_realm_role({"name": role, "description": ROLE_DESCRIPTION})
        done.append(f"created realm role {role} in {realm}")

    wanted = client_representation(client_id, secret, public_url, realm)
    client_uuid = admin.get_client_id(client_id)
    if client_uuid is None:
        admin.create_client(wanted)
        done.append(f"created client {client_id} in {realm}")
    else:
        existing = admin.get_client(client_uuid)
        differ = differences(existing, admin.get_client_secrets(client_uuid).get("value"), wanted)
        if differ:
            attributes = {**(existing.get("attributes") or {}), **wanted["attributes"]}
            admin.update_client(client_uuid, {**wanted, "attributes": attributes})
            done.append(f"updated client {client_id} in {realm} ({', '.join(differ)})")

    role_representation: dict[str, Any] | None = None
    for username, user_id in user_ids.items():
        if any(held["name"] == role for held in admin.get_realm_roles_of_user(user_id)):
            continue
        if role_representation is None:
            role_representation = admin.get_realm_role(role)
        admin.assign_realm_roles(user_id, [role_representation])
        done.append(f"gave realm role {role} to {username} in {realm}")
    return done

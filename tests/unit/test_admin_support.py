"""Stand-ins shared by the ``test_admin_*`` modules (no tests here): a Keycloak realm that signs administrators'
tokens with locally made keys, and Keycloak's admin API in memory with per-administrator permissions."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from flask import Flask
from flask.testing import FlaskClient

from mfa_recovery.admin.errors import Forbidden, KeycloakUnavailable, NotFound
from mfa_recovery.admin.identity import Administrator
from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings
from mfa_recovery.keycloak.admin_tokens import AdminTokenVerifier
from mfa_recovery.keycloak.rest import Representation
from mfa_recovery.web.app import create_app

from .support import (
    EMPLOYEE,
    REALM,
    USER_ID,
    FakeClock,
    FakeDirectory,
    FakeJwks,
    FakeTransport,
    public_jwk,
    rsa_key,
)

KEYCLOAK_URL = "http://keycloak.internal:8080"
PUBLIC_URL = "https://sso.acme.example"
ADMIN_ID = "a0000000-0000-4000-8000-0000000000ad"
SERVICE = "service-account"

# --- tokens -------------------------------------------------------------------------------------------------------


class FakeIssuer(FakeJwks):
    """The realms' JWKS endpoints (the fetcher the verifier is given) and a minting press for their tokens."""

    def __init__(self) -> None:
        encryption_key = {**public_jwk("enc-key"), "kid": "enc-key", "use": "enc", "alg": "RSA-OAEP"}
        keys = {REALM: ["acme-key"], "master": ["master-key"], "other": ["other-key"]}
        super().__init__(KEYCLOAK_URL, keys, extra=[encryption_key])

    def verifier(self, clients: tuple[str, ...] = ("mfa-recovery-admin", "admin-cli")) -> AdminTokenVerifier:
        return AdminTokenVerifier(KEYCLOAK_URL, PUBLIC_URL, clients, fetch=self.fetch, monotonic=self.monotonic)

    def token(
        self,
        realm: str = "master",
        *,
        username: str = "admin",
        key: str | None = None,
        algorithm: str = "RS256",
        lifetime: int = 300,
        drop: tuple[str, ...] = (),
        headers: Mapping[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """An access token of ``realm`` as Keycloak issues one to admin-cli; keywords override claims."""
        now = int(time.time())
        body: dict[str, Any] = {
            "exp": now + lifetime,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "iss": f"{PUBLIC_URL}/realms/{realm}",
            "aud": ["realm-management", "account"],
            "sub": ADMIN_ID,
            "typ": "Bearer",
            "azp": "admin-cli",
            "preferred_username": username,
            "scope": "profile email",
        }
        body.update(claims)
        for name in drop:
            body.pop(name)
        kid = key or self.keys.get(realm, ["stray-key"])[0]
        return jwt.encode(body, rsa_key(kid), algorithm=algorithm, headers={"kid": kid, **(headers or {})})


# --- Keycloak's admin API -----------------------------------------------------------------------------------------

# What each permission allows; ``grants`` of FakeKeycloak give them to administrators by username.
VIEW_USERS = "view-users"
MANAGE_USERS = "manage-users"
VIEW_EVENTS = "view-events"
VIEW_REALM = "view-realm"
MANAGE_REALM = "manage-realm"
EVERYTHING = frozenset({VIEW_USERS, MANAGE_USERS, VIEW_EVENTS, VIEW_REALM, MANAGE_REALM})

FLOW = "mfa-browser"


def acme_executions() -> list[Representation]:
    """The executions of acme's browser flow as Keycloak lists them (flat, nested ones with their level)."""
    return [
        {"id": "x-cookie", "requirement": "ALTERNATIVE", "displayName": "Cookie", "providerId": "auth-cookie",
         "level": 0, "index": 0, "priority": 10},
        {"id": "x-forms", "requirement": "ALTERNATIVE", "displayName": "mfa-browser forms", "authenticationFlow": True,
         "flowId": "f-forms", "level": 0, "index": 1, "priority": 20},
        {"id": "x-password", "requirement": "REQUIRED", "displayName": "Username Password Form",
         "providerId": "auth-username-password-form", "level": 1, "index": 0, "priority": 10},
        {"id": "x-2fa", "requirement": "CONDITIONAL", "displayName": "mfa-browser 2fa", "authenticationFlow": True,
         "flowId": "f-2fa", "level": 1, "index": 1, "priority": 20},
        {"id": "x-condition", "requirement": "REQUIRED", "displayName": "Condition - user configured",
         "providerId": "conditional-user-configured", "level": 2, "index": 0, "priority": 10},
        {"id": "x-otp", "requirement": "ALTERNATIVE", "displayName": "OTP Form", "providerId": "auth-otp-form",
         "level": 2, "index": 1, "priority": 20},
        {"id": "x-recovery", "requirement": "ALTERNATIVE", "displayName": "MFA recovery", "providerId": "mfa-recovery",
         "level": 2, "index": 2, "priority": 30},
    ]  # fmt: skip


def configure_totp() -> Representation:
    return {"alias": "CONFIGURE_TOTP", "name": "Configure OTP", "providerId": "CONFIGURE_TOTP", "enabled": True,
            "defaultAction": False, "priority": 54, "config": {}}  # fmt: skip


def user_rep(user_id: str, username: str, *, totp: bool = True, **fields: Any) -> Representation:
    return {
        "id": user_id,
        "username": username,
        "firstName": fields.pop("first_name", username.capitalize()),
        "lastName": fields.pop("last_name", "Doe"),
        "email": fields.pop("email", f"{username}@acme.example"),
        "emailVerified": True,
        "enabled": fields.pop("enabled", True),
        "totp": totp,
        "requiredActions": fields.pop("required_actions", []),
        "attributes": {"locale": ["en"]},
        **fields,
    }


@dataclass
class FakeKeycloak:
    """One realm's admin API. ``grants``: username → permissions (the service account reads users and the
    realm); ``down`` makes every call fail as if Keycloak were unreachable. ``calls`` lists (who, call, args)."""

    users: dict[str, Representation] = field(default_factory=dict)
    credentials: dict[str, list[Representation]] = field(default_factory=dict)
    executions: list[Representation] = field(default_factory=acme_executions)
    required_actions: dict[str, Representation] = field(default_factory=lambda: {"CONFIGURE_TOTP": configure_totp()})
    grants: dict[str, frozenset[str]] = field(default_factory=lambda: {"admin": EVERYTHING})
    down: bool = False
    calls: list[tuple[str, str, tuple[Any, ...]]] = field(default_factory=list)

    def add_user(self, user_id: str, username: str, *, otp: bool = True, **fields: Any) -> Representation:
        self.users[user_id] = user_rep(user_id, username, totp=otp, **fields)
        self.credentials[user_id] = [{"id": f"pw-{user_id}", "type": "password"}]
        if otp:
            self.credentials[user_id].append({"id": f"otp-{user_id}", "type": "otp", "userLabel": "phone"})
        return self.users[user_id]

    def as_admin(self, administrator: Administrator) -> FakeSession:
        return FakeSession(self, administrator.username, self.grants.get(administrator.username, frozenset()))

    def as_service(self) -> FakeSession:
        return FakeSession(self, SERVICE, frozenset({VIEW_USERS, VIEW_REALM}))

    def writes(self) -> list[tuple[str, str, tuple[Any, ...]]]:
        return [call for call in self.calls if call[1].startswith(("update", "delete", "add"))]

    def step(self) -> Representation:
        return next(execution for execution in self.executions if execution["id"] == "x-2fa")


@dataclass
class FakeSession:
    """:class:`KeycloakApi` for one caller."""

    keycloak: FakeKeycloak
    who: str
    permissions: frozenset[str]

    def _ask(self, call: str, permission: str | None, *args: Any) -> None:
        self.keycloak.calls.append((self.who, call, args))
        if self.keycloak.down:
            raise KeycloakUnavailable(f"{call}: ConnectionError")
        if permission is not None and permission not in self.permissions:
            if self.who == SERVICE:
                raise KeycloakUnavailable(f"{call}: Keycloak refused the sidecar's service account (HTTP 403)")
            raise Forbidden("Keycloak refused this action for your account")

    def _user(self, user_id: str) -> Representation:
        if user_id not in self.keycloak.users:
            raise NotFound("not found in Keycloak")
        return self.keycloak.users[user_id]

    def users(self, realm: str, search: str | None, first: int, max_results: int) -> list[Representation]:
        self._ask("users", VIEW_USERS, search, first, max_results)
        found = [u for u in self.keycloak.users.values() if not search or search.lower() in u["username"]]
        return copy.deepcopy(found[first : first + max_results])

    def count_users(self, realm: str, search: str | None) -> int:
        self._ask("count_users", VIEW_USERS, search)
        return len([u for u in self.keycloak.users.values() if not search or search.lower() in u["username"]])

    def user(self, realm: str, user_id: str) -> Representation:
        self._ask("user", VIEW_USERS, user_id)
        manage = MANAGE_USERS in self.permissions
        access = {"view": True, "manage": manage, "manageGroupMembership": manage, "impersonate": False}
        return {**copy.deepcopy(self._user(user_id)), "access": access}

    def credentials(self, realm: str, user_id: str) -> list[Representation]:
        self._ask("credentials", VIEW_USERS, user_id)
        self._user(user_id)
        return copy.deepcopy(self.keycloak.credentials.get(user_id, []))

    def delete_credential(self, realm: str, user_id: str, credential_id: str) -> None:
        self._ask("delete_credential", MANAGE_USERS, user_id, credential_id)
        creds = self.keycloak.credentials.get(user_id, [])
        self.keycloak.credentials[user_id] = [c for c in creds if c["id"] != credential_id]
        user = self._user(user_id)
        user["totp"] = any(c["type"] == "otp" for c in self.keycloak.credentials[user_id])

    def add_required_action(self, realm: str, user_id: str, action: str) -> bool:
        self._ask("add_required_action", MANAGE_USERS, user_id, action)
        actions = self._user(user_id)["requiredActions"]
        if action in actions:
            return False
        actions.append(action)
        return True

    def probe_events(self, realm: str) -> None:
        self._ask("probe_events", VIEW_EVENTS)

    def probe_realm(self, realm: str) -> None:
        self._ask("probe_realm", None)
        if not self.permissions:
            raise Forbidden("Keycloak refused this action for your account")

    def browser_flow(self, realm: str) -> str:
        self._ask("browser_flow", VIEW_REALM)
        return FLOW

    def executions(self, realm: str, flow_alias: str) -> list[Representation]:
        self._ask("executions", VIEW_REALM, flow_alias)
        return copy.deepcopy(self.keycloak.executions)

    def update_execution(self, realm: str, flow_alias: str, execution: Representation) -> None:
        self._ask("update_execution", MANAGE_REALM, execution["id"], execution["requirement"])
        stored = next(e for e in self.keycloak.executions if e["id"] == execution["id"])
        stored["requirement"] = execution["requirement"]

    def required_action(self, realm: str, alias: str) -> Representation:
        self._ask("required_action", VIEW_REALM, alias)
        return copy.deepcopy(self.keycloak.required_actions[alias])

    def update_required_action(self, realm: str, alias: str, representation: Representation) -> None:
        self._ask(
            "update_required_action", MANAGE_REALM, alias, representation["enabled"], representation["defaultAction"]
        )
        self.keycloak.required_actions[alias] = copy.deepcopy(representation)


# --- the application ----------------------------------------------------------------------------------------------


@dataclass
class AdminHarness:
    """An app with a fake Keycloak and locally signed tokens; ``get`` / ``send`` call it as an administrator."""

    app: Flask
    client: FlaskClient
    keycloak: FakeKeycloak
    issuer: FakeIssuer

    def headers(self, token: str | None = None, **token_args: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.issuer.token(**token_args)}", "User-Agent": "admin-script/1"}

    def get(self, path: str, *, token: str | None = None, **token_args: Any) -> Any:
        return self.client.get(path, headers=self.headers(token, **token_args))

    def send(self, method: str, path: str, body: object = None, *, token: str | None = None, **token_args: Any) -> Any:
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        return self.client.open(path, method=method, headers=self.headers(token, **token_args), **kwargs)

    @property
    def services(self) -> Any:
        return self.app.extensions["mfa_recovery"]


def make_harness(
    settings: Settings,
    clock: FakeClock,
    hasher: CodeHasher,
    *,
    keycloak: FakeKeycloak | None = None,
    directory: FakeDirectory | None = None,
    transport: FakeTransport | None = None,
) -> AdminHarness:
    keycloak = keycloak or FakeKeycloak()
    if not keycloak.users:
        keycloak.add_user(USER_ID, EMPLOYEE.username, first_name="Jan", email=EMPLOYEE.email)
    issuer = FakeIssuer()
    app = create_app(
        settings,
        clock=clock,
        hasher=hasher,
        directory=directory or FakeDirectory(EMPLOYEE),
        transport=transport or FakeTransport(),
        admin_keycloak=keycloak,
        admin_tokens=issuer.verifier(),
    )
    return AdminHarness(app=app, client=app.test_client(), keycloak=keycloak, issuer=issuer)


def close(harness: AdminHarness) -> None:
    harness.services.engine.dispose()


HarnessFactory = Callable[..., AdminHarness]

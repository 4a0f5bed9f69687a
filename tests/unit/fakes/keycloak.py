"""Keycloak for the unit tests: its realms' keys and tokens, the admin UI's token endpoint, the admin REST API in
memory with per-administrator permissions, the master realm for the service account's grant, the directory of
users, and a fake HTTP layer under the real REST client."""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests

from mfa_recovery.admin.errors import Forbidden, KeycloakUnavailable, NotFound
from mfa_recovery.admin.identity import Administrator
from mfa_recovery.config import DEVELOPMENT_ADMIN_UI_CLIENT_SECRET
from mfa_recovery.directory import DirectoryUser, UserContact
from mfa_recovery.keycloak.admin_tokens import AdminTokenVerifier
from mfa_recovery.keycloak.oidc import TokenRefused, pkce_challenge
from mfa_recovery.keycloak.realm_keys import KeysUnavailable, NoSuchRealm
from mfa_recovery.keycloak.rest import Representation

from ..support import REALM, REALM_SMTP, public_jwk, rsa_key

KEYCLOAK_URL = "http://keycloak.internal:8080"
PUBLIC_URL = "https://sso.acme.example"
ADMIN_ID = "a0000000-0000-4000-8000-0000000000ad"
SERVICE = "service-account"
CLIENT_ID = "mfa-recovery-admin"
TOKEN_URL = f"{KEYCLOAK_URL}/realms/{REALM}/protocol/openid-connect/token"


# --- the realms' keys and tokens -----------------------------------------------------------------------------------


class FakeJwks:
    """Keycloak's JWKS endpoints for realms with locally made keys: ``fetch`` is the fetcher a key cache is given,
    ``down`` makes Keycloak unreachable, ``now`` is the cache's monotonic clock, ``fetches`` what was asked for."""

    def __init__(self, keycloak_url: str, keys: dict[str, list[str]], extra: list[dict[str, Any]] | None = None):
        self.keycloak_url = keycloak_url
        self.keys = keys
        self.extra = extra or []
        self.fetches: list[str] = []
        self.down = False
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def fetch(self, url: str) -> Mapping[str, Any]:
        self.fetches.append(url)
        if self.down:
            raise KeysUnavailable(f"cannot fetch {url}: ConnectionError")
        realm = url.removeprefix(f"{self.keycloak_url}/realms/").removesuffix("/protocol/openid-connect/certs")
        if realm not in self.keys:
            raise NoSuchRealm(f"no JWKS at {url}")
        return {"keys": [public_jwk(name) for name in self.keys[realm]] + self.extra}


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


# --- the token endpoint of the admin UI's client -------------------------------------------------------------------


# The roles of realm-management each administrator's access token carries.
ROLES = {"admin": ["manage-users", "view-users", "view-events", "manage-realm"], "helpdesk": ["view-users"]}


@dataclass
class Grant:
    username: str
    nonce: str | None
    challenge: str | None = None


@dataclass
class FakeTokenEndpoint:
    """Keycloak's token endpoint of the realm: codes granted by the test, refresh tokens it issued. ``refusing``
    refuses every refresh; ``down`` makes it unreachable. ``calls`` keeps every form posted. A code is only
    exchanged for ``redirect_uri``, the admin UI's callback."""

    issuer: FakeIssuer
    redirect_uri: str
    codes: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    calls: list[dict[str, str]] = field(default_factory=list)
    refusing: bool = False
    down: bool = False
    access_claims: dict[str, Any] = field(default_factory=dict)
    id_claims: dict[str, Any] = field(default_factory=dict)

    def __call__(self, url: str, form: Any) -> dict[str, Any]:
        assert url == TOKEN_URL
        form = dict(form)
        self.calls.append(form)
        if self.down:
            raise KeycloakUnavailable("POST token: ConnectionError")
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, DEVELOPMENT_ADMIN_UI_CLIENT_SECRET):
            raise TokenRefused("unauthorized_client")
        if form["grant_type"] == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None or pkce_challenge(form.get("code_verifier", "")) != grant.challenge:
                raise TokenRefused("invalid_grant")
            assert form["redirect_uri"] == self.redirect_uri
            return self.answer(grant)
        assert form["grant_type"] == "refresh_token"
        grant = self.refresh_tokens.get(form.get("refresh_token", ""))
        if grant is None or self.refusing:
            raise TokenRefused("invalid_grant")
        return self.answer(Grant(grant.username, None))

    def answer(self, grant: Grant) -> dict[str, Any]:
        username = grant.username
        access_claims = {
            "azp": CLIENT_ID,
            "resource_access": {"realm-management": {"roles": ROLES.get(username, [])}},
            **self.access_claims,
        }
        access = self.issuer.token(REALM, username=username, **access_claims)
        claims: dict[str, Any] = {"typ": "ID", "aud": CLIENT_ID, "azp": CLIENT_ID, "name": f"{username.title()} Admin"}
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        id_token = self.issuer.token(REALM, username=username, **{**claims, **self.id_claims})
        refresh = uuid.uuid4().hex
        self.refresh_tokens[refresh] = grant
        return {
            "access_token": access,
            "expires_in": 300,
            "refresh_token": refresh,
            "refresh_expires_in": 1800,
            "id_token": id_token,
            "token_type": "Bearer",
        }


# --- the admin REST API --------------------------------------------------------------------------------------------


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
    # realm-management's roles held directly: role name -> user ids
    role_holders: dict[str, list[str]] = field(default_factory=dict)

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

    def client_uuid(self, realm: str, client_id: str) -> str | None:
        self._ask("client_uuid", VIEW_USERS, client_id)
        return "rm-client" if client_id == "realm-management" else None

    def client_role_users(
        self, realm: str, client_uuid: str, role: str, first: int, max_results: int
    ) -> list[Representation]:
        self._ask("client_role_users", VIEW_USERS, client_uuid, role, first, max_results)
        holders = [self._user(user_id) for user_id in self.keycloak.role_holders.get(role, [])]
        return copy.deepcopy(holders[first : first + max_results])

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


# --- the master realm, for the service account's grant -------------------------------------------------------------


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


# --- the directory -------------------------------------------------------------------------------------------------


class FakeDirectory:
    """:class:`mfa_recovery.directory.Directory` in memory: users of one realm, its SMTP settings, and a switch to
    make Keycloak "down". ``calls`` names every question asked."""

    def __init__(self, *users: DirectoryUser, smtp_settings: Mapping[str, Any] | None = None) -> None:
        self.users = {user.id: user for user in users}
        self.smtp_settings = dict(REALM_SMTP if smtp_settings is None else smtp_settings)
        self.down = False
        self.calls: list[str] = []

    def add(self, user: DirectoryUser) -> DirectoryUser:
        self.users[user.id] = user
        return user

    def _ask(self, what: str) -> None:
        self.calls.append(what)
        if self.down:
            raise KeycloakUnavailable("Keycloak at http://127.0.0.1:1/ (realm acme): ConnectionError")

    def get_user(self, realm: str, user_id: str) -> DirectoryUser | None:
        self._ask("get_user")
        return self.users.get(user_id)

    def find_user_by_username(self, realm: str, username: str) -> DirectoryUser | None:
        self._ask("find_user_by_username")
        return next((u for u in self.users.values() if u.username == username.lower()), None)

    def find_user_id(self, realm: str, username: str) -> str | None:
        self._ask("find_user_id")
        return next((u.id for u in self.users.values() if u.username == username.lower()), None)

    def find_user_by_email(self, realm: str, email: str) -> DirectoryUser | None:
        self._ask("find_user_by_email")
        found = [u for u in self.users.values() if u.email and u.email.lower() == email.lower()]
        return found[0] if len(found) == 1 else None

    def user_contact(self, realm: str, user_id: str) -> UserContact | None:
        user = self.get_user(realm, user_id)
        return None if user is None else user.contact()

    def realm_smtp(self, realm: str) -> Mapping[str, Any]:
        self._ask("realm_smtp")
        return self.smtp_settings


# --- the HTTP layer under the REST client --------------------------------------------------------------------------


def answer(status: int, body: Any = None, raw: bytes | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
    return response


class FakeHttp(requests.Session):
    """A ``requests.Session`` that answers from ``routes`` ((method, url) → a response or an exception, or a list
    of them given one per request) and keeps every request; it never connects."""

    def __init__(self, routes: dict[tuple[str | bytes, str | bytes], Any] | None = None) -> None:
        super().__init__()
        self.routes = routes or {}
        self.sent: list[dict[str, Any]] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        assert not args, "the REST client names each argument after the method and the URL"
        self.sent.append({"method": method, "url": url, **kwargs})
        found = self.routes.get((method, url), answer(204))
        if isinstance(found, list):
            found = found.pop(0)
        if isinstance(found, Exception):
            raise found
        return found


class FakeOpenId:
    """python-keycloak's ``KeycloakOpenID``: counts client-credentials grants."""

    grants: list[tuple[str, str]] = []
    failure: Exception | None = None

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def token(self, grant_type: str) -> dict[str, Any]:
        FakeOpenId.grants.append((self.kwargs["realm_name"], grant_type))
        if FakeOpenId.failure is not None:
            raise FakeOpenId.failure
        return {"access_token": f"sa-{len(FakeOpenId.grants)}", "expires_in": 300}

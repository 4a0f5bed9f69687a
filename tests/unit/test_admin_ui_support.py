"""Stand-ins of the admin UI's tests (no tests here): Keycloak's token endpoint over the locally signed tokens of
``test_admin_support``, and an app whose UI signs administrators in through it."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from mfa_recovery.admin.errors import KeycloakUnavailable
from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import DEVELOPMENT_ADMIN_UI_CLIENT_SECRET, Settings
from mfa_recovery.keycloak.oidc import OidcClient, TokenRefused, pkce_challenge
from mfa_recovery.web.app import create_app

from .support import EMPLOYEE, REALM, USER_ID, FakeClock, FakeDirectory, FakeTransport
from .test_admin_support import KEYCLOAK_URL, PUBLIC_URL, FakeIssuer, FakeKeycloak

CLIENT_ID = "mfa-recovery-admin"
SIDECAR_URL = "http://127.0.0.1:8081"
UI = f"/ui/realms/{REALM}"
TOKEN_URL = f"{KEYCLOAK_URL}/realms/{REALM}/protocol/openid-connect/token"
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
    refuses every refresh; ``down`` makes it unreachable. ``calls`` keeps every form posted."""

    issuer: FakeIssuer
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
            assert form["redirect_uri"] == f"{SIDECAR_URL}{UI}/callback"
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


@dataclass
class UiHarness:
    app: Flask
    client: FlaskClient
    keycloak: FakeKeycloak
    issuer: FakeIssuer
    tokens: FakeTokenEndpoint
    clock: FakeClock

    @property
    def services(self) -> Any:
        return self.app.extensions["mfa_recovery"]

    def start_login(self, next_page: str | None = None, **headers: str) -> dict[str, str]:
        """GET login; the query of the redirect to Keycloak (one value a name)."""
        response = self.client.get(f"{UI}/login", query_string={"next": next_page} if next_page else None,
                                   headers=headers)  # fmt: skip
        assert response.status_code == 303, response.get_data(as_text=True)
        location = urlsplit(response.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == (
            f"{PUBLIC_URL}/realms/{REALM}/protocol/openid-connect/auth"
        )
        return {name: values[0] for name, values in parse_qs(location.query).items()}

    def finish_login(self, query: dict[str, str], username: str = "admin", **changes: str) -> Any:
        """Keycloak signs ``username`` in and sends the browser back; the callback's answer."""
        code = uuid.uuid4().hex
        self.tokens.codes[code] = Grant(username, query["nonce"], query["code_challenge"])
        params = {"state": query["state"], "code": code, **changes}
        return self.client.get(f"{UI}/callback", query_string=params)

    def sign_in(self, username: str = "admin") -> None:
        response = self.finish_login(self.start_login(), username)
        assert response.status_code == 303, response.get_data(as_text=True)

    def page(self, path: str, **kwargs: Any) -> str:
        response = self.client.get(path, **kwargs)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:2000])
        return response.get_data(as_text=True)

    def post_form(self, page: str, form_id: str, data: dict[str, str], path: str | None = None, **kwargs: Any) -> Any:
        """GET ``page``, then POST ``data`` with the CSRF token of the form ``form_id`` to its action (or ``path``)."""
        html = self.page(page)
        action, token = form_of(html, form_id)
        return self.client.post(path or action, data={"csrf_token": token, **data}, **kwargs)


def form_of(html: str, form_id: str) -> tuple[str, str]:
    """The action and the CSRF token of the form with this id."""
    found = re.search(rf'<form id="{re.escape(form_id)}"[^>]*action="([^"]*)"(.*?)</form>', html, re.S)
    if found is None:  # the sign-out form has its id on the button
        found = re.search(rf'<form[^>]*action="([^"]*)"(?:(?!</form>).)*id="{re.escape(form_id)}"', html, re.S)
        assert found is not None, f"no form {form_id}"
        body = found.group(0)
    else:
        body = found.group(2)
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', body)
    assert token is not None
    return unescape(found.group(1)), token.group(1)


def make_ui(
    settings: Settings,
    clock: FakeClock,
    hasher: CodeHasher,
    *,
    keycloak: FakeKeycloak | None = None,
    public_url: str = SIDECAR_URL,
) -> UiHarness:
    settings = replace(settings, keycloak_url=KEYCLOAK_URL, keycloak_public_url=PUBLIC_URL, public_url=public_url)
    keycloak = keycloak or FakeKeycloak()
    if USER_ID not in keycloak.users:
        keycloak.add_user(USER_ID, EMPLOYEE.username, first_name="Jan", email=EMPLOYEE.email)
    issuer = FakeIssuer()
    tokens = FakeTokenEndpoint(issuer)
    oidc = OidcClient(KEYCLOAK_URL, PUBLIC_URL, public_url, CLIENT_ID, DEVELOPMENT_ADMIN_UI_CLIENT_SECRET,
                      post=tokens, fetch=issuer.fetch, monotonic=issuer.monotonic)  # fmt: skip
    app = create_app(
        settings,
        clock=clock,
        hasher=hasher,
        directory=FakeDirectory(EMPLOYEE),
        transport=FakeTransport(),
        admin_keycloak=keycloak,
        admin_tokens=issuer.verifier(),
        admin_ui_oidc=oidc,
    )
    return UiHarness(app, app.test_client(), keycloak, issuer, tokens, clock)


def close(harness: UiHarness) -> None:
    harness.services.engine.dispose()

"""Stand-ins of the admin UI's tests (no tests here): an app whose UI signs administrators in through the fake
token endpoint of :mod:`tests.unit.fakes.keycloak`."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import DEVELOPMENT_ADMIN_UI_CLIENT_SECRET, Settings
from mfa_recovery.keycloak.oidc import OidcClient
from mfa_recovery.services import Services
from mfa_recovery.web.app import create_app

from ..support import EMPLOYEE, REALM, USER_ID
from .clock import FakeClock
from .keycloak import (
    CLIENT_ID,
    KEYCLOAK_URL,
    PUBLIC_URL,
    FakeDirectory,
    FakeIssuer,
    FakeKeycloak,
    FakeTokenEndpoint,
    Grant,
)
from .smtp import FakeTransport

SIDECAR_URL = "http://127.0.0.1:8081"
UI = f"/ui/realms/{REALM}"


@dataclass
class UiHarness:
    app: Flask
    client: FlaskClient
    keycloak: FakeKeycloak
    issuer: FakeIssuer
    tokens: FakeTokenEndpoint
    clock: FakeClock

    @property
    def services(self) -> Services:
        services: Services = self.app.extensions["mfa_recovery"]
        return services

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


def content(html: str, element_id: str) -> str:
    """The element with this id, from its opening tag to the first closing tag of its name, entities unescaped
    ('' when there is none)."""
    found = re.search(rf'<([a-z0-9]+) [^>]*id="{re.escape(element_id)}"[^>]*>.*?</\1>', html, re.S)
    return unescape(found.group(0)) if found else ""


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
    tokens = FakeTokenEndpoint(issuer, f"{SIDECAR_URL}{UI}/callback")
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

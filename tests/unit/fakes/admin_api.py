"""Stand-ins shared by the ``test_admin_*`` modules (no tests here): an app over the fake Keycloak of
:mod:`tests.unit.fakes.keycloak` (locally signed administrators' tokens, the admin API in memory)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask
from flask.testing import FlaskClient

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings
from mfa_recovery.services import Services
from mfa_recovery.web.app import create_app

from ..support import EMPLOYEE, USER_ID
from .clock import FakeClock
from .keycloak import FakeDirectory, FakeIssuer, FakeKeycloak
from .smtp import FakeTransport


class ServedApp(Protocol):
    """What the admin API's harness and the admin UI's (:class:`tests.unit.fakes.admin_ui.UiHarness`) share for
    helpers that set up data: the services of their app."""

    @property
    def services(self) -> Services: ...


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
    def services(self) -> Services:
        services: Services = self.app.extensions["mfa_recovery"]
        return services


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

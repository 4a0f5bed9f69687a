"""Shared fixtures of the sidecar unit tests (temporary SQLite file databases, tokens, apps)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings
from mfa_recovery.directory import Directory
from mfa_recovery.keycloak.realm_keys import RealmKeyCache
from mfa_recovery.notifications.mailer import Transport
from mfa_recovery.services import Services, build_services
from mfa_recovery.web.app import create_app
from tests.support.mailsink import MailSink

from .fakes.bridge import DEFAULT_PATH, BridgeIssuer
from .fakes.clock import FakeClock
from .fakes.keycloak import FakeDirectory
from .fakes.smtp import FakeTransport
from .support import DEV_ENV, EMPLOYEE, PEPPER, SUPERVISOR


@pytest.fixture(scope="session")
def fast_hasher() -> CodeHasher:
    """argon2id with tiny parameters: the logic under test is the same, the suite stays fast."""
    return CodeHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            **DEV_ENV,
            "MFA_RECOVERY_DATA_DIR": str(tmp_path / "data"),
            "MFA_RECOVERY_CODE_PEPPER": PEPPER,
            # No background sender in unit tests (it would call Keycloak); tests that want one enable it.
            "MFA_RECOVERY_NOTIFICATIONS": "off",
        }
    )


@pytest.fixture
def directory() -> FakeDirectory:
    """Keycloak in memory: the employee (USER_ID, supervisor attribute "carol") and Carol, the supervisor."""
    return FakeDirectory(EMPLOYEE, SUPERVISOR)


@pytest.fixture
def outgoing() -> FakeTransport:
    """The SMTP transport of the services and apps below: it keeps what they send."""
    return FakeTransport()


@pytest.fixture
def bridge_issuer(clock: FakeClock) -> BridgeIssuer:
    """Keycloak's realms as the bridge tokens' signers: their keys, JWKS endpoints and a minting press."""
    return BridgeIssuer(clock)


class Wiring(TypedDict):
    """The stand-ins as ``build_services`` and ``create_app`` take them: each fake is checked against the type it
    takes the place of."""

    clock: Callable[[], datetime]
    hasher: CodeHasher
    directory: Directory
    transport: Transport
    realm_keys: RealmKeyCache


@pytest.fixture
def wiring(
    clock: FakeClock,
    fast_hasher: CodeHasher,
    directory: FakeDirectory,
    outgoing: FakeTransport,
    bridge_issuer: BridgeIssuer,
) -> Wiring:
    """What the unit tests put in place of the real clock, hasher, Keycloak and SMTP, for ``build_services`` and
    ``create_app`` alike."""
    return {
        "clock": clock,
        "hasher": fast_hasher,
        "directory": directory,
        "transport": outgoing,
        "realm_keys": bridge_issuer.realm_keys(),
    }


@pytest.fixture
def services(settings: Settings, wiring: Wiring) -> Iterator[Services]:
    svc = build_services(settings, **wiring)
    yield svc
    svc.engine.dispose()


@pytest.fixture
def make_token(bridge_issuer: BridgeIssuer) -> Callable[..., str]:
    """Build a bridge token for ``path``; keyword arguments override claims, ``drop`` removes them (see
    :meth:`BridgeIssuer.token`)."""

    def _make(path: str = DEFAULT_PATH, **kwargs: Any) -> str:
        return bridge_issuer.token(path, **kwargs)

    return _make


@pytest.fixture
def smtp_server() -> Iterator[MailSink]:
    """An aiosmtpd server on a free loopback port that keeps the messages it receives."""
    sink = MailSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def app(settings: Settings, wiring: Wiring) -> Iterator[Flask]:
    app = create_app(settings, **wiring)
    yield app
    app.extensions["mfa_recovery"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def call(client: FlaskClient, make_token: Callable[..., str]) -> Callable[..., Any]:
    """POST ``body`` to ``path`` with a fresh bridge token; keyword ``claims`` overrides token claims."""

    def _call(path: str, body: object = None, claims: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {make_token(path, **(claims or {}))}"}
        return client.post(path, json={} if body is None else body, headers=headers, **kwargs)

    return _call

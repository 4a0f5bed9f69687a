"""Shared fixtures of the sidecar unit tests (temporary SQLite file databases, tokens, apps)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings
from mfa_recovery.services import Services, build_services
from mfa_recovery.web.app import create_app
from tests.support.mailsink import MailSink

from .support import (
    BRIDGE_SECRET,
    EMPLOYEE,
    PEPPER,
    REALM,
    SUPERVISOR,
    USER_ID,
    FakeClock,
    FakeDirectory,
    FakeTransport,
)


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
            "MFA_RECOVERY_DATA_DIR": str(tmp_path / "data"),
            "MFA_RECOVERY_BRIDGE_SECRET": BRIDGE_SECRET,
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
def services(
    settings: Settings, clock: FakeClock, fast_hasher: CodeHasher, directory: FakeDirectory, outgoing: FakeTransport
) -> Services:
    svc = build_services(settings, clock=clock, hasher=fast_hasher, directory=directory, transport=outgoing)
    yield svc
    svc.engine.dispose()


@pytest.fixture
def make_token(clock: FakeClock) -> Callable[..., str]:
    """Build a bridge token; keyword arguments override claims, ``drop`` removes them."""

    def _make(
        path: str = "/bridge/v1/backup-codes/verify",
        *,
        secret: str = BRIDGE_SECRET,
        drop: tuple[str, ...] = (),
        algorithm: str = "HS256",
        lifetime: int = 30,
        **overrides: Any,
    ) -> str:
        iat = int(clock().timestamp())
        claims: dict[str, Any] = {
            "iss": "mfa-recovery-bridge",
            "aud": "mfa-recovery-sidecar",
            "sub": USER_ID,
            "realm": REALM,
            "att": "root-session-id.tab-id",
            "htm": "POST",
            "htu": path,
            "iat": iat,
            "exp": iat + lifetime,
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        for name in drop:
            claims.pop(name)
        return jwt.encode(claims, secret, algorithm=algorithm)

    return _make


@pytest.fixture
def smtp_server() -> Iterator[MailSink]:
    """An aiosmtpd server on a free loopback port that keeps the messages it receives."""
    sink = MailSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def app(
    settings: Settings, clock: FakeClock, fast_hasher: CodeHasher, directory: FakeDirectory, outgoing: FakeTransport
) -> Iterator[Flask]:
    app = create_app(settings, clock=clock, hasher=fast_hasher, directory=directory, transport=outgoing)
    yield app
    app.extensions["mfa_recovery"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def call(client: FlaskClient, make_token: Callable[..., str]) -> Callable[..., Any]:
    """POST ``body`` to ``path`` with a fresh bridge token; keyword ``claims`` overrides token claims."""

    def _call(path: str, body: object = None, claims: dict[str, Any] | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {make_token(path, **(claims or {}))}"}
        return client.post(path, json={} if body is None else body, headers=headers, **kwargs)

    return _call

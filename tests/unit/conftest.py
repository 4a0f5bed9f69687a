"""Shared fixtures of the sidecar unit tests (temporary SQLite file databases, tokens, apps)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings
from mfa_recovery.services import Services, build_services

from .support import BRIDGE_SECRET, PEPPER, REALM, USER_ID, FakeClock


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
        }
    )


@pytest.fixture
def services(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> Services:
    svc = build_services(settings, clock=clock, hasher=fast_hasher)
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

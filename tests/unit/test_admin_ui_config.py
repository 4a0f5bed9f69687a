"""The admin UI's settings: its Keycloak client, its secret (refused in production when public or short), and the
sidecar's public URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfa_recovery.config import DEVELOPMENT_ADMIN_UI_CLIENT_SECRET, ConfigError, Settings, is_loopback_http

from .support import DEV_ENV
from .test_config import STRONG as PRODUCTION  # production with strong secrets, none for the UI


def test_development_defaults() -> None:
    settings = Settings.from_env(DEV_ENV)
    assert settings.admin_ui_client_id == "mfa-recovery-admin"
    assert settings.admin_ui_client_secret == DEVELOPMENT_ADMIN_UI_CLIENT_SECRET
    assert DEVELOPMENT_ADMIN_UI_CLIENT_SECRET.startswith("dev-only-")
    assert settings.public_url == "http://127.0.0.1:8081"
    assert DEVELOPMENT_ADMIN_UI_CLIENT_SECRET not in repr(settings)


def test_overrides_and_the_file_variant(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s" * 40 + "\n")
    settings = Settings.from_env(
        {
            **DEV_ENV,
            **PRODUCTION,
            "MFA_RECOVERY_ADMIN_UI_CLIENT_ID": "ops-console",
            "MFA_RECOVERY_ADMIN_UI_CLIENT_SECRET_FILE": str(secret),
            "MFA_RECOVERY_PUBLIC_URL": "https://mfa.acme.example/",
        }
    )
    assert (settings.admin_ui_client_id, settings.admin_ui_client_secret) == ("ops-console", "s" * 40)
    assert settings.public_url == "https://mfa.acme.example"


def test_production_refuses_a_public_or_short_secret_and_runs_without_the_ui_when_unset() -> None:
    name = "MFA_RECOVERY_ADMIN_UI_CLIENT_SECRET"
    with pytest.raises(ConfigError, match=f"{name}.*development default"):
        Settings.from_env({**DEV_ENV, **PRODUCTION, name: DEVELOPMENT_ADMIN_UI_CLIENT_SECRET})
    with pytest.raises(ConfigError, match=f"{name}.*at least 32 bytes"):
        Settings.from_env({**DEV_ENV, **PRODUCTION, name: "x" * 31})
    assert Settings.from_env({**DEV_ENV, **PRODUCTION}).admin_ui_client_secret is None


@pytest.mark.parametrize(
    "url", ["ftp://x", "http://", "https://mfa.acme.example/sidecar", "https://x/?a=1", "http://x:99999", "mfa"]
)
def test_public_url_must_be_a_base_url(url: str) -> None:
    with pytest.raises(ConfigError, match="MFA_RECOVERY_PUBLIC_URL"):
        Settings.from_env({**DEV_ENV, "MFA_RECOVERY_PUBLIC_URL": url})


def test_production_wants_https_except_on_loopback() -> None:
    with pytest.raises(ConfigError, match="https in production"):
        Settings.from_env({**DEV_ENV, **PRODUCTION, "MFA_RECOVERY_PUBLIC_URL": "http://mfa.acme.example"})
    assert Settings.from_env({**DEV_ENV, **PRODUCTION, "MFA_RECOVERY_PUBLIC_URL": "http://localhost:8081"}).public_url
    assert Settings.from_env(
        {**DEV_ENV, "MFA_RECOVERY_PUBLIC_URL": "http://mfa.acme.example"}
    ).public_url  # development


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8081", True),
        ("http://localhost", True),
        ("http://[::1]:8081", True),
        ("https://127.0.0.1:8081", False),
        ("http://mfa.acme.example", False),
        ("http://127.0.0.1.evil.example", False),
    ],
)
def test_loopback_http(url: str, loopback: bool) -> None:
    assert is_loopback_http(url) is loopback

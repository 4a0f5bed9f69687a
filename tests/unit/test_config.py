from pathlib import Path

import pytest

from mfa_recovery.config import (
    DEVELOPMENT_BRIDGE_SECRET,
    DEVELOPMENT_CODE_PEPPER,
    DEVELOPMENT_KEYCLOAK_CLIENT_SECRET,
    ConfigError,
    Settings,
)

STRONG = {
    "MFA_RECOVERY_ENV": "production",
    "MFA_RECOVERY_BRIDGE_SECRET": "b" * 32,
    "MFA_RECOVERY_CODE_PEPPER": "p" * 32,
    "MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET": "k" * 32,
}


def test_development_defaults() -> None:
    s = Settings.from_env({})
    assert s.env == "development" and not s.is_production
    assert s.database_url == "sqlite:///var/mfa-recovery.db"
    assert s.bridge_secret == DEVELOPMENT_BRIDGE_SECRET
    assert s.code_pepper == DEVELOPMENT_CODE_PEPPER
    assert s.keycloak_client_secret == DEVELOPMENT_KEYCLOAK_CLIENT_SECRET
    assert s.keycloak_url == "http://127.0.0.1:8080"
    assert s.keycloak_client_id == "mfa-recovery-sidecar"
    assert s.backup_code_count == 10


def test_data_dir_and_overrides(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "MFA_RECOVERY_DATA_DIR": str(tmp_path),
            "MFA_RECOVERY_BACKUP_CODE_COUNT": "12",
            "MFA_RECOVERY_KEYCLOAK_URL": "http://kc:8080/",
        }
    )
    assert s.database_url == f"sqlite:///{tmp_path}/mfa-recovery.db"
    assert s.backup_code_count == 12
    assert s.keycloak_url == "http://kc:8080"
    explicit = Settings.from_env({"MFA_RECOVERY_DATABASE_URL": "postgresql+psycopg://db/mfa"})
    assert explicit.database_url == "postgresql+psycopg://db/mfa"


def test_production_accepts_strong_secrets() -> None:
    s = Settings.from_env(STRONG)
    assert s.is_production and s.bridge_secret == "b" * 32


@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("MFA_RECOVERY_BRIDGE_SECRET", DEVELOPMENT_BRIDGE_SECRET),
        ("MFA_RECOVERY_CODE_PEPPER", DEVELOPMENT_CODE_PEPPER),
        ("MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET", DEVELOPMENT_KEYCLOAK_CLIENT_SECRET),
    ],
)
def test_production_refuses_missing_default_and_short_secrets(name: str, default: str) -> None:
    missing = {k: v for k, v in STRONG.items() if k != name}
    with pytest.raises(ConfigError, match=f"{name}.*required"):
        Settings.from_env(missing)
    with pytest.raises(ConfigError, match=f"{name}.*development default"):
        Settings.from_env({**STRONG, name: default})
    with pytest.raises(ConfigError, match=f"{name}.*at least 32 bytes"):
        Settings.from_env({**STRONG, name: "x" * 31})


def test_file_variants_strip_one_trailing_newline(tmp_path: Path) -> None:
    bridge = tmp_path / "bridge"
    bridge.write_text("s" * 40 + "\n")
    pepper = tmp_path / "pepper"
    pepper.write_text("q" * 40)
    env = {k: v for k, v in STRONG.items() if k not in ("MFA_RECOVERY_BRIDGE_SECRET", "MFA_RECOVERY_CODE_PEPPER")}
    s = Settings.from_env(
        {**env, "MFA_RECOVERY_BRIDGE_SECRET_FILE": str(bridge), "MFA_RECOVERY_CODE_PEPPER_FILE": str(pepper)}
    )
    assert s.bridge_secret == "s" * 40
    assert s.code_pepper == "q" * 40


def test_file_variant_is_checked_too(tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("tiny\n")
    env = {k: v for k, v in STRONG.items() if k != "MFA_RECOVERY_BRIDGE_SECRET"}
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        Settings.from_env({**env, "MFA_RECOVERY_BRIDGE_SECRET_FILE": str(short)})
    with pytest.raises(ConfigError, match="cannot read"):
        Settings.from_env({**env, "MFA_RECOVERY_BRIDGE_SECRET_FILE": str(tmp_path / "absent")})
    with pytest.raises(ConfigError, match="only one"):
        Settings.from_env({**STRONG, "MFA_RECOVERY_BRIDGE_SECRET_FILE": str(short)})


@pytest.mark.parametrize(
    "env",
    [
        {"MFA_RECOVERY_ENV": "staging"},
        {"MFA_RECOVERY_BACKUP_CODE_COUNT": "ten"},
        {"MFA_RECOVERY_BACKUP_CODE_COUNT": "0"},
    ],
)
def test_invalid_values(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env(env)


def test_repr_hides_secrets() -> None:
    assert DEVELOPMENT_BRIDGE_SECRET not in repr(Settings.from_env({}))


def test_app_refuses_to_start_in_production_with_dev_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mfa_recovery.web.app import create_app

    monkeypatch.setenv("MFA_RECOVERY_ENV", "production")
    monkeypatch.setenv("MFA_RECOVERY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MFA_RECOVERY_BRIDGE_SECRET", DEVELOPMENT_BRIDGE_SECRET)
    with pytest.raises(ConfigError):
        create_app()
    assert not (tmp_path / "mfa-recovery.db").exists()


def test_employee_link_settings() -> None:
    default = Settings.from_env({"MFA_RECOVERY_KEYCLOAK_URL": "http://kc:8080/"})
    assert default.keycloak_public_url == "http://kc:8080"
    assert default.employee_link_template == "http://127.0.0.1:8081/ui/realms/{realm}/employees/{user_id}"
    public = Settings.from_env({"MFA_RECOVERY_PUBLIC_URL": "https://mfa.example.org"})
    assert public.employee_link_template == "https://mfa.example.org/ui/realms/{realm}/employees/{user_id}"
    own = Settings.from_env({"MFA_RECOVERY_EMPLOYEE_LINK": "https://hr.example.org/people/{user_id}"})
    assert own.employee_link_template == "https://hr.example.org/people/{user_id}"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("https://x/{realm}/{user}", "may only use"),
        ("https://x/{0}/{user_id}", "may only use"),
        ("https://x/{}/{user_id}", "may only use"),
        ("https://x/{realm}", "must contain {user_id}"),
        ("https://x/{user_id", "not a valid template"),
        ("https://x/{user_id.__class__}", "may only use"),
    ],
)
def test_invalid_employee_links_are_refused(template: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"MFA_RECOVERY_EMPLOYEE_LINK": template})

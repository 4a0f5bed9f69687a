import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from mfa_recovery.config import (
    DEVELOPMENT_AUDIT_KEY,
    DEVELOPMENT_CODE_PEPPER,
    DEVELOPMENT_KEYCLOAK_CLIENT_SECRET,
    ConfigError,
    Settings,
)

from .support import ANSWER_KEY, ANSWER_KEY_PEM, DEV_ENV

# Production with strong secrets and the answer key (the admin UI's secret is left out: the UI is then off).
STRONG = {
    "MFA_RECOVERY_ENV": "production",
    "MFA_RECOVERY_CODE_PEPPER": "p" * 32,
    "MFA_RECOVERY_AUDIT_KEY": "a" * 32,
    "MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET": "k" * 32,
    "MFA_RECOVERY_ANSWER_SIGNING_KEY": ANSWER_KEY_PEM.decode(),
}


def problems_of(env: dict[str, str], **kwargs: bool) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env, **kwargs)
    return info.value.problems


def public_bytes(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_development_defaults() -> None:
    s = Settings.from_env(DEV_ENV)
    assert s.env == "development" and not s.is_production
    assert s.database_url == "sqlite:///var/mfa-recovery.db"
    assert s.code_pepper == DEVELOPMENT_CODE_PEPPER
    assert s.keycloak_client_secret == DEVELOPMENT_KEYCLOAK_CLIENT_SECRET
    assert s.keycloak_url == "http://127.0.0.1:8080"
    assert s.keycloak_client_id == "mfa-recovery-sidecar"
    assert s.backup_code_count == 10
    assert s.bridge_port is None
    assert public_bytes(s.answer_signing_key) == public_bytes(ANSWER_KEY)


def test_data_dir_and_overrides(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            **DEV_ENV,
            "MFA_RECOVERY_DATA_DIR": str(tmp_path),
            "MFA_RECOVERY_BACKUP_CODE_COUNT": "12",
            "MFA_RECOVERY_KEYCLOAK_URL": "http://kc:8080/",
            "MFA_RECOVERY_BRIDGE_PORT": "8082",
        }
    )
    assert s.database_url == f"sqlite:///{tmp_path}/mfa-recovery.db"
    assert s.backup_code_count == 12
    assert s.keycloak_url == "http://kc:8080"
    assert s.bridge_port == 8082
    explicit = Settings.from_env({**DEV_ENV, "MFA_RECOVERY_DATABASE_URL": "postgresql+psycopg://db/mfa"})
    assert explicit.database_url == "postgresql+psycopg://db/mfa"


# --- production is the default ------------------------------------------------------------------------------------


def test_unset_env_means_production() -> None:
    env = {k: v for k, v in STRONG.items() if k != "MFA_RECOVERY_ENV"}
    assert Settings.from_env(env).is_production
    assert Settings.from_env({**env, "MFA_RECOVERY_ENV": ""}).is_production


def test_production_with_nothing_set_names_every_problem_one_line_each() -> None:
    problems = problems_of({})
    assert len(problems) == 4
    assert any(
        line.startswith("MFA_RECOVERY_CODE_PEPPER (or MFA_RECOVERY_CODE_PEPPER_FILE) is required") for line in problems
    )
    assert any(line.startswith("MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET (or") for line in problems)
    assert any(line.startswith("MFA_RECOVERY_ANSWER_SIGNING_KEY (or") for line in problems)
    assert any(line.startswith("MFA_RECOVERY_AUDIT_KEY (or") for line in problems)
    assert all("\n" not in line for line in problems)
    assert str(ConfigError(*problems)) == "\n".join(problems)


def test_the_audit_key_is_not_the_pepper() -> None:
    [line] = problems_of({**STRONG, "MFA_RECOVERY_AUDIT_KEY": STRONG["MFA_RECOVERY_CODE_PEPPER"]})
    assert line.startswith("MFA_RECOVERY_AUDIT_KEY must differ from MFA_RECOVERY_CODE_PEPPER")


def test_production_accepts_strong_secrets() -> None:
    s = Settings.from_env(STRONG)
    assert s.is_production and s.code_pepper == "p" * 32


@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("MFA_RECOVERY_CODE_PEPPER", DEVELOPMENT_CODE_PEPPER),
        ("MFA_RECOVERY_AUDIT_KEY", DEVELOPMENT_AUDIT_KEY),
        ("MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET", DEVELOPMENT_KEYCLOAK_CLIENT_SECRET),
    ],
)
def test_production_refuses_missing_default_and_short_secrets(name: str, default: str) -> None:
    missing = {k: v for k, v in STRONG.items() if k != name}
    assert problems_of(missing) == (f"{name} (or {name}_FILE) is required in production",)
    [line] = problems_of({**STRONG, name: default})
    assert line.startswith(f"{name} is the public development default")
    assert problems_of({**STRONG, name: "x" * 31}) == (f"{name} must be at least 32 bytes in production",)


@pytest.mark.parametrize("name", ["MFA_RECOVERY_KEYCLOAK_URL", "MFA_RECOVERY_KEYCLOAK_PUBLIC_URL"])
def test_production_refuses_plain_http_keycloak_beyond_loopback(name: str) -> None:
    [line] = problems_of({**STRONG, name: "http://keycloak.internal:8080"})
    assert (
        line == f"{name} must be https in production (plain http only on loopback), got 'http://keycloak.internal:8080'"
    )
    for fine in ("https://sso.acme.example", "http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"):
        assert Settings.from_env({**STRONG, name: fine})
    assert Settings.from_env({**DEV_ENV, name: "http://keycloak.internal:8080"})  # development may


def test_production_refuses_a_plain_http_public_url_beyond_loopback() -> None:
    [line] = problems_of({**STRONG, "MFA_RECOVERY_PUBLIC_URL": "http://mfa.acme.example"})
    assert line.startswith("MFA_RECOVERY_PUBLIC_URL must be https in production")


def test_every_problem_is_named_at_once() -> None:
    env = {
        "MFA_RECOVERY_CODE_PEPPER": DEVELOPMENT_CODE_PEPPER,
        "MFA_RECOVERY_KEYCLOAK_URL": "http://kc:8080",
        "MFA_RECOVERY_KEYCLOAK_PUBLIC_URL": "http://sso.acme.example",
        "MFA_RECOVERY_PUBLIC_URL": "http://mfa.acme.example",
    }
    problems = problems_of(env, serving=True)
    starts = [
        "MFA_RECOVERY_KEYCLOAK_URL must be https",
        "MFA_RECOVERY_KEYCLOAK_PUBLIC_URL must be https",
        "MFA_RECOVERY_CODE_PEPPER is the public development default",
        "MFA_RECOVERY_AUDIT_KEY (or MFA_RECOVERY_AUDIT_KEY_FILE) is required",
        "MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET (or MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET_FILE) is required",
        "MFA_RECOVERY_ANSWER_SIGNING_KEY (or MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE) is required",
        "MFA_RECOVERY_BRIDGE_PORT (or serve --bridge-port) is required in production",
        "MFA_RECOVERY_PUBLIC_URL must be https",
    ]
    assert len(problems) == len(starts)
    for start in starts:
        assert [line for line in problems if line.startswith(start)], start


# --- the answer signing key ---------------------------------------------------------------------------------------


def test_the_answer_key_is_required_in_development_too() -> None:
    [line] = problems_of({"MFA_RECOVERY_ENV": "development"})
    assert "MFA_RECOVERY_ANSWER_SIGNING_KEY (or MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE) is required" in line
    assert "mfa-recovery answer-key generate" in line


def test_the_answer_key_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "answer.pem"
    path.write_bytes(ANSWER_KEY_PEM)
    env = {"MFA_RECOVERY_ENV": "development", "MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE": str(path)}
    assert public_bytes(Settings.from_env(env).answer_signing_key) == public_bytes(ANSWER_KEY)
    [line] = problems_of({**env, "MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE": str(tmp_path / "absent")})
    assert "cannot read" in line
    [line] = problems_of({**DEV_ENV, "MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE": str(path)})
    assert "set only one" in line


def pem_of(key: PrivateKeyTypes) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not a key", "not a PEM private key"),
        (pem_of(ec.generate_private_key(ec.SECP256R1())), "not an Ed25519 private key"),
        (
            ed25519.Ed25519PrivateKey.generate()
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"password"),
            )
            .decode(),
            "encrypted",
        ),
        (
            ed25519.Ed25519PrivateKey.generate()
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode(),
            "not a PEM private key",
        ),
    ],
    ids=["garbage", "EC key", "encrypted", "public key"],
)
def test_an_answer_key_that_is_not_an_ed25519_private_key_is_refused(value: str, message: str) -> None:
    [line] = problems_of({**DEV_ENV, "MFA_RECOVERY_ANSWER_SIGNING_KEY": value})
    assert line.startswith("MFA_RECOVERY_ANSWER_SIGNING_KEY: ") and message in line


# --- the bridge port ----------------------------------------------------------------------------------------------


def test_serving_in_production_requires_a_bridge_port() -> None:
    assert Settings.from_env(STRONG).bridge_port is None  # the CLI's other commands need no port
    [line] = problems_of(STRONG, serving=True)
    assert line.startswith("MFA_RECOVERY_BRIDGE_PORT (or serve --bridge-port) is required in production")
    assert Settings.from_env({**STRONG, "MFA_RECOVERY_BRIDGE_PORT": "8082"}, serving=True).bridge_port == 8082
    assert Settings.from_env(DEV_ENV, serving=True).bridge_port is None  # development may share one port


# --- the rest -----------------------------------------------------------------------------------------------------


def test_file_variants_strip_one_trailing_newline(tmp_path: Path) -> None:
    client = tmp_path / "client"
    client.write_text("s" * 40 + "\n")
    pepper = tmp_path / "pepper"
    pepper.write_text("q" * 40)
    names = ("MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET", "MFA_RECOVERY_CODE_PEPPER")
    env = {k: v for k, v in STRONG.items() if k not in names}
    s = Settings.from_env(
        {**env, "MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET_FILE": str(client), "MFA_RECOVERY_CODE_PEPPER_FILE": str(pepper)}
    )
    assert s.keycloak_client_secret == "s" * 40
    assert s.code_pepper == "q" * 40


def test_file_variant_is_checked_too(tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("tiny\n")
    name = "MFA_RECOVERY_CODE_PEPPER"
    env = {k: v for k, v in STRONG.items() if k != name}
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        Settings.from_env({**env, f"{name}_FILE": str(short)})
    with pytest.raises(ConfigError, match="cannot read"):
        Settings.from_env({**env, f"{name}_FILE": str(tmp_path / "absent")})
    with pytest.raises(ConfigError, match="only one"):
        Settings.from_env({**STRONG, f"{name}_FILE": str(short)})


@pytest.mark.parametrize(
    "env",
    [
        {"MFA_RECOVERY_ENV": "staging"},
        {"MFA_RECOVERY_BACKUP_CODE_COUNT": "ten"},
        {"MFA_RECOVERY_BACKUP_CODE_COUNT": "0"},
        {"MFA_RECOVERY_BRIDGE_PORT": "70000"},
        {"MFA_RECOVERY_KEYCLOAK_URL": "ftp://kc"},
    ],
)
def test_invalid_values(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env({**DEV_ENV, **env})


def test_repr_hides_secrets() -> None:
    text = repr(Settings.from_env(DEV_ENV))
    assert DEVELOPMENT_CODE_PEPPER not in text and "PRIVATE KEY" not in text and "answer" not in text


def without_sidecar_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """scripts/test.sh exports the test instance's settings; these tests set their own."""
    for name in [name for name in os.environ if name.startswith("MFA_RECOVERY_")]:
        monkeypatch.delenv(name)


def test_app_refuses_to_start_in_production_with_dev_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mfa_recovery.web.app import create_app

    without_sidecar_environment(monkeypatch)
    for name, value in {**STRONG, "MFA_RECOVERY_CODE_PEPPER": DEVELOPMENT_CODE_PEPPER}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MFA_RECOVERY_BRIDGE_PORT", "18992")
    monkeypatch.setenv("MFA_RECOVERY_DATA_DIR", str(tmp_path))
    with pytest.raises(ConfigError) as info:
        create_app()
    [line] = info.value.problems
    assert line.startswith("MFA_RECOVERY_CODE_PEPPER is the public development default")
    assert not (tmp_path / "mfa-recovery.db").exists()


def test_app_refuses_to_start_in_production_without_a_bridge_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mfa_recovery.web.app import create_app

    without_sidecar_environment(monkeypatch)
    for name, value in STRONG.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MFA_RECOVERY_DATA_DIR", str(tmp_path))
    with pytest.raises(ConfigError) as info:
        create_app()
    [line] = info.value.problems
    assert line.startswith("MFA_RECOVERY_BRIDGE_PORT (or serve --bridge-port) is required in production")


def test_employee_link_settings() -> None:
    default = Settings.from_env({**DEV_ENV, "MFA_RECOVERY_KEYCLOAK_URL": "http://kc:8080/"})
    assert default.keycloak_public_url == "http://kc:8080"
    assert default.employee_link_template == "http://127.0.0.1:8081/ui/realms/{realm}/employees/{user_id}"
    public = Settings.from_env({**DEV_ENV, "MFA_RECOVERY_PUBLIC_URL": "https://mfa.example.org"})
    assert public.employee_link_template == "https://mfa.example.org/ui/realms/{realm}/employees/{user_id}"
    own = Settings.from_env({**DEV_ENV, "MFA_RECOVERY_EMPLOYEE_LINK": "https://hr.example.org/people/{user_id}"})
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
        Settings.from_env({**DEV_ENV, "MFA_RECOVERY_EMPLOYEE_LINK": template})

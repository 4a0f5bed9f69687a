import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from mfa_recovery.cli import CliContext, cli
from mfa_recovery.config import DEVELOPMENT_BRIDGE_SECRET, Settings
from mfa_recovery.keycloak_admin import DirectoryUnavailable
from mfa_recovery.services import build_services

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$")


class FakeDirectory:
    def __init__(self, users: dict[tuple[str, str], str], down: bool = False) -> None:
        self.users = users
        self.down = down

    def find_user_id(self, realm: str, username: str) -> str | None:
        if self.down:
            raise DirectoryUnavailable("Keycloak at http://127.0.0.1:8080/ (realm acme): KeycloakConnectionError")
        return self.users.get((realm, username))


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    return {"MFA_RECOVERY_DATA_DIR": str(tmp_path / "data"), "MFA_RECOVERY_BACKUP_CODE_COUNT": "4"}


def run(environ: dict[str, str], args: list[str], directory: FakeDirectory | None = None):  # type: ignore[no-untyped-def]
    directory = directory or FakeDirectory({("acme", "alice"): "alice-id"})
    obj = CliContext(environ=environ, directory_factory=lambda _settings: directory)
    return CliRunner().invoke(cli, args, obj=obj)


def test_issue_prints_codes_once_and_audits(environ: dict[str, str]) -> None:
    result = run(environ, ["codes", "issue", "--realm", "acme", "--user", "alice"])
    assert result.exit_code == 0, result.output
    codes = result.stdout.splitlines()
    assert len(codes) == 4 and all(CODE.match(c) for c in codes)
    assert "shown once" in result.stderr

    svc = build_services(Settings.from_env(environ))
    assert svc.backup_codes.remaining("acme", "alice-id") == 4
    event = svc.audit.recent()[0]
    assert event["action"] == "backup_code.issue"
    assert event["actor"].startswith("cli:") and len(event["actor"]) > 4
    assert event["subject"] == "alice-id"
    assert svc.backup_codes.verify("acme", "alice-id", codes[2]).accepted

    remaining = run(environ, ["codes", "remaining", "--realm", "acme", "--user", "alice"])
    assert remaining.exit_code == 0 and remaining.stdout.strip() == "3"


def test_issue_with_count(environ: dict[str, str]) -> None:
    result = run(environ, ["codes", "issue", "--realm", "acme", "--user", "alice", "--count", "2"])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2


def test_unknown_user_exits_2_without_traceback(environ: dict[str, str]) -> None:
    result = run(environ, ["codes", "issue", "--realm", "acme", "--user", "mallory"])
    assert result.exit_code == 2
    assert "no user 'mallory' in realm 'acme'" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_keycloak_down_exits_2(environ: dict[str, str]) -> None:
    result = run(environ, ["codes", "issue", "--realm", "acme", "--user", "alice"], FakeDirectory({}, down=True))
    assert result.exit_code == 2
    assert "cannot reach Keycloak" in result.stderr
    assert "Traceback" not in result.output


def test_production_with_dev_secret_refuses(environ: dict[str, str]) -> None:
    env = {**environ, "MFA_RECOVERY_ENV": "production", "MFA_RECOVERY_BRIDGE_SECRET": DEVELOPMENT_BRIDGE_SECRET}
    for args in (["db", "upgrade"], ["serve", "--port", "18998"]):
        result = run(env, args)
        assert result.exit_code == 2
        assert "configuration error" in result.stderr


def test_db_upgrade_is_idempotent(environ: dict[str, str], tmp_path: Path) -> None:
    for _ in range(2):
        result = run(environ, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "mfa-recovery.db").exists()

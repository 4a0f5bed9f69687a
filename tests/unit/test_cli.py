import base64
import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from mfa_recovery.bridge_auth.answers import load_private_key, public_key_text
from mfa_recovery.caller import Caller, Profile
from mfa_recovery.cli import CliContext, cli
from mfa_recovery.config import DEVELOPMENT_CODE_PEPPER, Settings
from mfa_recovery.directory import DirectoryUser
from mfa_recovery.services import build_services

from .fakes.keycloak import FakeDirectory
from .fakes.smtp import FakeTransport, code_in
from .support import DEV_ENV

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$")


ALICE = DirectoryUser(id="alice-id", username="alice")


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    return {**DEV_ENV, "MFA_RECOVERY_DATA_DIR": str(tmp_path / "data"), "MFA_RECOVERY_BACKUP_CODE_COUNT": "5"}


def run(environ: dict[str, str], args: list[str], directory: FakeDirectory | None = None) -> Result:
    directory = directory or FakeDirectory(ALICE)
    obj = CliContext(environ=environ, directory_factory=lambda _settings: directory)
    return CliRunner().invoke(cli, args, obj=obj)


def test_issue_prints_codes_once_and_audits(environ: dict[str, str]) -> None:
    result = run(environ, ["codes", "issue", "--realm", "acme", "--user", "alice"])
    assert result.exit_code == 0, result.output
    codes = result.stdout.splitlines()
    assert len(codes) == 5 and all(CODE.match(c) for c in codes)
    assert "shown once" in result.stderr

    svc = build_services(Settings.from_env(environ))
    assert svc.backup_codes.remaining("acme", "alice-id") == 5
    event = svc.audit.recent()[0]
    assert event["action"] == "backup_code.issue"
    assert event["actor"].startswith("cli:") and len(event["actor"]) > 4
    assert event["subject"] == "alice-id"
    assert svc.backup_codes.verify("acme", "alice-id", codes[2]).accepted

    remaining = run(environ, ["codes", "remaining", "--realm", "acme", "--user", "alice"])
    assert remaining.exit_code == 0 and remaining.stdout.strip() == "4"


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
    down = FakeDirectory(ALICE)
    down.down = True
    result = run(environ, ["codes", "issue", "--realm", "acme", "--user", "alice"], down)
    assert result.exit_code == 2
    assert "cannot reach Keycloak" in result.stderr
    assert "Traceback" not in result.output


def test_production_with_dev_secret_refuses(environ: dict[str, str]) -> None:
    env = {**environ, "MFA_RECOVERY_ENV": "production", "MFA_RECOVERY_CODE_PEPPER": DEVELOPMENT_CODE_PEPPER}
    for args in (["db", "upgrade"], ["serve", "--port", "18998", "--bridge-port", "18999"]):
        result = run(env, args)
        assert result.exit_code == 2
        assert "configuration error" in result.stderr
        assert "MFA_RECOVERY_CODE_PEPPER is the public development default" in result.stderr
        assert "Traceback" not in result.output


def test_serve_names_every_problem_on_a_line_of_its_own(environ: dict[str, str]) -> None:
    env = {
        "MFA_RECOVERY_DATA_DIR": environ["MFA_RECOVERY_DATA_DIR"],
        "MFA_RECOVERY_KEYCLOAK_URL": "http://keycloak.internal:8080",
    }  # production by default: nothing else set
    result = run(env, ["serve", "--port", "18998"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "error: configuration error:"
    for name in (
        "MFA_RECOVERY_KEYCLOAK_URL must be https",
        "MFA_RECOVERY_CODE_PEPPER (or MFA_RECOVERY_CODE_PEPPER_FILE) is required",
        "MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET (or",
        "MFA_RECOVERY_ANSWER_SIGNING_KEY (or",
        "MFA_RECOVERY_BRIDGE_PORT (or serve --bridge-port) is required",
    ):
        assert [line for line in lines if line.startswith(f"  - {name}")], name
    assert "Traceback" not in result.output


def test_db_upgrade_is_idempotent(environ: dict[str, str], tmp_path: Path) -> None:
    for _ in range(2):
        result = run(environ, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "mfa-recovery.db").exists()


def test_realm_options_show_defaults_then_set_and_show(environ: dict[str, str]) -> None:
    shown = run(environ, ["realm-options", "show", "--realm", "acme"])
    assert shown.exit_code == 0, shown.output
    assert "code_count: 5" in shown.stdout  # the environment's default code count (5 in these tests)
    assert "warning_threshold: 3" in shown.stdout
    assert "setup_prompt: offered" in shown.stdout
    assert "reenrol_otp_after_recovery: false" in shown.stdout
    assert "email_method_enabled: true" in shown.stdout
    assert "reenrol_otp_after_email_recovery: true" in shown.stdout
    assert "supervisor_attribute: supervisor" in shown.stdout
    assert "never (defaults)" in shown.stdout

    args = ["realm-options", "set", "--realm", "acme", "--code-count", "8", "--warning-threshold", "2"]
    changed = run(environ, [*args, "--setup-prompt", "required", "--reenrol-otp"])
    assert changed.exit_code == 0, changed.output
    assert "code_count: 5 -> 8" in changed.stderr
    shown = run(environ, ["realm-options", "show", "--realm", "acme"])
    for line in ("code_count: 8", "warning_threshold: 2", "setup_prompt: required", "reenrol_otp_after_recovery: true"):
        assert line in shown.stdout
    assert " by cli:" in shown.stdout

    off = run(environ, ["realm-options", "set", "--realm", "acme", "--no-reenrol-otp"])
    assert off.exit_code == 0 and "reenrol_otp_after_recovery: false" in off.stdout

    svc = build_services(Settings.from_env(environ))
    events = [e for e in svc.audit.recent() if e["action"] == "realm_options.update"]
    assert len(events) == 2
    assert all(e["actor"].startswith("cli:") and len(e["actor"]) > 4 and e["realm"] == "acme" for e in events)
    assert events[0]["detail"]["changed"] == {"reenrol_otp_after_recovery": [True, False]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--code-count", "4"], "code count must be between 5 and 20, got 4"),
        (["--code-count", "21"], "code count must be between 5 and 20"),
        (["--warning-threshold", "5"], "warning threshold must be between 0 and 4"),
        (["--warning-threshold", "-1"], "warning threshold must be between 0 and 4"),
        (["--setup-prompt", "always"], "'always' is not one of"),
        (["--code-count", "many"], "'many' is not a valid integer"),
        ([], "nothing to change"),
        (["--email-method", "maybe"], "'maybe' is not one of 'on', 'off'"),
        (["--email-method", "on", "--no-email-method"], "give only one of --email-method and --no-email-method"),
        (["--reenrol-otp-after-email", "--no-reenrol-otp-after-email"], "give only one of"),
        (["--supervisor-attribute", "my boss"], "supervisor attribute must be at most 64"),
    ],
)
def test_realm_options_set_refuses_bad_values_with_exit_2(
    environ: dict[str, str], args: list[str], message: str
) -> None:
    result = run(environ, ["realm-options", "set", "--realm", "acme", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    shown = run(environ, ["realm-options", "show", "--realm", "acme"])
    assert "never (defaults)" in shown.stdout


def test_issue_uses_the_realms_code_count_unless_count_is_given(environ: dict[str, str]) -> None:
    assert run(environ, ["realm-options", "set", "--realm", "acme", "--code-count", "12"]).exit_code == 0
    issued = run(environ, ["codes", "issue", "--realm", "acme", "--user", "alice"])
    assert issued.exit_code == 0 and len(issued.stdout.splitlines()) == 12
    explicit = run(environ, ["codes", "issue", "--realm", "acme", "--user", "alice", "--count", "3"])
    assert len(explicit.stdout.splitlines()) == 3
    other = FakeDirectory(DirectoryUser(id="bob-id", username="bob"))
    default = run(environ, ["codes", "issue", "--realm", "globex", "--user", "bob"], other)
    assert len(default.stdout.splitlines()) == 5  # a realm without options: the default count


@pytest.mark.parametrize(
    ("args", "lines"),
    [
        (["--email-method", "off"], ["email_method_enabled: false", "reenrol_otp_after_email_recovery: true"]),
        (["--no-email-method"], ["email_method_enabled: false"]),
        (["--no-reenrol-otp-after-email"], ["reenrol_otp_after_email_recovery: false", "email_method_enabled: true"]),
        (["--reenrol-otp-after-email", "off"], ["reenrol_otp_after_email_recovery: false"]),
        (["--reenrol-otp", "on"], ["reenrol_otp_after_recovery: true"]),
        (["--reenrol-otp"], ["reenrol_otp_after_recovery: true"]),
        (["--supervisor-attribute", "manager"], ["supervisor_attribute: manager"]),
        (["--supervisor-attribute", ""], ['supervisor_attribute: "" (no supervisor lookup)']),
    ],
)
def test_realm_options_set_backup_email_and_supervisor(
    environ: dict[str, str], args: list[str], lines: list[str]
) -> None:
    result = run(environ, ["realm-options", "set", "--realm", "acme", *args])
    assert result.exit_code == 0, result.output
    shown = run(environ, ["realm-options", "show", "--realm", "acme"]).stdout.splitlines()
    for line in lines:
        assert line in shown


def test_an_on_off_option_alone_means_on(environ: dict[str, str]) -> None:
    run(
        environ,
        ["realm-options", "set", "--realm", "acme", "--email-method", "off", "--reenrol-otp-after-email", "off"],
    )
    result = run(environ, ["realm-options", "set", "--realm", "acme", "--email-method", "--reenrol-otp-after-email"])
    assert result.exit_code == 0, result.output
    assert "email_method_enabled: true" in result.stdout
    assert "reenrol_otp_after_email_recovery: true" in result.stdout


def test_backup_email_show(environ: dict[str, str]) -> None:
    result = run(environ, ["backup-email", "show", "--realm", "acme", "--user", "alice"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["email_method_enabled: true", "backup_email: none", "verified: false"]

    outgoing = FakeTransport()
    svc = build_services(Settings.from_env(environ), directory=FakeDirectory(), transport=outgoing)
    caller = Caller("acme", "alice-id")
    profile = Profile(username="alice", email="alice@acme.example")
    svc.backup_email.start(caller, "alice.home@example.org", profile)
    svc.backup_email.verify(caller, code_in(outgoing.messages[-1]), profile)
    svc.engine.dispose()
    shown = run(environ, ["backup-email", "show", "--realm", "acme", "--user-id", "alice-id"])
    assert shown.exit_code == 0, shown.output
    assert "backup_email: a•••@example.org" in shown.stdout and "verified: true" in shown.stdout
    assert "alice.home" not in shown.stdout
    assert "awaiting_verification" not in shown.stdout


@pytest.mark.parametrize("args", [[], ["--user", "alice", "--user-id", "alice-id"]])
def test_backup_email_show_wants_one_user(environ: dict[str, str], args: list[str]) -> None:
    result = run(environ, ["backup-email", "show", "--realm", "acme", *args])
    assert result.exit_code == 2 and "exactly one of --user and --user-id" in result.stderr


# --- answer-key ---------------------------------------------------------------------------------------------------


def test_answer_key_generate_writes_a_private_key_0600_and_prints_only_the_public_key(tmp_path: Path) -> None:
    path = tmp_path / "answer-signing-key.pem"
    result = CliRunner().invoke(cli, ["answer-key", "generate", str(path)], obj=CliContext(environ={}))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = load_private_key(path.read_bytes())
    [line] = result.stdout.splitlines()
    assert line == public_key_text(key)
    spki = serialization.load_der_public_key(base64.b64decode(line, validate=True))
    assert isinstance(spki, Ed25519PublicKey)
    assert spki.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    ) == key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert Settings.from_env(
        {**DEV_ENV, "MFA_RECOVERY_ANSWER_SIGNING_KEY": "", "MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE": str(path)}
    )


def test_answer_key_generate_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_text("precious")
    result = CliRunner().invoke(cli, ["answer-key", "generate", str(path)], obj=CliContext(environ={}))
    assert result.exit_code == 2
    assert "exists" in result.stderr and result.stdout == ""
    assert path.read_text() == "precious"


def test_answer_key_public_prints_the_same_public_key(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    generated = CliRunner().invoke(cli, ["answer-key", "generate", str(path)], obj=CliContext(environ={}))
    shown = CliRunner().invoke(cli, ["answer-key", "public", str(path)], obj=CliContext(environ={}))
    assert shown.exit_code == 0
    assert shown.stdout == generated.stdout
    assert shown.stdout.count("\n") == 1


@pytest.mark.parametrize("content", [None, b"not a key"])
def test_answer_key_public_of_a_missing_or_wrong_file_fails_clearly(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "key.pem"
    if content is not None:
        path.write_bytes(content)
    result = CliRunner().invoke(cli, ["answer-key", "public", str(path)], obj=CliContext(environ={}))
    assert result.exit_code == 2
    assert result.stdout == "" and "Traceback" not in result.output

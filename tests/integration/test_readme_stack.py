"""The README's first command, as a new user runs it: ``scripts/stack.sh up`` brings up the whole stack, prints
where to click and fresh backup codes for alice, and one of them signs her in; ``scripts/stack.sh down`` stops
it. On an instance and ports of its own, so neither the test run's servers nor a developer's stack are touched."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator

import pytest

from tests.support.signin import SignIn
from tests.support.stack import SCRIPTS

PORTS = {
    "MFA_RECOVERY_KEYCLOAK_PORT": "38080",
    "MFA_RECOVERY_KEYCLOAK_MANAGEMENT_PORT": "39000",
    "MFA_RECOVERY_SIDECAR_PORT": "38081",
    "MFA_RECOVERY_BRIDGE_PORT": "38082",
    "MFA_RECOVERY_SMTP_PORT": "31025",
}
CODE = re.compile(r"^\s+([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2})$", re.M)


def stack(command: str) -> subprocess.CompletedProcess:
    environ = {name: value for name, value in os.environ.items() if not name.startswith(("MFA_RECOVERY_", "KC_"))}
    environ.update(PORTS, MFA_RECOVERY_INSTANCE="readme")
    return subprocess.run(
        [str(SCRIPTS / "stack.sh"), command], env=environ, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def stack_up() -> Iterator[subprocess.CompletedProcess]:
    stack("down")  # one left over from an interrupted run
    try:
        yield stack("up")
    finally:
        stack("down")


def test_stack_up_prints_where_to_click_and_its_codes_sign_alice_in(stack_up):
    assert stack_up.returncode == 0, stack_up.stderr[-2000:]
    keycloak = f"http://127.0.0.1:{PORTS['MFA_RECOVERY_KEYCLOAK_PORT']}"
    assert f"{keycloak}/realms/acme/account/" in stack_up.stdout
    assert f"http://127.0.0.1:{PORTS['MFA_RECOVERY_SIDECAR_PORT']}/ui/realms/acme/employees" in stack_up.stdout
    codes = CODE.findall(stack_up.stdout)
    assert len(codes) == 10, stack_up.stdout

    attempt = SignIn(keycloak)
    attempt.password("alice", "alice-dev-password")
    attempt.use_backup()
    page = attempt.backup_code(codes[0])
    assert page.has("mfa-recovery-continue-form"), page.text[:400]
    attempt.continue_after_recovery()
    assert attempt.authorization_code() is not None


def test_stack_down_stops_everything(stack_up):
    assert stack_up.returncode == 0
    assert stack("status").returncode == 0, "everything runs while up"
    stack("down")
    status = stack("status")
    assert status.returncode != 0
    assert "is not running" in status.stdout

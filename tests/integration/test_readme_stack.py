"""The README's first command, as a new user runs it: ``scripts/stack.sh up`` brings up the whole stack, prints
where to click and fresh backup codes for alice, and one of them signs her in; every mail the stack sends can be
read in its mail catcher (Mailpit), so alice can also sign in with a code mailed to her backup address;
``scripts/stack.sh down`` stops it. On an instance and ports of its own, started afresh, so neither the test
run's servers nor a developer's stack are touched."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.employees import Employee
from tests.support.mail import code_in, text_of
from tests.support.mailpit import Mailpit
from tests.support.recovery import add_backup_address, masked, start_recovery
from tests.support.signin import SignIn
from tests.support.stack import SCRIPTS

INSTANCE = "readme"
# Below 32768, where Linux picks the local ports of outgoing connections: a listener there could find its port taken.
PORTS = {
    "MFA_RECOVERY_KEYCLOAK_PORT": "24080",
    "MFA_RECOVERY_KEYCLOAK_MANAGEMENT_PORT": "24090",
    "MFA_RECOVERY_SIDECAR_PORT": "24081",
    "MFA_RECOVERY_BRIDGE_PORT": "24082",
    "MFA_RECOVERY_SMTP_PORT": "24025",
    "MFA_RECOVERY_MAIL_UI_PORT": "24026",
}
KEYCLOAK = f"http://127.0.0.1:{PORTS['MFA_RECOVERY_KEYCLOAK_PORT']}"
MAIL_UI = f"http://127.0.0.1:{PORTS['MFA_RECOVERY_MAIL_UI_PORT']}"
CODE = re.compile(r"^\s+([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2})$", re.M)
# The demo user of realm-config/README.md, as the printed message introduces her.
ALICE = Employee("alice", "alice-dev-password", user_id="", totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
ALICE_EMAIL = "alice@acme.example"


def environ() -> dict[str, str]:
    environ = {name: value for name, value in os.environ.items() if not name.startswith(("MFA_RECOVERY_", "KC_"))}
    environ.update(PORTS, MFA_RECOVERY_INSTANCE=INSTANCE)
    return environ


def stack(command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPTS / "stack.sh"), command], env=environ(), capture_output=True, text=True, timeout=900
    )


def instance_dir() -> Path:
    """This instance's state (Keycloak's database, the sidecar's store, Mailpit's mails), as scripts/common.sh
    places it."""
    script = f'source {SCRIPTS / "common.sh"}; echo "$MFA_INSTANCE_DIR"'
    found = subprocess.run(["bash", "-c", script], env=environ(), check=True, capture_output=True, text=True)
    path = Path(found.stdout.strip())
    assert path.name == INSTANCE and path.parent.name == "instances", path
    return path


@pytest.fixture(scope="module")
def stack_up() -> Iterator[subprocess.CompletedProcess]:
    stack("down")  # one left over from an interrupted run
    # A new user's first start: no Keycloak database (alice's authenticator as imported), no sidecar store (no
    # limits on mailed codes from an earlier run), no mails.
    shutil.rmtree(instance_dir(), ignore_errors=True)
    try:
        yield stack("up")
    finally:
        stack("down")


@pytest.fixture(scope="module")
def mailpit(stack_up) -> Mailpit:
    assert stack_up.returncode == 0, stack_up.stderr[-2000:]
    return Mailpit(MAIL_UI)


def sign_in(**kwargs) -> SignIn:
    return SignIn(KEYCLOAK, **kwargs)


def test_stack_up_prints_where_to_click_and_its_codes_sign_alice_in(stack_up, mailpit):
    assert stack_up.returncode == 0, stack_up.stderr[-2000:]
    assert f"{KEYCLOAK}/realms/acme/account/" in stack_up.stdout
    assert f"http://127.0.0.1:{PORTS['MFA_RECOVERY_SIDECAR_PORT']}/ui/realms/acme/employees" in stack_up.stdout
    assert f"{MAIL_UI}/" in stack_up.stdout, "the message says where to read mail"
    codes = CODE.findall(stack_up.stdout)
    assert len(codes) == 10, stack_up.stdout

    attempt = sign_in()
    attempt.password(ALICE.username, ALICE.password)
    attempt.use_backup()
    page = attempt.backup_code(codes[0])
    assert attempt.authorization_code() is not None, page.text[:400]

    # The notice to her primary address goes through the sidecar's outbox, which sends within seconds.
    notice = mailpit.wait_for_subject(ALICE_EMAIL, "Signed in with a backup code", timeout=30)
    assert "with one of your backup codes" in text_of(notice)


def test_alice_signs_in_with_a_code_read_from_the_mail_catcher(stack_up, mailpit):
    address = add_backup_address(sign_in, ALICE, mailpit)  # its verification code read from Mailpit too

    attempt = start_recovery(sign_in, ALICE)
    assert masked(address) in attempt.page.text_of("mfa-recovery-choose-email"), attempt.page.text[:400]
    page = attempt.choose("email")
    assert page.has("emailCode"), page.text[:400]
    mail = mailpit.wait_for_mails_to(address, 2)[-1]  # the first one verified the address
    assert mail["Subject"] == "Your code to sign in"

    page = attempt.email_code(code_in(mail))
    # Email is the weaker factor: by default the user enrols a new authenticator app at once.
    assert page.has("kc-totp-settings-form"), page.text[:400]
    attempt.configure_totp()
    if attempt.page.has("mfa-recovery-skip-form"):
        attempt.skip_setup()
    assert attempt.authorization_code() is not None

    notice = mailpit.wait_for_subject(
        ALICE_EMAIL, "Signed in with a code sent to your backup email address", timeout=30
    )
    assert masked(address) in text_of(notice)


def test_stack_down_stops_everything(stack_up):
    assert stack_up.returncode == 0
    assert stack("status").returncode == 0, "everything runs while up"
    stack("down")
    status = stack("status")
    assert status.returncode != 0
    assert "is not running" in status.stdout

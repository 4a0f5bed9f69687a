"""The logs of a real run: full recovery sign-ins (a wrong and a right backup code, a mailed code to a backup
address) and a desk request, then every log of the stack is searched for the codes, passwords, tokens and addresses
used: none may be there. The sidecar writes JSON lines (the test stack asks for them) carrying the request id the
bridge sent with its call."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.desk import file_request
from tests.support.mail import code_in
from tests.support.recovery import add_backup_address, start_recovery

BRIDGE_REQUEST_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # a UUID, as sent


@pytest.fixture
def logs(stack_config) -> dict[Path, int]:
    """The stack's logs and how long each was before this test (they grow over a run)."""
    paths = [stack_config.instance_dir / "sidecar.log", stack_config.instance_dir / "keycloak.log"]
    return {path: path.stat().st_size for path in paths}


def written_since(logs: dict[Path, int]) -> dict[Path, str]:
    found = {}
    for path, start in logs.items():
        with path.open("rb") as file:
            file.seek(start)
            found[path] = file.read().decode("utf-8", "replace")
    return found


def test_no_code_password_token_or_address_reaches_a_log(
    logs, sign_in, new_employee, issue_codes, mail_sink, sidecar
):  # fmt: skip
    employee = new_employee()
    codes = issue_codes(employee)
    attempt = start_recovery(sign_in, employee)
    attempt.backup_code(codes[1][:-1] + ("A" if codes[1][-1] != "A" else "B"))  # wrong by one character
    attempt.backup_code(codes[0])
    tokens = attempt.exchange()

    other = new_employee()
    address = add_backup_address(sign_in, other, mail_sink)
    by_mail = start_recovery(sign_in, other)
    by_mail.choose("email")
    mailed = code_in(mail_sink.wait_for_mails_to(address, 2)[-1])
    by_mail.email_code(mailed)

    requester = new_employee()
    assert file_request(sidecar.url, requester.username).status_code == 200

    used = {
        "backup code": codes[0],
        "backup code without its hyphens": codes[0].replace("-", ""),
        "mailed code": mailed,
        "password": employee.password,
        "authenticator secret": employee.totp_secret or "",
        "access token": tokens["access_token"],
        "backup address": address,
        "primary address": f"{other.username}@acme.example",
        "requester's address": f"{requester.username}@acme.example",
    }
    for path, text in written_since(logs).items():
        assert text, f"{path.name} holds nothing of this test"
        leaked = [name for name, secret in used.items() if secret and secret in text]
        assert not leaked, f"{path.name} holds the {', '.join(leaked)}"


def test_the_sidecar_writes_json_lines_with_the_bridges_request_id(logs, sign_in, new_employee, issue_codes):
    employee = new_employee()
    codes = issue_codes(employee)
    attempt = start_recovery(sign_in, employee)
    attempt.backup_code(codes[0])

    sidecar_log = next(text for path, text in written_since(logs).items() if path.name == "sidecar.log")
    lines = [json.loads(line) for line in sidecar_log.splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    bridge_calls = [line for line in lines if line.get("logger") == "mfa_recovery.access"
                    and str(line.get("route", "")).startswith("/bridge/")]  # fmt: skip
    assert bridge_calls, sidecar_log[-2000:]
    assert all(BRIDGE_REQUEST_ID.fullmatch(str(line.get("request_id"))) for line in bridge_calls)

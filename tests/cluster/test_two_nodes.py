"""Keycloak as a cluster, as users run it: two production-mode nodes on one PostgreSQL, which find each other through
it (Keycloak's jdbc-ping stack) and share their sign-ins, each node with a sidecar of its own on the one sidecar
store. A sign-in started on one node finishes on the other, its recovery steps answered by both sidecars; with one
sidecar stopped, the other node's path signs in as before, and the stopped one's path fails closed.

The first node is the run's Keycloak (scripts/test.sh runs this file in its production-mode pass); the second is
started here with scripts/keycloak.sh, on ports of its own, with the first node's database, certificate and public
URL (what a load balancer before the nodes would serve).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.mailsink import free_port
from tests.support.recovery import start_recovery
from tests.support.signin import claims_of
from tests.support.stack import SCRIPTS, SidecarProcess, SidecarServer, StackConfig

pytestmark = pytest.mark.skipif(
    os.environ.get("MFA_RECOVERY_KEYCLOAK_MODE") != "production",
    reason="a Keycloak cluster runs in production mode: MFA_RECOVERY_KEYCLOAK_MODE=production (scripts/test.sh)",
)


@dataclass
class Node:
    url: str
    sidecar: SidecarServer


@pytest.fixture(scope="module")
def second_node(keycloak: str, sidecar: SidecarProcess, stack_config: StackConfig) -> Iterator[Node]:
    """A second Keycloak node, with a second sidecar (same store, same secrets) that only it calls."""
    second_sidecar = SidecarServer(
        free_port(), sidecar.environ, stack_config.instance_dir / "sidecar-node-2.log", bridge_port=free_port()
    )
    second_sidecar.start()
    port = free_port()
    environ = dict(
        stack_config.environ,
        MFA_RECOVERY_INSTANCE=f"{stack_config.instance_dir.name}-node-2",
        MFA_RECOVERY_KEYCLOAK_PORT=str(port),
        MFA_RECOVERY_KEYCLOAK_MANAGEMENT_PORT=str(free_port()),
        MFA_RECOVERY_KEYCLOAK_CLUSTER_PORT=str(free_port()),
        MFA_RECOVERY_SIDECAR_PORT=str(second_sidecar.port),
        MFA_RECOVERY_BRIDGE_PORT=str(second_sidecar.bridge_port),
        MFA_RECOVERY_KEYCLOAK_HOSTNAME=keycloak,
        MFA_RECOVERY_KEYCLOAK_TLS_DIR=str(stack_config.instance_dir / "tls"),
        MFA_RECOVERY_KEYCLOAK_DB_URL=f"jdbc:postgresql://127.0.0.1:{stack_config.postgres_port}/keycloak",
    )
    script = [str(SCRIPTS / "keycloak.sh")]
    try:
        subprocess.run([*script, "start"], env=environ, check=True, timeout=600)
        yield Node(f"https://127.0.0.1:{port}", second_sidecar)
    finally:
        subprocess.run([*script, "stop"], env=environ, check=False, timeout=120)
        second_sidecar.stop()


def audited(log: Path, action: str, user_id: str) -> bool:
    """Whether the sidecar that writes ``log`` audited ``action`` for the user (its JSON lines name the subject)."""
    return any(action in line and f"subject={user_id}" in line for line in log.read_text().splitlines())


def test_a_sign_in_started_on_one_node_finishes_on_the_other(second_node, sidecar, sign_in, new_employee, issue_codes):
    employee = new_employee()
    code = issue_codes(employee)[0]
    attempt = start_recovery(sign_in, employee)  # password, OTP page, "Use backup code/email": the first node
    assert attempt.page.has("mfa-recovery-code-form"), attempt.page.text[:400]
    attempt.via(second_node.url)
    attempt.backup_code(code)
    assert claims_of(attempt.exchange())["sub"] == employee.user_id

    assert audited(sidecar.log_path, "recovery.start ok", employee.user_id), "the first node asks its own sidecar"
    assert audited(second_node.sidecar.log_path, "backup_code.verify accepted", employee.user_id), (
        "the second node asks its own sidecar"
    )


def test_and_the_other_way_round(second_node, sign_in, new_employee, issue_codes):
    employee = new_employee()
    code = issue_codes(employee)[0]
    attempt = sign_in().via(second_node.url)
    attempt.password(employee.username, employee.password)
    attempt.use_backup()
    attempt.via(attempt.client.keycloak_url)  # back to the first node
    attempt.backup_code(code)
    assert claims_of(attempt.exchange())["sub"] == employee.user_id


def test_with_one_sidecar_stopped_the_other_path_signs_in(second_node, sign_in, new_employee, issue_codes):
    employees = [new_employee() for _ in range(2)]
    codes = {employee.username: issue_codes(employee) for employee in employees}
    in_flight = start_recovery(sign_in, employees[0])  # at the choice page when the second sidecar stops
    second_node.sidecar.stop()
    try:
        in_flight.backup_code(codes[employees[0].username][0])
        assert claims_of(in_flight.exchange())["sub"] == employees[0].user_id

        after = start_recovery(sign_in, employees[1])
        after.backup_code(codes[employees[1].username][0])
        assert claims_of(after.exchange())["sub"] == employees[1].user_id

        # The stopped sidecar's path fails closed: a clear page, no session.
        cut_off = start_recovery(sign_in, employees[1])
        cut_off.via(second_node.url)
        page = cut_off.backup_code(codes[employees[1].username][1])
        assert cut_off.authorization_code() is None
        assert "unavailable" in page.text.lower(), page.text[:400]
    finally:
        second_node.sidecar.start()

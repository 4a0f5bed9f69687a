"""Fixtures shared by the integration and browser tests.

The servers start lazily, once per run: a run of only tests/unit starts nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from keycloak import KeycloakAdmin

from tests.support.admin_api import AdminApi, Administrator, create_administrator, ensure_token_client
from tests.support.admin_api import token as admin_token
from tests.support.employees import REALM, Employee, create_employee
from tests.support.mailsink import MailSink
from tests.support.policy import keycloak_settings, put_back
from tests.support.postgres import PostgresCluster
from tests.support.signin import SignIn
from tests.support.stack import ROOT, STORE, KeycloakServer, SidecarProcess, StackConfig, load_config

TEST_OUTPUT = ROOT / "test-output"
DEFAULT_REALM_OPTIONS = (
    "--code-count", "10", "--warning-threshold", "3", "--setup-prompt", "offered", "--no-reenrol-otp",
    "--email-method", "on", "--reenrol-otp-after-email", "on", "--supervisor-attribute", "supervisor",
    "--desk-four-eyes", "off",
)  # fmt: skip


@pytest.fixture(scope="session")
def stack_config() -> StackConfig:
    return load_config()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """The test instance's PostgreSQL (scripts/postgres.sh), started on first use."""
    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def sidecar_store(request: pytest.FixtureRequest) -> str | None:
    """The run's sidecar store (MFA_RECOVERY_TEST_STORE): None for the SQLite file, or a PostgreSQL URL."""
    if STORE == "sqlite":
        return None
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.fresh_database("mfa_recovery_sidecar").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sidecar(stack_config: StackConfig, sidecar_store: str | None) -> Iterator[SidecarProcess]:
    process = SidecarProcess(stack_config, sidecar_store)
    process.start_afresh()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def keycloak(stack_config: StackConfig, sidecar: SidecarProcess) -> Iterator[str]:
    server = KeycloakServer(stack_config)
    server.start()
    yield stack_config.keycloak_url
    server.stop()


@pytest.fixture(scope="session")
def admin(keycloak: str, stack_config: StackConfig) -> KeycloakAdmin:
    return stack_config.keycloak_admin(REALM)


@pytest.fixture
def new_employee(admin: KeycloakAdmin, request: pytest.FixtureRequest) -> Callable[..., Employee]:
    """Make a user of this test's own: password and, by default, an authenticator app (TOTP)."""
    prefix = re.sub(r"[^a-z0-9]+", "-", request.node.name.removeprefix("test_").lower())[:24].strip("-")

    def _make(**options) -> Employee:
        return create_employee(admin, prefix, **options)

    return _make


@pytest.fixture
def sidecar_stopped(sidecar: SidecarProcess) -> Iterator[None]:
    """The sidecar is down for this test, and back for the next."""
    sidecar.stop()
    try:
        yield
    finally:
        sidecar.start()


@pytest.fixture
def issue_codes(sidecar: SidecarProcess) -> Callable[[Employee], list[str]]:
    """Issue a fresh set of backup codes with the sidecar's own command line, as an operator would."""

    def _issue(employee: Employee) -> list[str]:
        result = sidecar.cli("codes", "issue", "--realm", REALM, "--user", employee.username)
        assert result.returncode == 0, result.stderr
        codes = [line.strip() for line in result.stdout.splitlines() if line.strip()]
        assert codes, result.stdout
        return codes

    return _issue


@pytest.fixture(scope="session")
def mail_sink(stack_config: StackConfig) -> Iterator[MailSink]:
    """The SMTP server of the test realm (its import points at this port)."""
    sink = MailSink(stack_config.smtp_port)
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def realm_options(sidecar: SidecarProcess) -> Iterator[Callable[..., None]]:
    """Change the acme realm's recovery options for one test; the defaults come back afterwards."""

    def _set(*flags: str) -> None:
        result = sidecar.cli("realm-options", "set", "--realm", REALM, *flags)
        assert result.returncode == 0, result.stderr

    yield _set
    _set(*DEFAULT_REALM_OPTIONS)


@pytest.fixture(scope="session")
def test_output() -> Path:
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT


@pytest.fixture
def sign_in(keycloak: str) -> Callable[..., SignIn]:
    """Start a sign-in of the demo client over HTTP against the test Keycloak; keyword arguments go to SignIn."""

    def _start(**kwargs) -> SignIn:
        return SignIn(keycloak, **kwargs)

    return _start


@pytest.fixture(scope="session")
def master_admin(keycloak: str, stack_config: StackConfig) -> KeycloakAdmin:
    return stack_config.keycloak_admin("master")


@pytest.fixture(scope="session")
def admin_api_ready(admin: KeycloakAdmin, master_admin: KeycloakAdmin) -> None:
    """The realms as the admin-API tests need them: a token client in acme and master, fine-grained admin
    permissions (v2) and admin events on in acme. Neither changes anything for administrators with roles."""
    ensure_token_client(admin)
    # master's tokens live 60 s by default: long enough for a call, not for a run of generated requests as an operator
    ensure_token_client(master_admin, **{"access.token.lifespan": "900"})
    admin.update_realm(REALM, {"adminPermissionsEnabled": True})
    config = admin.connection.raw_get(f"admin/realms/{REALM}/events/config").json()
    response = admin.connection.raw_put(
        f"admin/realms/{REALM}/events/config", data=json.dumps({**config, "adminEventsEnabled": True})
    )
    assert response.status_code == 204, response.text


@pytest.fixture
def administrator(admin: KeycloakAdmin, admin_api_ready: None, request: pytest.FixtureRequest):
    """Make an administrator of acme with these realm-management roles (none: a plain user)."""

    def _make(*roles: str, prefix: str = "admin") -> Administrator:
        return create_administrator(admin, prefix, roles)

    return _make


@pytest.fixture
def admin_api(sidecar: SidecarProcess, keycloak: str):
    """The admin API as ``administrator`` (or with a raw bearer token, or none)."""

    def _as(who: Administrator | None = None, *, bearer: str | None = None) -> AdminApi:
        if who is not None:
            bearer = admin_token(keycloak, who.realm, who.username, who.password)
        return AdminApi(sidecar.url, bearer)

    return _as


@pytest.fixture
def realm_admin(administrator, admin_api) -> AdminApi:
    """The admin API as an administrator of acme with realm-admin."""
    return admin_api(administrator("realm-admin"))


@pytest.fixture
def restore_policy(admin: KeycloakAdmin) -> Iterator[dict]:
    """Whatever a test does to the flow and the required actions, the realm's settings as they were come back
    afterwards; yields them."""
    before = keycloak_settings(admin)
    yield before
    put_back(admin, before)

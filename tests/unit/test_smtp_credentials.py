"""Where the sidecar's SMTP user and password may go: only to the operator's own host, and never in plain text
outside development. The realm's SMTP settings belong to a realm administrator, who may point them anywhere."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from mfa_recovery.config import ConfigError, Settings
from mfa_recovery.notifications import smtp
from mfa_recovery.notifications.mailer import DELIVERY_ERRORS, Mailer
from mfa_recovery.notifications.mails.layout import Mail
from tests.support.mailsink import MailSink
from tests.unit.fakes.keycloak import FakeDirectory
from tests.unit.support import DEV_ENV

USER = "relay-user"
PASSWORD = "relay-password-s3cret"  # noqa: S105 - a test value
RECIPIENT = "alice@acme.example"
MAIL = Mail(subject="Signed in with a backup code", text="Hello", html="<p>Hello</p>", language="en")
PRODUCTION = {
    **DEV_ENV,
    "MFA_RECOVERY_ENV": "production",
    "MFA_RECOVERY_CODE_PEPPER": "p" * 32,
    "MFA_RECOVERY_AUDIT_KEY": "a" * 32,
    "MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET": "k" * 32,
}
DEVELOPMENT = DEV_ENV


class LoggingInSink(MailSink):
    """A mail sink that offers AUTH even without TLS, accepts any login and records each one."""

    def __init__(self) -> None:
        super().__init__()
        self.logins: list[tuple[str, str, str]] = []  # (mechanism, user, password)

    def start(self) -> None:
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, authenticator=self._record_login, auth_require_tls=False
        )
        self._controller.start()

    def _record_login(self, _server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            self.logins.append((mechanism, data.login.decode(), data.password.decode()))
        else:
            self.logins.append((mechanism, repr(data), ""))
        return AuthResult(success=True)


@pytest.fixture
def attacker() -> Iterator[LoggingInSink]:
    """The SMTP server a realm administrator points the realm's settings at."""
    sink = LoggingInSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def relay() -> Iterator[LoggingInSink]:
    """The operator's own relay, named by MFA_RECOVERY_SMTP_HOST and _PORT."""
    sink = LoggingInSink()
    sink.start()
    yield sink
    sink.stop()


def realm_pointing_at(server: MailSink) -> FakeDirectory:
    """Keycloak, whose realm's ``smtpServer`` names ``server``."""
    return FakeDirectory(smtp_settings={"host": "127.0.0.1", "port": str(server.port), "from": "no-reply@acme.example"})


def operator_settings(mode: Mapping[str, str], **smtp_env: str) -> smtp.SmtpOverrides:
    environ = {**mode, **{f"MFA_RECOVERY_SMTP_{name.upper()}": value for name, value in smtp_env.items()}}
    return smtp.SmtpOverrides.from_settings(Settings.from_env(environ))


def own_relay(relay: MailSink, mode: Mapping[str, str]) -> smtp.SmtpOverrides:
    return operator_settings(mode, host="127.0.0.1", port=str(relay.port), tls="off", user=USER, password=PASSWORD)


def deliver(realm: FakeDirectory, overrides: smtp.SmtpOverrides) -> None:
    Mailer(realm, overrides, transport=smtp.send).deliver("acme", RECIPIENT, MAIL)


# --- the realm's host: never the operator's credentials ------------------------------------------------------


def test_credentials_never_go_to_the_realms_host(attacker: LoggingInSink) -> None:
    overrides = smtp.SmtpOverrides(user=USER, password=PASSWORD)  # credentials, but no host of the operator's

    deliver(realm_pointing_at(attacker), overrides)

    assert attacker.logins == []
    assert [message["To"] for message in attacker.wait_for(1)] == [RECIPIENT]  # sent, without AUTH


def test_the_realms_host_gets_no_credentials_even_where_plain_login_is_allowed(attacker: LoggingInSink) -> None:
    overrides = smtp.SmtpOverrides(user=USER, password=PASSWORD, plaintext_login_allowed=True)

    config = smtp.resolve(realm_pointing_at(attacker).smtp_settings, overrides)
    deliver(realm_pointing_at(attacker), overrides)

    assert (config.user, config.password) == (None, None)
    assert attacker.logins == []


def test_the_operators_host_wins_and_the_realms_host_hears_nothing(
    attacker: LoggingInSink, relay: LoggingInSink
) -> None:
    deliver(realm_pointing_at(attacker), own_relay(relay, DEVELOPMENT))

    assert relay.logins == [("PLAIN", USER, PASSWORD)]
    assert attacker.logins == [] and attacker.messages == []


def test_credentials_without_the_operators_host_are_refused_at_start() -> None:
    for name in ("USER", "PASSWORD"):
        with pytest.raises(ConfigError, match="MFA_RECOVERY_SMTP_HOST"):
            Settings.from_env({f"MFA_RECOVERY_SMTP_{name}": "x"})


# --- the operator's host: TLS, or development ----------------------------------------------------------------


def test_plain_login_to_the_operators_host_is_refused_in_production(relay: LoggingInSink) -> None:
    with pytest.raises(smtp.PlaintextLoginRefused, match="MFA_RECOVERY_SMTP_TLS"):
        deliver(realm_pointing_at(relay), own_relay(relay, PRODUCTION))

    assert relay.logins == [] and relay.messages == []


def test_plain_login_is_refused_when_the_realm_turns_tls_off(relay: LoggingInSink) -> None:
    overrides = operator_settings(PRODUCTION, host="127.0.0.1", port=str(relay.port), user=USER, password=PASSWORD)

    with pytest.raises(smtp.PlaintextLoginRefused):
        smtp.resolve({"from": "no-reply@acme.example", "starttls": "false", "ssl": "false"}, overrides)


def test_a_refused_login_is_a_delivery_error_the_mailer_reports() -> None:
    assert issubclass(smtp.PlaintextLoginRefused, DELIVERY_ERRORS)


def test_plain_login_to_the_operators_host_works_in_development(relay: LoggingInSink) -> None:
    deliver(realm_pointing_at(relay), own_relay(relay, DEVELOPMENT))

    assert relay.logins == [("PLAIN", USER, PASSWORD)]
    assert [message["To"] for message in relay.wait_for(1)] == [RECIPIENT]


def test_with_tls_production_logs_in_to_the_operators_host() -> None:
    overrides = operator_settings(PRODUCTION, host="mail.internal", tls="starttls", user=USER, password=PASSWORD)

    config = smtp.resolve({"from": "no-reply@acme.example", "port": "587"}, overrides)

    assert (config.host, config.port, config.security) == ("mail.internal", 587, "starttls")
    assert (config.user, config.password) == (USER, PASSWORD)


def test_without_credentials_production_sends_in_plain_text(relay: LoggingInSink) -> None:
    overrides = operator_settings(PRODUCTION, host="127.0.0.1", port=str(relay.port), tls="off")

    deliver(realm_pointing_at(relay), overrides)

    assert relay.logins == [] and len(relay.wait_for(1)) == 1


def test_plain_login_is_allowed_only_in_development() -> None:
    assert operator_settings(DEVELOPMENT).plaintext_login_allowed
    assert not operator_settings(PRODUCTION).plaintext_login_allowed
    assert not smtp.SmtpOverrides().plaintext_login_allowed


# --- never printed -------------------------------------------------------------------------------------------


def test_no_repr_shows_the_password() -> None:
    overrides = operator_settings(DEVELOPMENT, host="mail.internal", user=USER, password=PASSWORD)
    config = smtp.resolve({"from": "no-reply@acme.example"}, overrides)

    assert config.password == PASSWORD
    for shown in (repr(overrides), repr(config), str(overrides), str(config)):
        assert PASSWORD not in shown

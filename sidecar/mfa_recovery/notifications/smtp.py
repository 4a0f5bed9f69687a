"""SMTP transport: the realm's SMTP settings from Keycloak, overridden by the sidecar's environment.

Where the sidecar's SMTP user and password may go. The realm's SMTP settings belong to the realm's administrators,
who can point them at any server, so the operator's credentials (``MFA_RECOVERY_SMTP_USER``, ``_PASSWORD``) go only
to the operator's own host (``MFA_RECOVERY_SMTP_HOST``, which replaces the realm's host; the port is ``_PORT`` when
set, else the realm's); mail to the realm's host goes without AUTH. The settings refuse credentials without that
host at start: credentials that can never be used are a mistake the operator should hear about at once, not from
relays that later refuse mail. :func:`resolve` keeps the rule itself too, for overrides however they were built.

Outside development the credentials never travel without TLS: :func:`resolve` refuses such a login
(:class:`PlaintextLoginRefused`) rather than drop the login and send anyway, so the error names the fix. STARTTLS
and SSL verify the server's certificate.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from ..config import Settings
from .mails.layout import Mail

SMTP_TIMEOUT_SECONDS = 10
# A mail with a code is sent while Keycloak waits for the answer (the bridge reads for 5 s at most).
PROMPT_SMTP_TIMEOUT_SECONDS = 3
SECURITIES = ("off", "starttls", "ssl")


class MailNotConfigured(Exception):
    """The realm's and the sidecar's SMTP settings together are missing something (host, sender) or unusable."""


class PlaintextLoginRefused(MailNotConfigured):
    """Outside development, the operator's SMTP password would go over a connection without TLS."""


@dataclass(frozen=True)
class SmtpOverrides:
    """The sidecar's own SMTP settings (environment); each one set wins over the realm's."""

    host: str | None = None
    port: int | None = None
    sender: str | None = None
    security: str | None = None
    user: str | None = None
    password: str | None = None
    # Whether the password may go over SMTP without TLS: development only (from_settings).
    plaintext_login_allowed: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpOverrides:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            security=settings.smtp_tls,
            user=settings.smtp_user,
            password=settings.smtp_password,
            plaintext_login_allowed=not settings.is_production,
        )

    def __repr__(self) -> str:  # never print the password
        return f"SmtpOverrides(host={self.host!r}, port={self.port!r}, sender={self.sender!r})"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    sender_name: str | None
    security: str  # off | starttls | ssl
    user: str | None
    password: str | None = None

    def __repr__(self) -> str:
        return f"SmtpConfig(host={self.host!r}, port={self.port}, sender={self.sender!r}, security={self.security!r})"


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def resolve(realm_smtp: Mapping[str, Any], overrides: SmtpOverrides) -> SmtpConfig:
    """Combine the realm's ``smtpServer`` with the overrides.

    Keycloak masks the realm's SMTP password, so authentication, if any, uses the sidecar's own user and password,
    and only towards the sidecar's own host (see the module's docstring).
    """
    host = overrides.host or _text(realm_smtp, "host")
    if not host:
        raise MailNotConfigured("no SMTP host: set the realm's email settings or MFA_RECOVERY_SMTP_HOST")
    sender = overrides.sender or _text(realm_smtp, "from")
    if not sender:
        raise MailNotConfigured("no sender address: set the realm's 'from' address or MFA_RECOVERY_SMTP_FROM")
    security = overrides.security or _realm_security(realm_smtp)
    port = overrides.port or _realm_port(realm_smtp, security)
    user, password = _login(overrides, host, port, security)
    return SmtpConfig(
        host=host,
        port=port,
        sender=sender,
        sender_name=_text(realm_smtp, "fromDisplayName") or None,
        security=security,
        user=user,
        password=password,
    )


def _text(realm_smtp: Mapping[str, Any], key: str) -> str:
    return str(realm_smtp.get(key) or "").strip()


def _realm_security(realm_smtp: Mapping[str, Any]) -> str:
    if _flag(realm_smtp.get("ssl")):
        return "ssl"
    if _flag(realm_smtp.get("starttls")):
        return "starttls"
    return "off"


def _realm_port(realm_smtp: Mapping[str, Any], security: str) -> int:
    raw = _text(realm_smtp, "port")
    if not raw:
        return 465 if security == "ssl" else 25
    try:
        return int(raw)
    except ValueError:
        raise MailNotConfigured(f"the realm's SMTP port {raw!r} is not a number") from None


def _login(overrides: SmtpOverrides, host: str, port: int, security: str) -> tuple[str | None, str | None]:
    """The operator's user and password when the host in use is the operator's own (the override wins over the
    realm's host, so the host override being set means exactly that); none for a host the realm names."""
    if not overrides.host or not overrides.user:
        return None, None
    if security == "off" and not overrides.plaintext_login_allowed:
        raise PlaintextLoginRefused(
            f"refusing to send the SMTP password to {host}:{port} without TLS: set MFA_RECOVERY_SMTP_TLS to "
            "starttls or ssl (a plain-text login is allowed in development only)"
        )
    return overrides.user, overrides.password


def build_message(config: SmtpConfig, recipient: str, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = formataddr((config.sender_name, config.sender)) if config.sender_name else config.sender
    message["To"] = recipient
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    message["Content-Language"] = mail.language  # after the content: set_content() drops Content-* headers
    return message


def send(config: SmtpConfig, message: EmailMessage, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
    """Deliver one message. Raises ``OSError`` or ``smtplib.SMTPException`` on any failure."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if config.security == "ssl":
        client = smtplib.SMTP_SSL(config.host, config.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=timeout)
    with client:
        if config.security == "starttls":
            client.starttls(context=context)
        if config.user:
            client.login(config.user, config.password or "")
        client.send_message(message)


def send_promptly(config: SmtpConfig, message: EmailMessage) -> None:
    """:func:`send` with a timeout short enough for a mail sent during a sign-in request."""
    send(config, message, timeout=PROMPT_SMTP_TIMEOUT_SECONDS)

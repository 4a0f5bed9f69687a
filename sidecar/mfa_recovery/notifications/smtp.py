"""SMTP transport: the realm's SMTP settings from Keycloak, overridden by the sidecar's environment."""

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
    """Neither the realm nor the sidecar's environment names an SMTP host or a sender address."""


@dataclass(frozen=True)
class SmtpOverrides:
    """The sidecar's own SMTP settings (environment); each one set wins over the realm's."""

    host: str | None = None
    port: int | None = None
    sender: str | None = None
    security: str | None = None
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpOverrides:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            security=settings.smtp_tls,
            user=settings.smtp_user,
            password=settings.smtp_password,
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

    Keycloak masks the realm's SMTP password, so authentication, if any, uses the sidecar's own user and password.
    """
    host = overrides.host or str(realm_smtp.get("host") or "").strip()
    if not host:
        raise MailNotConfigured("no SMTP host: set the realm's email settings or MFA_RECOVERY_SMTP_HOST")
    sender = overrides.sender or str(realm_smtp.get("from") or "").strip()
    if not sender:
        raise MailNotConfigured("no sender address: set the realm's 'from' address or MFA_RECOVERY_SMTP_FROM")
    if overrides.security:
        security = overrides.security
    elif _flag(realm_smtp.get("ssl")):
        security = "ssl"
    elif _flag(realm_smtp.get("starttls")):
        security = "starttls"
    else:
        security = "off"
    port = overrides.port
    if port is None:
        raw = str(realm_smtp.get("port") or "").strip()
        try:
            port = int(raw) if raw else (465 if security == "ssl" else 25)
        except ValueError:
            raise MailNotConfigured(f"the realm's SMTP port {raw!r} is not a number") from None
    display = str(realm_smtp.get("fromDisplayName") or "").strip() or None
    return SmtpConfig(
        host=host,
        port=port,
        sender=sender,
        sender_name=display,
        security=security,
        user=overrides.user,
        password=overrides.password,
    )


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

"""Sending one mail now: the realm's SMTP settings (through Keycloak) with the sidecar's overrides.

Used at once by mails that carry a code (the code is never stored, so it cannot wait in the outbox), and by the
outbox sender for each queued row.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from email.message import EmailMessage

from ..admin.errors import KeycloakUnavailable
from ..directory import Directory
from ..observability.logs import redact
from . import smtp
from .mails.layout import Mail

logger = logging.getLogger(__name__)

Transport = Callable[[smtp.SmtpConfig, EmailMessage], None]

# What can go wrong on the way out, short of a bug: Keycloak, the configuration, the network, the SMTP server.
DELIVERY_ERRORS = (KeycloakUnavailable, smtp.MailNotConfigured, OSError, smtplib.SMTPException)


class MailNotSent(Exception):
    """The mail did not go out. ``reason`` names the kind of failure (no addresses, fit for the audit trail)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Mailer:
    def __init__(self, directory: Directory, overrides: smtp.SmtpOverrides, transport: Transport = smtp.send) -> None:
        self._directory = directory
        self._overrides = overrides
        self._transport = transport

    def deliver(self, realm: str, recipient: str, mail: Mail) -> None:
        """Send ``mail``. Raises one of :data:`DELIVERY_ERRORS`, or ``ValueError`` when the message cannot be
        built (e.g. a line break in an address)."""
        config = smtp.resolve(self._directory.realm_smtp(realm), self._overrides)
        self._transport(config, smtp.build_message(config, recipient, mail))

    def send_now(self, realm: str, recipient: str, mail: Mail) -> None:
        """Send ``mail`` at once; raises :class:`MailNotSent` on any failure of delivery."""
        try:
            self.deliver(realm, recipient, mail)
        except (*DELIVERY_ERRORS, ValueError) as exc:
            logger.warning("mail %r in realm %s not sent: %s", mail.subject, realm, describe(exc))
            raise MailNotSent(type(exc).__name__) from exc


def describe(exc: BaseException) -> str:
    """The error's class and text, for logs and the outbox: an SMTP server's answer often names the recipient
    (``SMTPRecipientsRefused`` is a dict keyed by address), so addresses and anything like a code are redacted."""
    text = redact(str(exc).strip())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

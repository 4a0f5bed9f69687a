"""Delivery of queued notifications: look the user up in Keycloak, render, send; retry with backoff.

Nothing here raises into a request: the sign-in path only writes the outbox row, and every failure of a
delivery (Keycloak or SMTP down, no address) is recorded on the row and in the audit trail.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from ..audit.log import Auditor
from ..keycloak_admin import DirectoryUnavailable
from . import messages, smtp
from .directory import ContactDirectory
from .outbox import BACKUP_CODE_SIGNIN, MAX_ATTEMPTS, Notification, Outbox

logger = logging.getLogger(__name__)

ACTOR = "notifications"
POLL_INTERVAL_SECONDS = 1.0
BATCH_SIZE = 20


class PermanentFailure(Exception):
    """Retrying cannot help (no such user, no address)."""


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another worker first


class NotificationSender:
    def __init__(
        self,
        outbox: Outbox,
        directory: ContactDirectory,
        overrides: smtp.SmtpOverrides,
        audit: Auditor,
        *,
        warning_threshold: Callable[[str], int | None] = lambda _realm: None,
        transport: Callable[[smtp.SmtpConfig, EmailMessage], None] = smtp.send,
    ) -> None:
        self._outbox = outbox
        self._directory = directory
        self._overrides = overrides
        self._audit = audit
        self._warning_threshold = warning_threshold
        self._transport = transport

    def run_once(self, limit: int = BATCH_SIZE) -> SendReport:
        """One pass over the rows that are due."""
        report = SendReport()
        for notification in self._outbox.due(limit):
            if not self._outbox.claim(notification.id):
                report.skipped += 1
                continue
            attempts = notification.attempts + 1  # the claim counted this attempt
            try:
                self._deliver(notification)
            except PermanentFailure as exc:
                self._give_up(notification, attempts, str(exc))
                report.failed += 1
            except (DirectoryUnavailable, smtp.MailNotConfigured, OSError, smtplib.SMTPException) as exc:
                self._retry_or_give_up(notification, attempts, _describe(exc), report)
            except Exception as exc:  # a bug must not stop the other deliveries
                logger.exception("notification %s: unexpected error", notification.id)
                self._retry_or_give_up(notification, attempts, _describe(exc), report)
            else:
                self._outbox.mark_sent(notification.id)
                self._audit.record(
                    realm=notification.realm,
                    actor=ACTOR,
                    subject=notification.user_id,
                    action="notification.sent",
                    outcome="ok",
                    detail={"id": notification.id, "kind": notification.kind, "attempts": attempts},
                )
                report.sent += 1
        return report

    def _deliver(self, notification: Notification) -> None:
        if notification.kind != BACKUP_CODE_SIGNIN:
            raise PermanentFailure(f"unknown kind {notification.kind!r}")
        contact = self._directory.user_contact(notification.realm, notification.user_id)
        if contact is None:
            raise PermanentFailure("user not found")
        if not contact.email:
            raise PermanentFailure("user has no email address")
        config = smtp.resolve(self._directory.realm_smtp(notification.realm), self._overrides)
        mail = messages.backup_code_signin(
            locale=contact.locale,
            first_name=contact.first_name,
            realm=notification.realm,
            occurred_at=notification.occurred_at,
            ip=notification.ip,
            user_agent=notification.user_agent,
            codes_left=notification.codes_left,
            warning_threshold=self._warning_threshold(notification.realm),
        )
        try:
            message = smtp.build_message(config, contact.email, mail)
        except ValueError as exc:  # e.g. a line break in an address
            raise PermanentFailure(f"cannot build the message: {exc}") from exc
        self._transport(config, message)

    def _retry_or_give_up(self, notification: Notification, attempts: int, error: str, report: SendReport) -> None:
        if attempts >= MAX_ATTEMPTS:
            self._give_up(notification, attempts, error)
            report.failed += 1
            return
        next_attempt_at = self._outbox.mark_retry(notification.id, attempts, error)
        logger.warning("notification %s failed (attempt %s), retry at %s: %s", notification.id, attempts,
                       next_attempt_at.isoformat(), error)  # fmt: skip
        self._audit_failure(notification, attempts, error, final=False, next_attempt_at=next_attempt_at)
        report.retried += 1

    def _give_up(self, notification: Notification, attempts: int, error: str) -> None:
        self._outbox.mark_failed(notification.id, error)
        logger.error("notification %s given up after %s attempt(s): %s", notification.id, attempts, error)
        self._audit_failure(notification, attempts, error, final=True, next_attempt_at=None)

    def _audit_failure(
        self, notification: Notification, attempts: int, error: str, *, final: bool, next_attempt_at: datetime | None
    ) -> None:
        detail: dict[str, Any] = {
            "id": notification.id,
            "kind": notification.kind,
            "attempts": attempts,
            "error": error,
            "final": final,
        }
        if next_attempt_at is not None:
            detail["next_attempt_at"] = next_attempt_at.isoformat()
        self._audit.record(
            realm=notification.realm,
            actor=ACTOR,
            subject=notification.user_id,
            action="notification.failed",
            outcome="given_up" if final else "retry",
            detail=detail,
        )


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class SenderThread:
    """Runs :meth:`NotificationSender.run_once` about every second in a daemon thread, until stopped."""

    def __init__(self, sender: NotificationSender, interval: float = POLL_INTERVAL_SECONDS) -> None:
        self._sender = sender
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mfa-recovery-notifications", daemon=True)

    def start(self) -> SenderThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._sender.run_once()
            except Exception:  # e.g. the store is down: log, wait, try again
                logger.exception("notification sender pass failed")
            self._stop.wait(self._interval)

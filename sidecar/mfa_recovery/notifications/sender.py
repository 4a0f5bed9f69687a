"""Delivery of queued notifications: look the recipient up in Keycloak, render, send; retry with backoff.

Nothing here raises into a request: the sign-in path only writes the outbox row, and every failure of a
delivery (Keycloak or SMTP down, no address) is recorded on the row and in the audit trail.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..audit.log import Auditor
from ..directory import Directory, UserContact
from .mailer import DELIVERY_ERRORS, Mailer, describe
from .mails.backup_code_signin import backup_code_signin
from .mails.backup_codes_activated import backup_codes_activated
from .mails.backup_email_changed import backup_email_changed
from .mails.desk_decided import desk_approved, desk_rejected
from .mails.desk_request_filed import desk_request_filed
from .mails.email_code_signin import email_code_signin
from .mails.layout import Mail, Occurrence
from .mails.mfa_disabled import mfa_disabled
from .mails.supervisor_notice import supervisor_notice
from .outbox import (
    BACKUP_CODE_SIGNIN,
    BACKUP_CODES_ACTIVATED,
    BACKUP_EMAIL_CHANGED,
    DESK_APPROVED,
    DESK_REJECTED,
    DESK_REQUEST_FILED,
    EMAIL_CODE_SIGNIN,
    MAX_ATTEMPTS,
    MFA_DISABLED,
    SUPERVISOR_NOTICE,
    Outbox,
)
from .repository import Notification

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
        directory: Directory,
        mailer: Mailer,
        audit: Auditor,
        *,
        warning_threshold: Callable[[str], int | None] = lambda _realm: None,
    ) -> None:
        self._outbox = outbox
        self._directory = directory
        self._mailer = mailer
        self._audit = audit
        self._warning_threshold = warning_threshold
        self._renderers: dict[str, Callable[[Notification, UserContact], Mail]] = {
            BACKUP_CODE_SIGNIN: self._backup_code_signin,
            EMAIL_CODE_SIGNIN: _email_code_signin,
            BACKUP_EMAIL_CHANGED: _backup_email_changed,
            BACKUP_CODES_ACTIVATED: _backup_codes_activated,
            SUPERVISOR_NOTICE: _supervisor_notice,
            MFA_DISABLED: _mfa_disabled,
            DESK_REQUEST_FILED: _desk_request_filed,
            DESK_APPROVED: _desk_approved,
            DESK_REJECTED: _desk_rejected,
        }

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
            except DELIVERY_ERRORS as exc:
                self._retry_or_give_up(notification, attempts, describe(exc), report)
            except Exception as exc:  # a bug must not stop the other deliveries
                logger.exception("notification %s: unexpected error", notification.id)
                self._retry_or_give_up(notification, attempts, describe(exc), report)
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
        render = self._renderers.get(notification.kind)
        if render is None:
            raise PermanentFailure(f"unknown kind {notification.kind!r}")
        recipient = notification.user_id
        if notification.kind == SUPERVISOR_NOTICE:
            recipient = str(notification.detail.get("supervisor_id") or "")
            if not recipient:
                raise PermanentFailure("no supervisor in the notice")
        contact = self._directory.user_contact(notification.realm, recipient)
        if contact is None:
            raise PermanentFailure("user not found")
        if not contact.email:
            raise PermanentFailure("user has no email address")
        try:
            self._mailer.deliver(notification.realm, contact.email, render(notification, contact))
        except ValueError as exc:  # e.g. a line break in an address
            raise PermanentFailure(f"cannot build the message: {exc}") from exc

    def _backup_code_signin(self, notification: Notification, contact: UserContact) -> Mail:
        return backup_code_signin(
            locale=contact.locale,
            first_name=contact.first_name,
            event=_occurrence(notification),
            codes_left=notification.codes_left,
            warning_threshold=self._warning_threshold(notification.realm),
        )

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


def _occurrence(notification: Notification) -> Occurrence:
    return Occurrence(notification.realm, notification.occurred_at, notification.ip, notification.user_agent)


def _text(notification: Notification, name: str) -> str | None:
    value = notification.detail.get(name)
    return value if isinstance(value, str) and value else None


def _user_locale(notification: Notification, contact: UserContact) -> str | None:
    """The user's own locale; else the one of the page they were on when it happened."""
    return contact.locale or _text(notification, "locale")


def _email_code_signin(notification: Notification, contact: UserContact) -> Mail:
    return email_code_signin(
        locale=_user_locale(notification, contact),
        first_name=contact.first_name,
        event=_occurrence(notification),
        address_hint=_text(notification, "address_hint"),
    )


def _backup_codes_activated(notification: Notification, contact: UserContact) -> Mail:
    return backup_codes_activated(
        locale=_user_locale(notification, contact),
        first_name=contact.first_name,
        event=_occurrence(notification),
        codes_in_set=notification.codes_left,
    )


def _backup_email_changed(notification: Notification, contact: UserContact) -> Mail:
    return backup_email_changed(
        locale=_user_locale(notification, contact),
        first_name=contact.first_name,
        event=_occurrence(notification),
        address_hint=_text(notification, "address_hint"),
        previous_hint=_text(notification, "previous_hint"),
    )


def _supervisor_notice(notification: Notification, supervisor: UserContact) -> Mail:
    username = _text(notification, "employee_username") or notification.user_id
    return supervisor_notice(
        locale=supervisor.locale,
        first_name=supervisor.first_name,
        employee_name=_text(notification, "employee_name") or username,
        employee_username=username,
        link=_text(notification, "link") or "",
        event=_occurrence(notification),
    )


def _mfa_disabled(notification: Notification, contact: UserContact) -> Mail:
    return mfa_disabled(
        locale=contact.locale,
        first_name=contact.first_name,
        event=_occurrence(notification),
        enrol_again=notification.detail.get("enrol_again") is True,
        administrator=_text(notification, "administrator"),
    )


def _desk_request_filed(notification: Notification, contact: UserContact) -> Mail:
    case_number = _text(notification, "case_number")
    if case_number is None:
        raise PermanentFailure("no case number in the notice")
    return desk_request_filed(
        locale=_user_locale(notification, contact),
        first_name=contact.first_name,
        event=_occurrence(notification),
        case_number=case_number,
    )


def _case_number(notification: Notification) -> str:
    case_number = _text(notification, "case_number")
    if case_number is None:
        raise PermanentFailure("no case number in the notice")
    return case_number


def _desk_approved(notification: Notification, contact: UserContact) -> Mail:
    return desk_approved(
        locale=_user_locale(notification, contact),
        first_name=contact.first_name,
        event=_occurrence(notification),
        case_number=_case_number(notification),
    )


def _desk_rejected(notification: Notification, contact: UserContact) -> Mail:
    return desk_rejected(
        locale=_user_locale(notification, contact),
        first_name=contact.first_name,
        event=_occurrence(notification),
        case_number=_case_number(notification),
        reason=_text(notification, "reason") or "",
    )


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

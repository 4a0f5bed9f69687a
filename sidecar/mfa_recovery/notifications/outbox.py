"""The outbox: queued mails, claimed atomically so several workers never send twice, retried with backoff."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ..store.transactions import Transaction
from .repository import Notification, OutboxRepository

# Kinds of queued mail. All go to the user's primary address except the supervisor notice, which goes to their
# supervisor.
BACKUP_CODE_SIGNIN = "backup_code_signin"
EMAIL_CODE_SIGNIN = "email_code_signin"
BACKUP_EMAIL_CHANGED = "backup_email_changed"
BACKUP_CODES_ACTIVATED = "backup_codes_activated"  # a new set replaced the old one (codes_left: the set's size)
SUPERVISOR_NOTICE = "supervisor_notice"
MFA_DISABLED = "mfa_disabled"  # an administrator switched off the user's MFA (detail: enrol_again)
DESK_REQUEST_FILED = "desk_request_filed"  # a recovery request at the desk names the account (detail: case_number)
DESK_APPROVED = "desk_approved"  # an operator approved the case: MFA reset (detail: case_number)
DESK_REJECTED = "desk_rejected"  # an operator rejected the case (detail: case_number, reason)

MAX_ATTEMPTS = 10
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
# A claim older than this belongs to a worker that died mid-delivery; the row may be claimed again.
CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_ERROR_LENGTH = 500


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the ``attempts``-th failed delivery: 30 s, 60 s, 120 s, … capped at 1 h."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


class Outbox:
    """Mails waiting for the sender (:mod:`.sender`): queued when something happened to an account, claimed
    atomically for delivery (so several workers never send one twice), retried with backoff."""

    def __init__(self, repository: OutboxRepository, clock: Callable[[], datetime]) -> None:
        self._repository = repository
        self._clock = clock

    def enqueue(
        self,
        *,
        realm: str,
        user_id: str,
        kind: str,
        occurred_at: datetime,
        ip: str | None,
        user_agent: str | None,
        codes_left: int | None = None,
        detail: Mapping[str, Any] | None = None,
        within: Transaction | None = None,
    ) -> int:
        """Queue a mail of ``kind``, due at once (``within``: when that transaction commits); returns its id."""
        return self._repository.add(
            realm=realm,
            user_id=user_id,
            kind=kind,
            occurred_at=occurred_at,
            ip=ip,
            user_agent=user_agent,
            codes_left=codes_left,
            detail=detail,
            due_at=self._clock(),
            within=within,
        )

    def due(self, limit: int = 20) -> list[Notification]:
        """Rows ready for delivery, oldest first (a hint: only :meth:`claim` decides who sends)."""
        now = self._clock()
        return self._repository.claimable(now, now - CLAIM_TIMEOUT, limit)

    def claim(self, notification_id: int) -> bool:
        """Take the row for delivery; True for exactly one caller (counted as an attempt)."""
        now = self._clock()
        return self._repository.claim(notification_id, now, now - CLAIM_TIMEOUT)

    def mark_sent(self, notification_id: int) -> None:
        self._repository.mark_sent(notification_id, self._clock())

    def mark_failed(self, notification_id: int, error: str) -> None:
        """Give up on the row for good."""
        self._repository.mark_failed(notification_id, error[:MAX_ERROR_LENGTH])

    def mark_retry(self, notification_id: int, attempts: int, error: str) -> datetime:
        """Release the claim and schedule the next attempt; returns when it is due."""
        next_attempt_at = self._clock() + retry_delay(attempts)
        self._repository.schedule_retry(notification_id, next_attempt_at, error[:MAX_ERROR_LENGTH])
        return next_attempt_at

    def queued_since(self, realm: str, user_id: str, kind: str, since: datetime) -> list[datetime]:
        """When the user's notifications of ``kind`` after ``since`` occurred (any status), oldest first."""
        return self._repository.occurred_since(realm, user_id, kind, since)

    def get(self, notification_id: int) -> dict[str, object] | None:
        """The raw row (for operators and tests)."""
        return self._repository.get(notification_id)

    def pending(self) -> int:
        """Notifications waiting to be sent (the outbox depth)."""
        return self._repository.pending_count()

"""The ``notification_outbox`` table: queued mails, claimed atomically so several workers never send twice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, insert, or_, select, update

from ..store.tables import notification_outbox as outbox
from ..store.times import aware

# Kinds of queued mail. All go to the user's primary address except the supervisor notice, which goes to their
# supervisor.
BACKUP_CODE_SIGNIN = "backup_code_signin"
EMAIL_CODE_SIGNIN = "email_code_signin"
BACKUP_EMAIL_CHANGED = "backup_email_changed"
BACKUP_CODES_ACTIVATED = "backup_codes_activated"  # a new set replaced the old one (codes_left: the set's size)
SUPERVISOR_NOTICE = "supervisor_notice"
MFA_DISABLED = "mfa_disabled"  # an administrator switched off the user's MFA (detail: enrol_again)

PENDING = "pending"
SENT = "sent"
FAILED = "failed"

MAX_ATTEMPTS = 10
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
# A claim older than this belongs to a worker that died mid-delivery; the row may be claimed again.
CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_ERROR_LENGTH = 500


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the ``attempts``-th failed delivery: 30 s, 60 s, 120 s, … capped at 1 h."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


@dataclass(frozen=True)
class Notification:
    id: int
    realm: str
    user_id: str
    kind: str
    occurred_at: datetime
    ip: str | None
    user_agent: str | None
    codes_left: int | None
    attempts: int
    detail: Mapping[str, Any] = field(default_factory=dict)


class Outbox:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine = engine
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
    ) -> int:
        values = {
            "realm": realm,
            "user_id": user_id,
            "kind": kind,
            "occurred_at": occurred_at,
            "ip": ip,
            "user_agent": user_agent,
            "codes_left": codes_left,
            "detail": dict(detail) if detail is not None else None,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": self._clock(),
        }
        with self._engine.begin() as conn:
            return int(conn.execute(insert(outbox).values(**values)).inserted_primary_key[0])

    @staticmethod
    def _claimable(now: datetime) -> tuple[ColumnElement[bool], ...]:
        return (
            outbox.c.status == PENDING,
            outbox.c.next_attempt_at <= now,
            or_(outbox.c.claimed_at.is_(None), outbox.c.claimed_at <= now - CLAIM_TIMEOUT),
        )

    def due(self, limit: int = 20) -> list[Notification]:
        """Rows ready for delivery, oldest first (a hint: only :meth:`claim` decides who sends)."""
        query = select(outbox).where(*self._claimable(self._clock())).order_by(outbox.c.id).limit(limit)
        with self._engine.connect() as conn:
            return [
                Notification(
                    id=row.id,
                    realm=row.realm,
                    user_id=row.user_id,
                    kind=row.kind,
                    occurred_at=row.occurred_at,
                    ip=row.ip,
                    user_agent=row.user_agent,
                    codes_left=row.codes_left,
                    attempts=row.attempts,
                    detail=row.detail or {},
                )
                for row in conn.execute(query)
            ]

    def claim(self, notification_id: int) -> bool:
        """Take the row for delivery; True for exactly one caller (conditional UPDATE, counted as an attempt)."""
        now = self._clock()
        statement = (
            update(outbox)
            .where(outbox.c.id == notification_id, *self._claimable(now))
            .values(claimed_at=now, attempts=outbox.c.attempts + 1)
        )
        with self._engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def mark_sent(self, notification_id: int) -> None:
        self._finish(notification_id, status=SENT, sent_at=self._clock(), last_error=None)

    def mark_failed(self, notification_id: int, error: str) -> None:
        """Give up on the row for good."""
        self._finish(notification_id, status=FAILED, claimed_at=None, last_error=error[:MAX_ERROR_LENGTH])

    def mark_retry(self, notification_id: int, attempts: int, error: str) -> datetime:
        """Release the claim and schedule the next attempt; returns when it is due."""
        next_attempt_at = self._clock() + retry_delay(attempts)
        self._finish(
            notification_id,
            claimed_at=None,
            next_attempt_at=next_attempt_at,
            last_error=error[:MAX_ERROR_LENGTH],
        )
        return next_attempt_at

    def _finish(self, notification_id: int, **values: object) -> None:
        with self._engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == notification_id).values(**values))

    def queued_since(self, realm: str, user_id: str, kind: str, since: datetime) -> list[datetime]:
        """When the user's notifications of ``kind`` after ``since`` occurred (any status), oldest first."""
        query = (
            select(outbox.c.occurred_at)
            .where(outbox.c.realm == realm, outbox.c.user_id == user_id, outbox.c.kind == kind)
            .where(outbox.c.occurred_at > since)
            .order_by(outbox.c.occurred_at)
        )
        with self._engine.connect() as conn:
            return [aware(moment, since) for moment in conn.execute(query).scalars()]

    def get(self, notification_id: int) -> dict[str, object] | None:
        """The raw row (for operators and tests)."""
        with self._engine.connect() as conn:
            row = conn.execute(select(outbox).where(outbox.c.id == notification_id)).first()
        return None if row is None else dict(row._mapping)

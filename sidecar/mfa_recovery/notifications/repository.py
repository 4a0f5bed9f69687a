"""What the outbox needs from storage (:class:`OutboxRepository`): the queued notifications; and its SQL
implementation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Engine, func, insert, or_, select, update

from ..store.tables import notification_outbox as outbox
from ..store.times import aware
from ..store.transactions import Transaction, joined

# What became of a queued notification.
PENDING = "pending"
SENT = "sent"
FAILED = "failed"


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


class OutboxRepository(Protocol):
    """Queued notifications, each pending until it is sent or given up. A notification is *claimable* while it is
    pending, due (``next_attempt_at`` passed) and not claimed, or claimed only before ``stale_before`` (by a worker
    that died mid-delivery)."""

    def add(
        self,
        *,
        realm: str,
        user_id: str,
        kind: str,
        occurred_at: datetime,
        ip: str | None,
        user_agent: str | None,
        codes_left: int | None,
        detail: Mapping[str, Any] | None,
        due_at: datetime,
        within: Transaction | None = None,
    ) -> int:
        """Queue a pending notification, due at ``due_at``, in a transaction of its own (or ``within``); returns
        its id."""

    def claimable(self, now: datetime, stale_before: datetime, limit: int) -> list[Notification]:
        """Up to ``limit`` claimable notifications, oldest first."""

    def claim(self, notification_id: int, now: datetime, stale_before: datetime) -> bool:
        """Take the notification for delivery if it is claimable, counting an attempt: True for exactly one caller,
        however many workers try at once."""

    def mark_sent(self, notification_id: int, sent_at: datetime) -> None:
        """It was delivered."""

    def mark_failed(self, notification_id: int, error: str) -> None:
        """It is given up for good; its claim is released."""

    def schedule_retry(self, notification_id: int, due_at: datetime, error: str) -> None:
        """Its claim is released; it is due again at ``due_at``."""

    def occurred_since(self, realm: str, user_id: str, kind: str, since: datetime) -> list[datetime]:
        """When the user's notifications of ``kind`` after ``since`` occurred (any status), oldest first."""

    def get(self, notification_id: int) -> dict[str, object] | None:
        """The stored row as it is (for operators and tests)."""

    def pending_count(self) -> int:
        """How many notifications are pending (not yet sent, not given up), due or not."""


class SqlOutboxRepository:
    """:class:`OutboxRepository` in the ``notification_outbox`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(
        self,
        *,
        realm: str,
        user_id: str,
        kind: str,
        occurred_at: datetime,
        ip: str | None,
        user_agent: str | None,
        codes_left: int | None,
        detail: Mapping[str, Any] | None,
        due_at: datetime,
        within: Transaction | None = None,
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
            "next_attempt_at": due_at,
        }
        with joined(self._engine, within) as conn:
            key = conn.execute(insert(outbox).values(**values)).inserted_primary_key
            if key is None:  # pragma: no cover - the INSERT of one row always gives its key
                raise RuntimeError("the store gave no id for the queued notification")
            return int(key[0])

    def claimable(self, now: datetime, stale_before: datetime, limit: int) -> list[Notification]:
        query = select(outbox).where(*_claimable(now, stale_before)).order_by(outbox.c.id).limit(limit)
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

    def claim(self, notification_id: int, now: datetime, stale_before: datetime) -> bool:
        # One conditional UPDATE: the database serialises concurrent writers, and only the first one still finds
        # the row claimable.
        statement = (
            update(outbox)
            .where(outbox.c.id == notification_id, *_claimable(now, stale_before))
            .values(claimed_at=now, attempts=outbox.c.attempts + 1)
        )
        with self._engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def mark_sent(self, notification_id: int, sent_at: datetime) -> None:
        self._update(notification_id, status=SENT, sent_at=sent_at, last_error=None)

    def mark_failed(self, notification_id: int, error: str) -> None:
        self._update(notification_id, status=FAILED, claimed_at=None, last_error=error)

    def schedule_retry(self, notification_id: int, due_at: datetime, error: str) -> None:
        self._update(notification_id, claimed_at=None, next_attempt_at=due_at, last_error=error)

    def _update(self, notification_id: int, **values: object) -> None:
        with self._engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == notification_id).values(**values))

    def occurred_since(self, realm: str, user_id: str, kind: str, since: datetime) -> list[datetime]:
        query = (
            select(outbox.c.occurred_at)
            .where(outbox.c.realm == realm, outbox.c.user_id == user_id, outbox.c.kind == kind)
            .where(outbox.c.occurred_at > since)
            .order_by(outbox.c.occurred_at)
        )
        with self._engine.connect() as conn:
            return [aware(moment, since) for moment in conn.execute(query).scalars()]

    def get(self, notification_id: int) -> dict[str, object] | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(outbox).where(outbox.c.id == notification_id)).first()
        return None if row is None else dict(row._mapping)

    def pending_count(self) -> int:
        query = select(func.count()).select_from(outbox).where(outbox.c.status == PENDING)
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


def _claimable(now: datetime, stale_before: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        outbox.c.status == PENDING,
        outbox.c.next_attempt_at <= now,
        or_(outbox.c.claimed_at.is_(None), outbox.c.claimed_at <= stale_before),
    )

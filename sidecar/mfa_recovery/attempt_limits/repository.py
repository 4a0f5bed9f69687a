"""What the failure limits need from storage (:class:`FailureRepository`), and its SQL implementation."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine, and_, case, delete, select, update

from ..store.tables import recovery_failures
from ..store.transactions import Transaction, joined
from ..store.upsert import insert_if_missing


class FailureRepository(Protocol):
    """Counted failures and locks per realm and subject (a user id, or a source address's subject). Shared by every
    sidecar replica."""

    def locked_until(self, realm: str, subject: str) -> datetime | None:
        """When the subject's lock ends (it may have ended already); None when it was never locked or has been
        reset since."""

    def count_failure(
        self,
        realm: str,
        subject: str,
        now: datetime,
        window_start: datetime,
        limit: int,
        lock_until: datetime,
        within: Transaction | None = None,
    ) -> bool:
        """Count one failure of the subject and return whether it locked the subject. A count whose window started
        at or before ``window_start`` starts again with this failure (its window starting ``now``); the failure
        that brings the count to ``limit`` locks the subject until ``lock_until`` and starts a clean count.

        Counts atomically: one transaction that starts with a write (or ``within``, which holds the store's write
        lock already), so that concurrent failures, on any replica, are all counted and each sees the count its own
        failure made."""

    def reset(self, realm: str, subject: str, within: Transaction | None = None) -> None:
        """Forget the subject's count and lock."""


class SqlFailureRepository:
    """:class:`FailureRepository` in the ``recovery_failures`` table (one row per realm and subject)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def locked_until(self, realm: str, subject: str) -> datetime | None:
        query = select(recovery_failures.c.locked_until).where(
            recovery_failures.c.realm == realm, recovery_failures.c.user_id == subject
        )
        with self._engine.connect() as conn:
            locked_until: datetime | None = conn.execute(query).scalar_one_or_none()
        return locked_until

    def count_failure(
        self,
        realm: str,
        subject: str,
        now: datetime,
        window_start: datetime,
        limit: int,
        lock_until: datetime,
        within: Transaction | None = None,
    ) -> bool:
        key = and_(recovery_failures.c.realm == realm, recovery_failures.c.user_id == subject)
        window_over = recovery_failures.c.window_started_at <= window_start
        with joined(self._engine, within) as conn:
            insert_if_missing(
                conn,
                recovery_failures,
                {"realm": realm, "user_id": subject, "failures": 0, "window_started_at": now, "locked_until": None},
                keys=("realm", "user_id"),
            )
            # Atomic increment; a window that is over starts again with this failure.
            conn.execute(
                update(recovery_failures)
                .where(key)
                .values(
                    failures=case((window_over, 1), else_=recovery_failures.c.failures + 1),
                    window_started_at=case((window_over, now), else_=recovery_failures.c.window_started_at),
                )
            )
            # This transaction holds the row's write lock, so it reads its own increment.
            failures = conn.execute(select(recovery_failures.c.failures).where(key)).scalar_one()
            if failures < limit:
                return False
            conn.execute(
                update(recovery_failures).where(key).values(failures=0, window_started_at=now, locked_until=lock_until)
            )
        return True

    def reset(self, realm: str, subject: str, within: Transaction | None = None) -> None:
        with joined(self._engine, within) as conn:
            conn.execute(
                delete(recovery_failures).where(
                    recovery_failures.c.realm == realm, recovery_failures.c.user_id == subject
                )
            )

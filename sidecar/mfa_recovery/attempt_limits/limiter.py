"""Failure limit: N failed verifications within a window lock recovery for a while.

The state lives in the ``recovery_failures`` table (one row per realm and user). Every change is one
transaction that starts with a write, so concurrent failures on several replicas are all counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, case, delete, select, update

from ..store.tables import recovery_failures
from ..store.times import aware, seconds_until
from ..store.upsert import insert_if_missing


@dataclass(frozen=True)
class FailurePolicy:
    limit: int = 5
    window_seconds: int = 900
    lockout_seconds: int = 900


@dataclass(frozen=True)
class LockState:
    locked: bool
    retry_after_seconds: int = 0


UNLOCKED = LockState(False)


def failure_detail(after: LockState) -> dict[str, object]:
    """For the audit trail of a counted failure: whether it started a lockout, and for how long."""
    if not after.locked:
        return {}
    return {"lockout_started": True, "retry_after_seconds": after.retry_after_seconds}


class FailureLimiter:
    def __init__(self, engine: Engine, policy: FailurePolicy, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._policy = policy
        self._clock = clock

    def state(self, realm: str, user_id: str) -> LockState:
        now = self._clock()
        query = select(recovery_failures.c.locked_until).where(
            recovery_failures.c.realm == realm, recovery_failures.c.user_id == user_id
        )
        with self._engine.connect() as conn:
            locked_until = conn.execute(query).scalar_one_or_none()
        return self._lock_state(locked_until, now)

    def record_failure(self, realm: str, user_id: str) -> LockState:
        """Count one failure; lock when the limit is reached. Returns the state after this failure."""
        now = self._clock()
        window_start = now - timedelta(seconds=self._policy.window_seconds)
        key = and_(recovery_failures.c.realm == realm, recovery_failures.c.user_id == user_id)
        window_over = recovery_failures.c.window_started_at <= window_start
        with self._engine.begin() as conn:
            insert_if_missing(
                conn,
                recovery_failures,
                {"realm": realm, "user_id": user_id, "failures": 0, "window_started_at": now, "locked_until": None},
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
            if failures < self._policy.limit:
                return UNLOCKED
            locked_until = now + timedelta(seconds=self._policy.lockout_seconds)
            # After the lockout the user starts with a clean count.
            conn.execute(
                update(recovery_failures)
                .where(key)
                .values(failures=0, window_started_at=now, locked_until=locked_until)
            )
        return self._lock_state(locked_until, now)

    def reset(self, realm: str, user_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(recovery_failures).where(
                    recovery_failures.c.realm == realm, recovery_failures.c.user_id == user_id
                )
            )

    @staticmethod
    def _lock_state(locked_until: datetime | None, now: datetime) -> LockState:
        if locked_until is None or aware(locked_until, now) <= now:
            return UNLOCKED
        return LockState(True, seconds_until(locked_until, now))

"""Failure limit: N failed verifications within a window lock recovery for a while.

The counts live in the store (:mod:`.repository`, one row per realm and user), so the limit spans sidecar replicas;
every failure is counted atomically there, so concurrent failures on several replicas are all counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..store.times import aware, seconds_until
from ..store.transactions import Transaction
from .repository import FailureRepository


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
    """One failure limit (``policy``) over the counts in ``repository``."""

    def __init__(self, repository: FailureRepository, policy: FailurePolicy, clock: Callable[[], datetime]) -> None:
        self._repository = repository
        self._policy = policy
        self._clock = clock

    def state(self, realm: str, user_id: str) -> LockState:
        now = self._clock()
        return self._lock_state(self._repository.locked_until(realm, user_id), now)

    def record_failure(self, realm: str, user_id: str, within: Transaction | None = None) -> LockState:
        """Count one failure; lock when the limit is reached. Returns the state after this failure. Concurrent
        failures, on any replica, are all counted. ``within``: the transaction it commits with."""
        now = self._clock()
        window_start = now - timedelta(seconds=self._policy.window_seconds)
        locked_until = now + timedelta(seconds=self._policy.lockout_seconds)
        if not self._repository.count_failure(
            realm, user_id, now, window_start, self._policy.limit, locked_until, within
        ):
            return UNLOCKED
        return self._lock_state(locked_until, now)

    def reset(self, realm: str, user_id: str, within: Transaction | None = None) -> None:
        self._repository.reset(realm, user_id, within)

    @staticmethod
    def _lock_state(locked_until: datetime | None, now: datetime) -> LockState:
        if locked_until is None or aware(locked_until, now) <= now:
            return UNLOCKED
        return LockState(True, seconds_until(locked_until, now))

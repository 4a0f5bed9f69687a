"""Limits on recovery attempts per user and per source address.

The per-user limit stops someone guessing one account's codes. It does nothing against one address that tries
many accounts (a list of stolen passwords, one user at a time, each staying under its own limit), so every limit
has a twin per source address: the address Keycloak saw (``ip`` of the bridge call), per realm. Both are rows of
the failure table (``attempt_limits/limiter.py``), so both hold across sidecar replicas; a source's row has the
subject ``source:<what>:<address>``, which no Keycloak user id looks like.

Source limits are looser than the user's: many people may share one address (an office behind one NAT), and
Keycloak's own remote address is that of a proxy unless Keycloak is told to trust its headers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from ..caller import Caller
from .limiter import UNLOCKED, FailureLimiter, FailurePolicy, LockState

SOURCE_FAILURES = FailurePolicy(limit=20, window_seconds=900, lockout_seconds=900)
SOURCE_MAILS = FailurePolicy(limit=20, window_seconds=3600, lockout_seconds=3600)
SOURCE_NOTICES = FailurePolicy(limit=10, window_seconds=3600, lockout_seconds=3600)


def source_subject(what: str, address: str) -> str:
    return f"source:{what}:{address}"


class SourceLimit:
    """One kind of event counted per source address: ``state`` before, ``record`` after each counted event."""

    def __init__(self, limiter: FailureLimiter, what: str) -> None:
        self._limiter = limiter
        self._what = what

    def state(self, caller: Caller) -> LockState:
        if not caller.ip:
            return UNLOCKED
        return self._limiter.state(caller.realm, source_subject(self._what, caller.ip))

    def record(self, caller: Caller) -> LockState:
        if not caller.ip:
            return UNLOCKED
        return self._limiter.record_failure(caller.realm, source_subject(self._what, caller.ip))


@dataclass(frozen=True)
class SourceLimits:
    failures: SourceLimit  # wrong codes
    mails: SourceLimit  # codes sent by mail
    notices: SourceLimit  # notices to a supervisor

    @classmethod
    def in_store(cls, engine: Engine, clock: Callable[[], datetime]) -> SourceLimits:
        return cls(
            failures=SourceLimit(FailureLimiter(engine, SOURCE_FAILURES, clock), "failure"),
            mails=SourceLimit(FailureLimiter(engine, SOURCE_MAILS, clock), "mail"),
            notices=SourceLimit(FailureLimiter(engine, SOURCE_NOTICES, clock), "notice"),
        )


class AttemptLimits:
    """Wrong codes, counted for the user and for the source address; either limit reached locks recovery."""

    def __init__(self, per_user: FailureLimiter, per_source: SourceLimit) -> None:
        self._per_user = per_user
        self._per_source = per_source

    def state(self, caller: Caller) -> LockState:
        user = self._per_user.state(caller.realm, caller.user_id)
        return user if user.locked else self._per_source.state(caller)

    def record_failure(self, caller: Caller) -> LockState:
        user = self._per_user.record_failure(caller.realm, caller.user_id)
        source = self._per_source.record(caller)
        return max(user, source, key=lambda state: (state.locked, state.retry_after_seconds))

    def reset(self, caller: Caller) -> None:
        """After an accepted code: the user's count starts again. The source's does not: one success among many
        accounts tried must not clear the address."""
        self._per_user.reset(caller.realm, caller.user_id)

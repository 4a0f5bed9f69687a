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

from ..caller import Caller
from ..store.transactions import Transaction
from .limiter import UNLOCKED, FailureLimiter, FailurePolicy, LockState
from .repository import FailureRepository

# The windows; the limits are settings (MFA_RECOVERY_SOURCE_*_LIMIT, defaults 20, 20 and 10).
FAILURE_WINDOW_SECONDS = 900
SENDING_WINDOW_SECONDS = 3600


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

    def record(self, caller: Caller, within: Transaction | None = None) -> LockState:
        if not caller.ip:
            return UNLOCKED
        return self._limiter.record_failure(caller.realm, source_subject(self._what, caller.ip), within)


@dataclass(frozen=True)
class SourceLimits:
    failures: SourceLimit  # wrong codes
    mails: SourceLimit  # codes sent by mail
    notices: SourceLimit  # notices to a supervisor

    @classmethod
    def in_store(
        cls, repository: FailureRepository, clock: Callable[[], datetime], *, failures: int, mails: int, notices: int
    ) -> SourceLimits:
        """Counted in the store (``repository``, beside the users' counts); ``failures``, ``mails``, ``notices``:
        how many each address may have in its window before it must wait as long as the window."""

        def limit(count: int, window: int, what: str) -> SourceLimit:
            policy = FailurePolicy(limit=count, window_seconds=window, lockout_seconds=window)
            return SourceLimit(FailureLimiter(repository, policy, clock), what)

        return cls(
            failures=limit(failures, FAILURE_WINDOW_SECONDS, "failure"),
            mails=limit(mails, SENDING_WINDOW_SECONDS, "mail"),
            notices=limit(notices, SENDING_WINDOW_SECONDS, "notice"),
        )


class AttemptLimits:
    """Wrong codes, counted for the user and for the source address; either limit reached locks recovery."""

    def __init__(self, per_user: FailureLimiter, per_source: SourceLimit) -> None:
        self._per_user = per_user
        self._per_source = per_source

    def state(self, caller: Caller) -> LockState:
        user = self._per_user.state(caller.realm, caller.user_id)
        return user if user.locked else self._per_source.state(caller)

    def record_failure(self, caller: Caller, within: Transaction | None = None) -> LockState:
        user = self._per_user.record_failure(caller.realm, caller.user_id, within)
        source = self._per_source.record(caller, within)
        return max(user, source, key=lambda state: (state.locked, state.retry_after_seconds))

    def reset(self, caller: Caller, within: Transaction | None = None) -> None:
        """After an accepted code: the user's count starts again. The source's does not: one success among many
        accounts tried must not clear the address."""
        self._per_user.reset(caller.realm, caller.user_id, within)

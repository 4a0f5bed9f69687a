"""Signing in with a backup code: failure limit, verification, the answer's hints, the notification."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..attempt_limits.limiter import FailureLimiter
from ..audit.log import AuditLog
from ..caller import Caller
from ..notifications.outbox import BACKUP_CODE_SIGNIN, Outbox
from ..realm_options.service import RealmOptionsService
from .hashing import CodeHasher
from .service import MAX_INPUT_LENGTH, BackupCodeService

logger = logging.getLogger(__name__)

ACTOR = "bridge"
ACCEPTED = "accepted"
REJECTED = "rejected"
LOCKED = "locked"


@dataclass(frozen=True)
class RecoveryOptions:
    methods: list[str]
    backup_codes_remaining: int


@dataclass(frozen=True)
class SignInResult:
    result: str  # accepted | rejected | locked
    remaining: int | None = None
    regenerate: bool = False
    reenrol_otp: bool = False
    retry_after_seconds: int | None = None


class BackupCodeSignIn:
    def __init__(
        self,
        codes: BackupCodeService,
        hasher: CodeHasher,
        limiter: FailureLimiter,
        options: RealmOptionsService,
        outbox: Outbox,
        audit: AuditLog,
        clock: Callable[[], datetime],
    ) -> None:
        self._clock = clock
        self._codes = codes
        self._hasher = hasher
        self._limiter = limiter
        self._options = options
        self._outbox = outbox
        self._audit = audit

    def start(self, caller: Caller) -> RecoveryOptions:
        """What the user can recover with; the start of every recovery attempt is audited."""
        remaining = self._codes.remaining(caller.realm, caller.user_id)
        methods = ["backup_code"] if remaining > 0 else []
        self._audit.record(
            realm=caller.realm,
            actor=ACTOR,
            subject=caller.user_id,
            action="recovery.start",
            outcome="ok",
            detail={"attempt": caller.attempt, "methods": methods},
            ip=caller.ip,
            user_agent=caller.user_agent,
        )
        return RecoveryOptions(methods=methods, backup_codes_remaining=remaining)

    def verify(self, caller: Caller, code: str) -> SignInResult:
        lock = self._limiter.state(caller.realm, caller.user_id)
        if lock.locked:
            # Refused without looking at the code, at the cost of one verification (no timing signal).
            self._hasher.verify_dummy(code[:MAX_INPUT_LENGTH])
            self._record(caller, LOCKED, {"retry_after_seconds": lock.retry_after_seconds})
            return SignInResult(LOCKED, retry_after_seconds=lock.retry_after_seconds)

        verified = self._codes.verify(caller.realm, caller.user_id, code)
        if not verified.accepted:
            after = self._limiter.record_failure(caller.realm, caller.user_id)
            detail: dict[str, object] = {}
            if after.locked:
                detail["lockout_started"] = True
                detail["retry_after_seconds"] = after.retry_after_seconds
            self._record(caller, REJECTED, detail)
            return SignInResult(REJECTED)

        self._limiter.reset(caller.realm, caller.user_id)
        remaining = verified.remaining or 0
        options = self._options.get(caller.realm)
        result = SignInResult(
            ACCEPTED,
            remaining=remaining,
            regenerate=remaining <= options.warning_threshold,
            reenrol_otp=options.reenrol_otp_after_recovery,
        )
        self._record(caller, ACCEPTED, {"remaining": remaining, "regenerate": result.regenerate})
        self._queue_notification(caller, remaining)
        return result

    def _queue_notification(self, caller: Caller, remaining: int) -> None:
        try:
            self._outbox.enqueue(
                realm=caller.realm,
                user_id=caller.user_id,
                kind=BACKUP_CODE_SIGNIN,
                occurred_at=self._clock(),
                ip=caller.ip,
                user_agent=caller.user_agent,
                codes_left=remaining,
            )
        except Exception:  # the code is spent; the sign-in stands even if the mail cannot be queued
            logger.exception("cannot queue the sign-in notification for %s/%s", caller.realm, caller.user_id)
            self._audit.record(
                realm=caller.realm,
                actor=ACTOR,
                subject=caller.user_id,
                action="notification.failed",
                outcome="not_queued",
                detail={"attempt": caller.attempt, "kind": BACKUP_CODE_SIGNIN},
                ip=caller.ip,
                user_agent=caller.user_agent,
            )

    def _record(self, caller: Caller, outcome: str, extra: dict[str, object]) -> None:
        self._audit.record(
            realm=caller.realm,
            actor=ACTOR,
            subject=caller.user_id,
            action="backup_code.verify",
            outcome=outcome,
            detail={"attempt": caller.attempt, **extra},
            ip=caller.ip,
            user_agent=caller.user_agent,
        )

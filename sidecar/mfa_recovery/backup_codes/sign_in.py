"""Signing in with a backup code: failure limit, verification, the answer's hints, the notification."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..attempt_limits.attempts import AttemptLimits
from ..attempt_limits.limiter import failure_detail
from ..audit.log import AuditLog, Auditor, record_call
from ..caller import Caller
from ..notifications.notices import queue_notice
from ..notifications.outbox import BACKUP_CODE_SIGNIN, Outbox
from ..realm_options.service import RealmOptionsService
from .hashing import CodeHasher
from .repository import StoredCode
from .service import MAX_INPUT_LENGTH, BackupCodeService

ACTOR = "bridge"
ACCEPTED = "accepted"
REJECTED = "rejected"
LOCKED = "locked"


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
        limiter: AttemptLimits,
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

    def verify(self, caller: Caller, code: str) -> SignInResult:
        lock = self._limiter.state(caller)
        if lock.locked:
            # Refused without looking at the code, at the cost of one verification (no timing signal).
            self._hasher.verify_dummy(code[:MAX_INPUT_LENGTH])
            self._record(self._audit, caller, LOCKED, {"retry_after_seconds": lock.retry_after_seconds})
            return SignInResult(LOCKED, retry_after_seconds=lock.retry_after_seconds)

        stored = self._codes.match(caller.realm, caller.user_id, code)
        accepted = None if stored is None else self._accept(caller, stored)
        if accepted is None:
            after = self._limiter.record_failure(caller)
            self._record(self._audit, caller, REJECTED, failure_detail(after))
            return SignInResult(REJECTED)

        self._limiter.reset(caller)
        queue_notice(self._outbox, self._audit, self._clock, caller, BACKUP_CODE_SIGNIN, codes_left=accepted.remaining)
        return accepted

    def _accept(self, caller: Caller, stored: StoredCode) -> SignInResult | None:
        """Use the code and record the accepted sign-in in one transaction: a used code always has its row, and a
        row that cannot be written leaves the code unused. None when a concurrent submission used it first."""
        options = self._options.get(caller.realm)
        with self._audit.transaction() as audited:
            remaining = self._codes.use(caller.realm, caller.user_id, stored, within=audited.transaction)
            if remaining is None:
                return None
            result = SignInResult(
                ACCEPTED,
                remaining=remaining,
                regenerate=remaining <= options.warning_threshold,
                reenrol_otp=options.reenrol_otp_after_recovery,
            )
            self._record(audited, caller, ACCEPTED, {"remaining": remaining, "regenerate": result.regenerate})
        return result

    @staticmethod
    def _record(auditor: Auditor, caller: Caller, outcome: str, extra: dict[str, object]) -> None:
        record_call(auditor, caller, "backup_code.verify", outcome, extra, actor=ACTOR)

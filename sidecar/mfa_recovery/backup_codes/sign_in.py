"""Signing in with a backup code: failure limit, verification, the answer's hints, the notification; every write
of one sign-in in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..attempt_limits.attempts import AttemptLimits
from ..attempt_limits.limiter import failure_detail
from ..audit.log import AuditedTransaction, AuditLog, Auditor, UnitOfWork, record_call
from ..caller import Caller
from ..notifications.notices import enqueue_notice
from ..notifications.outbox import BACKUP_CODE_SIGNIN, Outbox
from ..realm_options.options import RealmOptions
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

    def verify(self, caller: Caller, code: str, work: UnitOfWork | None = None) -> SignInResult:
        """Check ``code`` (reads and one argon2 verification, outside any write transaction), then make every change
        of the answer in one transaction of ``work`` (by default the audit log's): all of them commit, or none."""
        work = work or self._audit
        lock = self._limiter.state(caller)
        if lock.locked:
            # Refused without looking at the code, at the cost of one verification (no timing signal).
            self._hasher.verify_dummy(code[:MAX_INPUT_LENGTH])
            with work.transaction() as audited:
                self._record(audited, caller, LOCKED, {"retry_after_seconds": lock.retry_after_seconds})
            return SignInResult(LOCKED, retry_after_seconds=lock.retry_after_seconds)

        stored = self._codes.match(caller.realm, caller.user_id, code)
        options = self._options.get(caller.realm) if stored else None
        with work.transaction() as audited:
            accepted = self._accept(caller, stored, options, audited) if stored and options else None
            if accepted is None:
                after = self._limiter.record_failure(caller, audited.transaction)
                self._record(audited, caller, REJECTED, failure_detail(after))
                return SignInResult(REJECTED)
            enqueue_notice(
                self._outbox,
                self._clock,
                caller,
                BACKUP_CODE_SIGNIN,
                codes_left=accepted.remaining,
                within=audited.transaction,
            )
        return accepted

    def _accept(
        self, caller: Caller, stored: StoredCode, options: RealmOptions, audited: AuditedTransaction
    ) -> SignInResult | None:
        """Use the code, record the accepted sign-in and reset the failure count, ``audited``: a used code always has
        its row, and a row that cannot be written leaves the code unused. None when a concurrent submission used it
        first."""
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
        self._limiter.reset(caller, audited.transaction)
        return result

    @staticmethod
    def _record(auditor: Auditor, caller: Caller, outcome: str, extra: dict[str, object]) -> None:
        record_call(auditor, caller, "backup_code.verify", outcome, extra, actor=ACTOR)

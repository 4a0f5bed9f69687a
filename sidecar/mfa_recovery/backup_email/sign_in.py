"""Signing in with a code mailed to the verified backup address: the failure limit, the code, the notice; every
write of one sign-in in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..attempt_limits.attempts import AttemptLimits
from ..attempt_limits.limiter import failure_detail
from ..audit.log import AuditedTransaction, Auditor, AuditTransactions, UnitOfWork, record_call
from ..backup_codes.service import BackupCodeService
from ..caller import Caller, Profile
from ..notifications.mails.email_code import email_code
from ..notifications.mails.layout import Mail, Occurrence
from ..notifications.notices import enqueue_notice
from ..notifications.outbox import EMAIL_CODE_SIGNIN, Outbox
from ..realm_options.service import RealmOptionsService
from .address import mask
from .challenges import EXPIRED, MATCHED, REJECTED, EmailChallenges, Issued
from .limits import CODE_LIFETIME
from .repository import SIGN_IN, BackupEmailRepository, Challenge

ACTOR = "bridge"

UNAVAILABLE = "unavailable"
ACCEPTED = "accepted"
LOCKED = "locked"


@dataclass(frozen=True)
class EmailSignInResult:
    result: str  # accepted | rejected | expired | locked
    attempts_left: int | None = None
    reenrol_otp: bool = False
    backup_codes_remaining: int | None = None
    retry_after_seconds: int | None = None


class EmailCodeSignIn:
    def __init__(
        self,
        repository: BackupEmailRepository,
        challenges: EmailChallenges,
        backup_codes: BackupCodeService,
        limiter: AttemptLimits,
        options: RealmOptionsService,
        outbox: Outbox,
        audit: AuditTransactions,
        clock: Callable[[], datetime],
    ) -> None:
        self._repository = repository
        self._challenges = challenges
        self._backup_codes = backup_codes
        self._limiter = limiter
        self._options = options
        self._outbox = outbox
        self._audit = audit
        self._clock = clock

    def available(self, realm: str, user_id: str) -> str | None:
        """The verified backup address when the realm's email method is on, else None."""
        if not self._options.get(realm).email_method_enabled:
            return None
        current = self._repository.backup_email(realm, user_id)
        return current.address if current else None

    def send(self, caller: Caller, profile: Profile) -> Issued:
        """Mail a sign-in code to the user's verified backup address."""
        address = self.available(caller.realm, caller.user_id)
        if address is None:
            issued = Issued(UNAVAILABLE)
        else:
            issued = self._challenges.issue(caller, SIGN_IN, address, self._mail(caller, profile))
        record_call(self._audit, caller, "email_code.sent", issued.result, issued.audit_detail(), actor=ACTOR)
        return issued

    def _mail(self, caller: Caller, profile: Profile) -> Callable[[str], Mail]:
        def render(code: str) -> Mail:
            return email_code(
                locale=profile.locale,
                first_name=profile.first_name,
                username=profile.username or caller.user_id,
                code=code,
                valid_minutes=int(CODE_LIFETIME.total_seconds() // 60),
                event=Occurrence(caller.realm, self._clock(), caller.ip, caller.user_agent),
            )

        return render

    def verify(self, caller: Caller, code: str, profile: Profile, work: UnitOfWork | None = None) -> EmailSignInResult:
        """Check the typed code. Wrong and expired codes count in the per-user failure limit, as backup codes do;
        while it holds, nothing is checked. The checks only read; every change of the answer is made in one
        transaction of ``work`` (by default the audit log's): all of them commit, or none."""
        work = work or self._audit
        lock = self._limiter.state(caller)
        if lock.locked:
            return self._answer(work, caller, EmailSignInResult(LOCKED, retry_after_seconds=lock.retry_after_seconds))
        options = self._options.get(caller.realm)
        if not options.email_method_enabled:
            # Switched off since the code was sent: no code of this method is valid, and nothing was tried.
            return self._answer(work, caller, EmailSignInResult(EXPIRED), {"method_disabled": True})

        typed = self._challenges.compare(caller.realm, caller.user_id, SIGN_IN, code)
        accepted = None
        if typed.result == MATCHED:
            accepted = EmailSignInResult(
                ACCEPTED,
                reenrol_otp=options.reenrol_otp_after_email_recovery or options.reenrol_otp_after_recovery,
                backup_codes_remaining=self._backup_codes.remaining(caller.realm, caller.user_id),
            )
        with work.transaction() as audited:
            if accepted is not None and typed.challenge and self._accept(caller, typed.challenge, accepted, audited):
                hint = mask(typed.challenge.address)
                detail = {"address_hint": hint, "locale": profile.locale}
                enqueue_notice(
                    self._outbox, self._clock, caller, EMAIL_CODE_SIGNIN, detail=detail, within=audited.transaction
                )
                return accepted
            # A code used by a concurrent submission (or expired since) is "expired", as if it were never there.
            if typed.result == REJECTED:
                typed = self._challenges.count_wrong(typed, audited.transaction)
            after = self._limiter.record_failure(caller, audited.transaction)
            result = REJECTED if typed.result == REJECTED else EXPIRED
            return self._record(
                audited, caller, EmailSignInResult(result, attempts_left=typed.attempts_left), failure_detail(after)
            )

    def _accept(
        self, caller: Caller, challenge: Challenge, answer: EmailSignInResult, audited: AuditedTransaction
    ) -> bool:
        """Use the code, record the accepted sign-in and reset the failure count, ``audited``: a used code always
        has its row, and a row that cannot be written leaves the code unused. False when a concurrent submission
        (or expiry) got there first."""
        if not self._challenges.consume(challenge, within=audited.transaction):
            return False
        self._record(audited, caller, answer, {"address_hint": mask(challenge.address)})
        self._limiter.reset(caller, audited.transaction)
        return True

    def _answer(
        self, work: UnitOfWork, caller: Caller, answer: EmailSignInResult, extra: dict[str, object] | None = None
    ) -> EmailSignInResult:
        """An answer that changes nothing but the trail, recorded in a transaction of ``work``."""
        with work.transaction() as audited:
            return self._record(audited, caller, answer, extra)

    @staticmethod
    def _record(
        auditor: Auditor, caller: Caller, answer: EmailSignInResult, extra: dict[str, object] | None = None
    ) -> EmailSignInResult:
        detail = {
            "attempts_left": answer.attempts_left,
            "retry_after_seconds": answer.retry_after_seconds,
            "reenrol_otp": answer.reenrol_otp if answer.result == ACCEPTED else None,
            **(extra or {}),
        }
        record_call(auditor, caller, "email_code.verify", answer.result, detail, actor=ACTOR)
        return answer

"""Signing in with a code mailed to the verified backup address: the failure limit, the code, the notice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..attempt_limits.attempts import AttemptLimits
from ..attempt_limits.limiter import failure_detail
from ..audit.log import Auditor, AuditTransactions, record_call
from ..backup_codes.service import BackupCodeService
from ..caller import Caller, Profile
from ..notifications.mails.email_code import email_code
from ..notifications.mails.layout import Mail, Occurrence
from ..notifications.notices import queue_notice
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

    def verify(self, caller: Caller, code: str, profile: Profile) -> EmailSignInResult:
        """Check the typed code. Wrong and expired codes count in the per-user failure limit, as backup codes do;
        while it holds, nothing is checked."""
        lock = self._limiter.state(caller)
        if lock.locked:
            return self._answer(caller, EmailSignInResult(LOCKED, retry_after_seconds=lock.retry_after_seconds))
        options = self._options.get(caller.realm)
        if not options.email_method_enabled:
            # Switched off since the code was sent: no code of this method is valid, and nothing was tried.
            return self._answer(caller, EmailSignInResult(EXPIRED), {"method_disabled": True})

        check = self._challenges.check(caller.realm, caller.user_id, SIGN_IN, code)
        if check.result == MATCHED and check.challenge is not None:
            answer = EmailSignInResult(
                ACCEPTED,
                reenrol_otp=options.reenrol_otp_after_email_recovery or options.reenrol_otp_after_recovery,
                backup_codes_remaining=self._backup_codes.remaining(caller.realm, caller.user_id),
            )
            hint = mask(check.challenge.address)
            if self._accept(caller, check.challenge, answer, hint):
                self._limiter.reset(caller)
                detail = {"address_hint": hint, "locale": profile.locale}
                queue_notice(self._outbox, self._audit, self._clock, caller, EMAIL_CODE_SIGNIN, detail=detail)
                return answer

        result = REJECTED if check.result == REJECTED else EXPIRED
        after = self._limiter.record_failure(caller)
        answer = EmailSignInResult(result, attempts_left=check.attempts_left)
        return self._answer(caller, answer, failure_detail(after))

    def _accept(self, caller: Caller, challenge: Challenge, answer: EmailSignInResult, hint: str) -> bool:
        """Use the code and record the accepted sign-in in one transaction: a used code always has its row, and a
        row that cannot be written leaves the code unused. False when a concurrent submission (or expiry) got
        there first."""
        with self._audit.transaction() as audited:
            if not self._challenges.consume(challenge, within=audited.transaction):
                return False
            self._answer(caller, answer, {"address_hint": hint}, auditor=audited)
        return True

    def _answer(
        self,
        caller: Caller,
        answer: EmailSignInResult,
        extra: dict[str, object] | None = None,
        auditor: Auditor | None = None,
    ) -> EmailSignInResult:
        detail = {
            "attempts_left": answer.attempts_left,
            "retry_after_seconds": answer.retry_after_seconds,
            "reenrol_otp": answer.reenrol_otp if answer.result == ACCEPTED else None,
            **(extra or {}),
        }
        record_call(auditor or self._audit, caller, "email_code.verify", answer.result, detail, actor=ACTOR)
        return answer

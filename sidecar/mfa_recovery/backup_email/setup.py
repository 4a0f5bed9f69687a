"""Setting up the backup address: mail a code to the new address; the code makes it the user's backup address.

The user is signed in here, so these codes do not count in the sign-in failure limit; the tries per code and the
hourly cap bound them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..audit.log import Auditor, record_call
from ..caller import Caller, Profile
from ..notifications.mails.address_verification import address_verification
from ..notifications.mails.layout import Mail
from ..notifications.notices import queue_notice
from ..notifications.outbox import BACKUP_EMAIL_CHANGED, Outbox
from ..realm_options.service import RealmOptionsService
from . import address as addresses
from .challenges import EXPIRED, MATCHED, EmailChallenges, Issued
from .limits import CODE_LIFETIME, MAX_WRONG_TRIES
from .repository import VERIFY_ADDRESS, BackupEmailRepository

ACTOR = "user"

INVALID_ADDRESS = "invalid_address"
SAME_AS_PRIMARY = "same_as_primary"
DISABLED = "disabled"
VERIFIED = "verified"


@dataclass(frozen=True)
class BackupEmailStatus:
    enabled: bool  # the realm's email method
    address_hint: str | None  # of the verified address
    verified: bool


@dataclass(frozen=True)
class AddressCheck:
    result: str  # verified | rejected | expired
    attempts_left: int | None = None
    address_hint: str | None = None


class BackupEmailSetup:
    def __init__(
        self,
        repository: BackupEmailRepository,
        challenges: EmailChallenges,
        options: RealmOptionsService,
        outbox: Outbox,
        audit: Auditor,
        clock: Callable[[], datetime],
    ) -> None:
        self._repository = repository
        self._challenges = challenges
        self._options = options
        self._outbox = outbox
        self._audit = audit
        self._clock = clock

    def status(self, realm: str, user_id: str) -> BackupEmailStatus:
        current = self._repository.backup_email(realm, user_id)
        return BackupEmailStatus(
            enabled=self._options.get(realm).email_method_enabled,
            address_hint=addresses.mask(current.address) if current else None,
            verified=current is not None,
        )

    def awaiting_verification(self, realm: str, user_id: str) -> tuple[str, datetime] | None:
        """The masked address whose code is still live, and until when; None when no address waits."""
        waiting = self._repository.live_challenge(realm, user_id, VERIFY_ADDRESS, self._clock(), MAX_WRONG_TRIES)
        return None if waiting is None else (addresses.mask(waiting.address), waiting.expires_at)

    def start(self, caller: Caller, address: str, profile: Profile) -> Issued:
        """Mail a code to ``address``, the user's proposed backup address; it is used only once verified."""
        issued = self._start(caller, address, profile)
        record_call(
            self._audit, caller, "backup_email.verification_sent", issued.result, issued.audit_detail(), actor=ACTOR
        )
        return issued

    def _start(self, caller: Caller, address: str, profile: Profile) -> Issued:
        if not self._options.get(caller.realm).email_method_enabled:
            return Issued(DISABLED)
        normalised = addresses.normalise(address)
        if normalised is None:
            return Issued(INVALID_ADDRESS)
        if addresses.same_address(normalised, profile.email):
            return Issued(SAME_AS_PRIMARY)

        def mail(code: str) -> Mail:
            return address_verification(
                locale=profile.locale,
                first_name=profile.first_name,
                username=profile.username or caller.user_id,
                realm=caller.realm,
                code=code,
                valid_minutes=int(CODE_LIFETIME.total_seconds() // 60),
            )

        return self._challenges.issue(caller, VERIFY_ADDRESS, normalised, mail)

    def verify(self, caller: Caller, code: str, profile: Profile) -> AddressCheck:
        """The code from the mail: on a match the pending address becomes the user's backup address."""
        check = self._challenges.check(caller.realm, caller.user_id, VERIFY_ADDRESS, code)
        if check.result != MATCHED or check.challenge is None:
            return self._answer(caller, AddressCheck(check.result, attempts_left=check.attempts_left))

        new = check.challenge.address
        previous = self._repository.backup_email(caller.realm, caller.user_id)
        stored = self._repository.consume_as_backup_address(
            check.challenge.id, caller.realm, caller.user_id, new, self._clock(), MAX_WRONG_TRIES
        )
        if not stored:  # a concurrent submission used the code first
            return self._answer(caller, AddressCheck(EXPIRED), {"race": True})
        hint = addresses.mask(new)
        previous_hint = addresses.mask(previous.address) if previous else None
        answer = self._answer(caller, AddressCheck(VERIFIED, address_hint=hint), {"previous_hint": previous_hint})
        detail = {"address_hint": hint, "previous_hint": previous_hint, "locale": profile.locale}
        queue_notice(self._outbox, self._audit, self._clock, caller, BACKUP_EMAIL_CHANGED, detail=detail)
        return answer

    def _answer(self, caller: Caller, answer: AddressCheck, extra: dict[str, object] | None = None) -> AddressCheck:
        detail = {"attempts_left": answer.attempts_left, "address_hint": answer.address_hint, **(extra or {})}
        record_call(self._audit, caller, "backup_email.verified", answer.result, detail, actor=ACTOR)
        return answer

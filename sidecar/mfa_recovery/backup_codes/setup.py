"""Account-recovery setup: show a pending set of codes, activate it when the user confirms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..audit.log import AuditLog
from ..caller import Caller
from ..notifications.notices import queue_notice
from ..notifications.outbox import BACKUP_CODES_ACTIVATED, Outbox
from ..realm_options.service import RealmOptionsService
from .service import BackupCodeService

ACTOR = "user"

USER_REQUEST = "user_request"  # the user opened the page (application-initiated action)
AFTER_OTP_ENROLMENT = "after_otp_enrolment"  # the user enrolled an authenticator app in this sign-in
LOW_CODES = "low_codes"  # a recovery sign-in left the user at or below the warning threshold
REQUIRED_ACTION = "required_action"  # someone else put the action on the user
REASONS = (USER_REQUEST, AFTER_OTP_ENROLMENT, LOW_CODES, REQUIRED_ACTION)


@dataclass(frozen=True)
class Presentation:
    show: bool
    skippable: bool


def presentation(reason: str, prompt: str) -> Presentation:
    """Whether the setup page appears, and whether it offers "Not now", for this reason under the realm's prompt
    mode. Cancelling an application-initiated action is Keycloak's own button, so a user request is not skippable."""
    if reason == AFTER_OTP_ENROLMENT:
        return Presentation(show=prompt != "off", skippable=prompt == "offered")
    if reason == LOW_CODES:
        return Presentation(show=True, skippable=prompt != "required")
    return Presentation(show=True, skippable=False)


@dataclass(frozen=True)
class SetupStarted:
    presentation: Presentation
    set_id: str
    codes: list[str]
    prompt: str


@dataclass(frozen=True)
class SetupConfirmed:
    activated: bool
    remaining: int | None = None


class BackupCodeSetup:
    def __init__(
        self,
        codes: BackupCodeService,
        options: RealmOptionsService,
        audit: AuditLog,
        outbox: Outbox,
        clock: Callable[[], datetime],
    ) -> None:
        self._codes = codes
        self._options = options
        self._audit = audit
        self._outbox = outbox
        self._clock = clock

    def start(self, caller: Caller, reason: str) -> SetupStarted:
        options = self._options.get(caller.realm)
        shown = presentation(reason, options.setup_prompt)
        if not shown.show:
            return SetupStarted(presentation=shown, set_id="", codes=[], prompt=options.setup_prompt)
        pending = self._codes.start_setup(caller.realm, caller.user_id, options.code_count)
        self._audit.record(
            realm=caller.realm,
            actor=ACTOR,
            subject=caller.user_id,
            action="backup_codes.setup_started",
            outcome="ok",
            detail={
                "attempt": caller.attempt,
                "reason": reason,
                "count": len(pending.codes),
                "expires_at": pending.expires_at.isoformat(),
            },
            ip=caller.ip,
            user_agent=caller.user_agent,
        )
        return SetupStarted(presentation=shown, set_id=pending.set_id, codes=pending.codes, prompt=options.setup_prompt)

    def confirm(self, caller: Caller, set_id: str) -> SetupConfirmed:
        remaining = self._codes.confirm_setup(caller.realm, caller.user_id, set_id)
        self._audit.record(
            realm=caller.realm,
            actor=ACTOR,
            subject=caller.user_id,
            action="backup_codes.issued",
            outcome="ok" if remaining is not None else "expired",
            detail={"attempt": caller.attempt, "count": remaining},
            ip=caller.ip,
            user_agent=caller.user_agent,
        )
        if remaining is None:
            return SetupConfirmed(activated=False)
        # The old codes stopped working: whoever holds the account's primary address should know.
        queue_notice(self._outbox, self._audit, self._clock, caller, BACKUP_CODES_ACTIVATED, codes_left=remaining)
        return SetupConfirmed(activated=True, remaining=remaining)

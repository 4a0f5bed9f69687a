"""Mailed codes, whatever their purpose: the cool-down and hourly cap, sending, checking a typed code.

A code is mailed first and stored (as its HMAC) only once the mail went out, so a failed mail leaves nothing
behind: no code, nothing counted, and the user's earlier code still valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..attempt_limits.attempts import SourceLimit
from ..attempt_limits.window import rolling_window_wait
from ..caller import Caller
from ..notifications.mailer import MailNotSent
from ..notifications.mails.layout import Mail
from ..store.times import seconds_until
from ..store.transactions import Transaction
from . import codes
from .address import mask
from .limits import CAP_WINDOW, CODE_LIFETIME, COOLDOWN, HOURLY_CAP, MAX_WRONG_TRIES
from .repository import BackupEmailRepository, Challenge

SENT = "sent"
COOLDOWN_RESULT = "cooldown"
CAPPED = "capped"
MAIL_FAILED = "mail_failed"

MATCHED = "matched"
REJECTED = "rejected"
EXPIRED = "expired"

Clock = Callable[[], datetime]


class CodeMailer(Protocol):
    def send_now(self, realm: str, recipient: str, mail: Mail) -> None:
        """Send at once; raises :class:`MailNotSent`."""


@dataclass(frozen=True)
class Issued:
    """The answer to a request for a code: ``sent``, ``cooldown``, ``capped``, ``mail_failed``, or a refusal of
    the feature before any code (e.g. ``invalid_address``)."""

    result: str
    address_hint: str | None = None
    expires_in_seconds: int | None = None
    resend_after_seconds: int | None = None
    retry_after_seconds: int | None = None
    mail_error: str | None = None  # for the audit trail: the kind of failure, never an address

    def audit_detail(self) -> dict[str, object]:
        detail: dict[str, object] = {
            "address_hint": self.address_hint,
            "retry_after_seconds": self.retry_after_seconds,
        }
        if self.mail_error:
            detail["mail_error"] = self.mail_error
        return detail


@dataclass(frozen=True)
class Check:
    """A typed code against the user's live code (``challenge``): ``matched`` (not yet used: see ``consume``),
    ``rejected`` (with the tries left on that code once the try is counted: see ``count_wrong``), or ``expired``
    (no live code)."""

    result: str
    attempts_left: int | None = None
    challenge: Challenge | None = None


class EmailChallenges:
    def __init__(
        self,
        repository: BackupEmailRepository,
        mailer: CodeMailer,
        pepper: str,
        clock: Clock,
        per_source: SourceLimit,
    ) -> None:
        """``per_source``: the codes one source address may have mailed, across users."""
        self._per_source = per_source
        self._repository = repository
        self._mailer = mailer
        self._pepper = pepper
        self._clock = clock

    def limit(self, realm: str, user_id: str, purpose: str) -> Issued | None:
        """``capped`` or ``cooldown`` (with when to try again) when no code may be sent now, else None."""
        now = self._clock()
        sent = self._repository.sent_since(realm, user_id, now - CAP_WINDOW)
        capped = rolling_window_wait([created for _, created in sent], HOURLY_CAP, CAP_WINDOW, now)
        if capped is not None:
            return Issued(CAPPED, retry_after_seconds=capped)
        latest = max((created for kind, created in sent if kind == purpose), default=None)
        if latest is not None and latest + COOLDOWN > now:
            return Issued(COOLDOWN_RESULT, retry_after_seconds=seconds_until(latest + COOLDOWN, now))
        return None

    def issue(self, caller: Caller, purpose: str, address: str, mail: Callable[[str], Mail]) -> Issued:
        """Mail a new code to ``address`` (``mail`` renders it around the shown code); store it once sent."""
        refused = self.limit(caller.realm, caller.user_id, purpose)
        if refused is not None:
            return refused
        source = self._per_source.state(caller)
        if source.locked:
            return Issued(CAPPED, retry_after_seconds=source.retry_after_seconds)
        digits = codes.generate()
        try:
            self._mailer.send_now(caller.realm, address, mail(codes.display(digits)))
        except MailNotSent as exc:
            return Issued(MAIL_FAILED, mail_error=exc.reason)
        self._per_source.record(caller)
        now = self._clock()
        self._repository.add_challenge(
            caller.realm,
            caller.user_id,
            purpose,
            address,
            codes.lookup(self._pepper, caller.realm, caller.user_id, purpose, digits),
            now,
            now + CODE_LIFETIME,
            forget_before=now - CAP_WINDOW,
        )
        return Issued(
            SENT,
            address_hint=mask(address),
            expires_in_seconds=int(CODE_LIFETIME.total_seconds()),
            resend_after_seconds=int(COOLDOWN.total_seconds()),
        )

    def check(self, realm: str, user_id: str, purpose: str, typed: str) -> Check:
        """Compare ``typed`` with the user's live code of ``purpose``; a wrong code costs that code one try."""
        compared = self.compare(realm, user_id, purpose, typed)
        return self.count_wrong(compared) if compared.result == REJECTED else compared

    def compare(self, realm: str, user_id: str, purpose: str, typed: str) -> Check:
        """:meth:`check` that changes nothing: a wrong code's try is still to be counted (:meth:`count_wrong`)."""
        live = self._repository.live_challenge(realm, user_id, purpose, self._clock(), MAX_WRONG_TRIES)
        if live is None:
            return Check(EXPIRED)
        digits = codes.normalise(typed)
        if codes.matches(self._pepper, realm, user_id, purpose, digits, live.code_lookup):
            return Check(MATCHED, challenge=live)
        return Check(REJECTED, challenge=live)

    def count_wrong(self, rejected: Check, within: Transaction | None = None) -> Check:
        """A rejected :meth:`compare` with its try counted against the code: the tries it has left."""
        if rejected.challenge is None:
            return rejected
        wrong = self._repository.count_wrong(rejected.challenge.id, within)
        return Check(REJECTED, attempts_left=max(0, MAX_WRONG_TRIES - wrong), challenge=rejected.challenge)

    def consume(self, challenge: Challenge, within: Transaction | None = None) -> bool:
        """Use a matched code; False when a concurrent submission (or expiry) got there first. ``within``: the
        transaction that commits it (e.g. with its audit row)."""
        return self._repository.consume(challenge.id, self._clock(), MAX_WRONG_TRIES, within)

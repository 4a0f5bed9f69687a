"""Backup-code use cases, independent of HTTP and of the storage technology."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .codes import display, generate_codes, normalise
from .hashing import CodeHasher, lookup_key
from .repository import BackupCodeRepository, NewCode, StoredCode

if TYPE_CHECKING:
    from ..store.transactions import Transaction

MAX_INPUT_LENGTH = 64
PENDING_SET_LIFETIME = timedelta(minutes=30)
SET_ID_BYTES = 32  # 256 bits, URL-safe base64: 43 characters

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class VerifyResult:
    accepted: bool
    remaining: int | None = None


@dataclass(frozen=True)
class PendingSet:
    set_id: str
    codes: list[str]
    expires_at: datetime


class BackupCodeService:
    def __init__(
        self,
        repository: BackupCodeRepository,
        hasher: CodeHasher,
        pepper: str,
        clock: Clock,
    ) -> None:
        self._repository = repository
        self._hasher = hasher
        self._pepper = pepper
        self._clock = clock

    def _new_codes(self, realm: str, user_id: str, count: int) -> tuple[list[str], list[NewCode]]:
        codes = generate_codes(count)
        rows = [
            NewCode(lookup=lookup_key(self._pepper, realm, user_id, code), hash=self._hasher.hash(code))
            for code in codes
        ]
        return [display(code) for code in codes], rows

    def issue(self, realm: str, user_id: str, count: int) -> list[str]:
        """Create a fresh active set of codes, replacing any previous set; returns them for display, once."""
        shown, rows = self._new_codes(realm, user_id, count)
        self._repository.replace_all(realm, user_id, secrets.token_urlsafe(SET_ID_BYTES), rows, self._clock())
        return shown

    def start_setup(self, realm: str, user_id: str, count: int) -> PendingSet:
        """Make a pending set (not valid for sign-in) replacing the user's earlier pending set."""
        now = self._clock()
        shown, rows = self._new_codes(realm, user_id, count)
        set_id = secrets.token_urlsafe(SET_ID_BYTES)
        self._repository.replace_pending(realm, user_id, set_id, rows, now, now - PENDING_SET_LIFETIME)
        return PendingSet(set_id=set_id, codes=shown, expires_at=now + PENDING_SET_LIFETIME)

    def confirm_setup(self, realm: str, user_id: str, set_id: str) -> int | None:
        """Activate the user's pending set ``set_id``; the old active codes stop working in the same transaction.

        Returns the number of active codes, or None when ``set_id`` is not this user's pending set or has expired.
        The set id is matched by exact key together with realm and user, so another user's id never matches.
        """
        return self._repository.activate(realm, user_id, set_id, self._clock() - PENDING_SET_LIFETIME)

    def verify(self, realm: str, user_id: str, code: str) -> VerifyResult:
        """Accept an unused code of this user exactly once (:meth:`match`, then :meth:`use`)."""
        stored = self.match(realm, user_id, code)
        remaining = None if stored is None else self.use(realm, user_id, stored)
        if remaining is None:
            return VerifyResult(accepted=False)
        return VerifyResult(accepted=True, remaining=remaining)

    def match(self, realm: str, user_id: str, code: str) -> StoredCode | None:
        """The user's unused code that ``code`` is, checked against its hash; None when it is no such code. Changes
        nothing. Every call costs one argon2 verification, whether or not the user or the code exists."""
        normalised = normalise(code[:MAX_INPUT_LENGTH])
        stored = None
        if normalised is not None:
            lookup = lookup_key(self._pepper, realm, user_id, normalised)
            stored = self._repository.find_unused(realm, user_id, lookup)
        if stored is None or normalised is None:
            self._hasher.verify_dummy(normalised or code[:MAX_INPUT_LENGTH])
            return None
        return stored if self._hasher.verify(stored.hash, normalised) else None

    def use(self, realm: str, user_id: str, stored: StoredCode, within: Transaction | None = None) -> int | None:
        """Mark a :meth:`match`-ed code used: the user's unused codes left, or None when a concurrent submission
        used it first. ``within``: the transaction that commits it (e.g. with its audit row)."""
        if not self._repository.consume(stored.id, self._clock(), within):
            return None
        return self._repository.count_unused(realm, user_id, within)

    def remaining(self, realm: str, user_id: str) -> int:
        return self._repository.count_unused(realm, user_id)

    def remaining_for_users(self, realm: str, user_ids: Collection[str]) -> dict[str, int]:
        """:meth:`remaining` of many users in one query (0 for those without codes)."""
        counts = self._repository.count_unused_for_users(realm, user_ids)
        return {user_id: counts.get(user_id, 0) for user_id in user_ids}

    def revoke(self, realm: str, user_id: str) -> int:
        """Delete all the user's codes, active and pending (an administrator's decision); returns how many."""
        return self._repository.delete_all(realm, user_id)

"""Backup-code use cases, independent of HTTP and of the storage technology."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .codes import display, generate_codes, normalise
from .hashing import CodeHasher, lookup_key

MAX_INPUT_LENGTH = 64

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class StoredCode:
    id: int
    hash: str


@dataclass(frozen=True)
class NewCode:
    lookup: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    accepted: bool
    remaining: int | None = None


class BackupCodeRepository(Protocol):
    def replace_all(self, realm: str, user_id: str, codes: Sequence[NewCode], now: datetime) -> None:
        """Delete every code of the user and insert ``codes``, in one transaction."""

    def find_unused(self, realm: str, user_id: str, lookup: str) -> StoredCode | None: ...

    def consume(self, code_id: int, now: datetime) -> bool:
        """Mark the code used if it is still unused; True only for the caller that did so."""

    def count_unused(self, realm: str, user_id: str) -> int: ...


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

    def issue(self, realm: str, user_id: str, count: int) -> list[str]:
        """Create a fresh set of codes, replacing any previous set; returns them for display, once."""
        codes = generate_codes(count)
        rows = [
            NewCode(lookup=lookup_key(self._pepper, realm, user_id, code), hash=self._hasher.hash(code))
            for code in codes
        ]
        self._repository.replace_all(realm, user_id, rows, self._clock())
        return [display(code) for code in codes]

    def verify(self, realm: str, user_id: str, code: str) -> VerifyResult:
        """Accept an unused code of this user exactly once.

        Every call costs one argon2 verification, whether or not the user or the code exists.
        """
        normalised = normalise(code[:MAX_INPUT_LENGTH])
        stored = None
        if normalised is not None:
            lookup = lookup_key(self._pepper, realm, user_id, normalised)
            stored = self._repository.find_unused(realm, user_id, lookup)
        if stored is None or normalised is None:
            self._hasher.verify_dummy(normalised or code[:MAX_INPUT_LENGTH])
            return VerifyResult(accepted=False)
        if not self._hasher.verify(stored.hash, normalised):
            return VerifyResult(accepted=False)
        if not self._repository.consume(stored.id, self._clock()):
            return VerifyResult(accepted=False)  # lost a race against a concurrent submission
        return VerifyResult(accepted=True, remaining=self._repository.count_unused(realm, user_id))

    def remaining(self, realm: str, user_id: str) -> int:
        return self._repository.count_unused(realm, user_id)

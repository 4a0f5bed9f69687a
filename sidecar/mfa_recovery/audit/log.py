"""Append-only, hash-chained audit log.

Append-only: nothing in this code base updates or deletes an event; :class:`AuditLog` only appends. The database
enforces it too: migration 0004 put triggers on ``audit_events`` that refuse every UPDATE and DELETE (and TRUNCATE
on PostgreSQL). Whoever removes those triggers to change a row still has to get past the chain (see
:mod:`.chain`): ``AuditLog.verify()`` / ``mfa-recovery audit verify`` names the first row that was changed,
removed or inserted out of place.

Every row is hashed before it is inserted, so no row is ever written twice. Appends are serialised, so that no two
writers (threads, gunicorn workers, the CLI) chain onto the same predecessor: each happens in a transaction that
holds the chain's lock from its start (:meth:`.repository.AuditRepository.locked_chain`). Under that lock it reads
the last row, gives the new row the next id (``last id + 1``: ids of chained rows have no gaps) and its hash, and
inserts it; the lock ends with the transaction. A unique index on ``prev_hash`` refuses a fork should anything
ever get past the lock.

A feature whose change must never stand without its row (a used code and its ``accepted`` row) makes both in one
:meth:`AuditLog.transaction`: the lock is taken first, then the feature's repositories join the same transaction
(``within=audited.transaction``) and its rows are appended; either all commit or nothing does. A use case takes
that transaction from a :class:`UnitOfWork` it is given: :class:`AuditLog` opens a plain one, a bridge call's
(:mod:`..bridge_auth.call_work`) records the call's token in it too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .. import plain_text
from ..caller import Caller
from ..observability.metrics import count_audit_event
from ..store.transactions import Transaction
from .chain import GENESIS, KEYED, Head, VerifyResult, as_utc, chain_hash, verify_chain
from .repository import AuditRepository, EventFilter

logger = logging.getLogger(__name__)

MAX_PAGE = 1000  # the most events one search returns

# A recovery sign-in: a backup code or an emailed code, accepted.
RECOVERY_SIGN_IN_ACTIONS = ("backup_code.verify", "email_code.verify")
ACCEPTED = "accepted"


class Auditor(Protocol):
    """What a feature needs to record an event; :class:`AuditLog` is the implementation."""

    def record(
        self,
        realm: str | None,
        actor: str,
        subject: str | None,
        action: str,
        outcome: str,
        detail: Mapping[str, Any] | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> None: ...


class UnitOfWork(Protocol):
    """Where a use case makes its writes once its reads (and any hashing) are done: one short transaction that
    holds the chain's lock, whose rows and repository changes (``within=audited.transaction``) commit together."""

    def transaction(self) -> AbstractContextManager[AuditedTransaction]: ...


class AuditTransactions(Auditor, UnitOfWork, Protocol):
    """An :class:`Auditor` that can also write rows in one transaction with other changes (:class:`AuditLog`)."""


@dataclass(frozen=True)
class AuditEvent:
    """One row of the trail. ``occurred_at`` is an aware UTC datetime; ``detail`` is {} when none was recorded."""

    id: int
    occurred_at: datetime
    realm: str | None
    actor: str
    subject: str | None
    action: str
    outcome: str
    detail: dict[str, Any]
    ip: str | None
    user_agent: str | None
    prev_hash: str | None
    hash: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AuditEvent:
        detail = row["detail"]
        return cls(
            id=row["id"],
            occurred_at=as_utc(row["occurred_at"]),
            realm=row["realm"],
            actor=row["actor"],
            subject=row["subject"],
            action=row["action"],
            outcome=row["outcome"],
            detail=dict(detail) if isinstance(detail, Mapping) else {},
            ip=row["ip"],
            user_agent=row["user_agent"],
            prev_hash=row["prev_hash"],
            hash=row["hash"],
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``occurred_at`` as ISO 8601 text; without the hashes."""
        return {
            "id": self.id,
            "occurred_at": self.occurred_at.isoformat(),
            "realm": self.realm,
            "actor": self.actor,
            "subject": self.subject,
            "action": self.action,
            "outcome": self.outcome,
            "detail": self.detail,
            "ip": self.ip,
            "user_agent": self.user_agent,
        }


class AuditLog:
    def __init__(self, repository: AuditRepository, clock: Callable[[], datetime], key: bytes) -> None:
        """``key``: the audit key every new row's hash is keyed with (never the code pepper)."""
        self._repository = repository
        self._clock = clock
        self._key = key

    def record(
        self,
        realm: str | None,
        actor: str,
        subject: str | None,
        action: str,
        outcome: str,
        detail: Mapping[str, Any] | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> None:
        """Append one row, in a transaction of its own."""
        with self.transaction() as audited:
            audited.record(realm, actor, subject, action, outcome, detail, ip, user_agent)

    @contextmanager
    def transaction(self) -> Iterator[AuditedTransaction]:
        """One database transaction in which a feature changes its own data (its repositories ``within=`` the
        ``.transaction``) and records what it did (``.record``): committed together, or not at all. It holds the
        chain's lock from its start, so keep it short: no hashing of codes, no network."""
        with self._repository.locked_chain() as transaction:
            audited = AuditedTransaction(transaction, self._repository, self._clock, self._key)
            yield audited
        audited.log_committed()

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """Newest events first, as plain row dicts (for operators and tests)."""
        return self._repository.recent(limit)

    def search(
        self,
        realm: str | None,
        subject: str | None = None,
        action: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int = 0,
        max: int = 50,
    ) -> tuple[list[AuditEvent], int]:
        """A page of the realm's events, newest first, and how many match in all.

        ``realm`` None: every realm (operators' CLI; the admin API always names one). ``subject``, ``actor``:
        exact. ``action``: exact, or, when it ends with ".", every action that starts with it (``"backup_email."``
        matches ``backup_email.verified`` and ``backup_email.verification_sent``). ``since``: at or after,
        ``until``: before (a naive datetime is UTC). ``first``: events to skip (>= 0); ``max``: 0 to
        :data:`MAX_PAGE` events. Out of range: ``ValueError``.
        """
        if first < 0 or not 0 <= max <= MAX_PAGE:
            raise ValueError(f"first must be >= 0 and max 0..{MAX_PAGE} (got first={first}, max={max})")
        prefix = action is not None and action.endswith(".")
        where = EventFilter(
            realm=realm,
            subject=subject,
            actor=actor,
            action=None if prefix else action,
            action_prefix=action if prefix else None,
            since=None if since is None else as_utc(since),
            until=None if until is None else as_utc(until),
        )
        rows, total = self._repository.search(where, first, max)
        return [AuditEvent.from_row(row) for row in rows], total

    def latest_for_subjects(
        self,
        realm: str,
        user_ids: Iterable[str],
        actions_prefixes: Iterable[str] = RECOVERY_SIGN_IN_ACTIONS,
        outcome: str | None = ACCEPTED,
    ) -> dict[str, AuditEvent]:
        """For each of ``user_ids`` (the subject) that has one, its newest event in ``realm`` whose action starts
        with one of ``actions_prefixes`` and, unless ``outcome`` is None, with that outcome. In one query.

        By default: the user's last successful recovery sign-in (an accepted backup code or emailed code).
        """
        ids = sorted(set(user_ids))
        prefixes = [actions_prefixes] if isinstance(actions_prefixes, str) else list(actions_prefixes)
        if not ids or not prefixes:
            return {}
        rows = self._repository.latest_for_subjects(realm, ids, prefixes, outcome)
        return {row["subject"]: AuditEvent.from_row(row) for row in rows}

    def verify(self, expect_head: Head | None = None) -> VerifyResult:
        """Walk the whole chain in id order (and check it runs through ``expect_head``); the result names the first
        row that breaks it, and why."""
        with self._repository.rows_in_order() as rows:
            return verify_chain(rows, self._key, expect_head)

    def head(self) -> Head | None:
        """The last row's id and hash, to be kept outside the database; None for an empty trail."""
        last = self._repository.last_link()
        return None if last is None or last.hash is None else Head(last.id, last.hash)


class AuditedTransaction:
    """An open transaction of :meth:`AuditLog.transaction`: an :class:`Auditor` whose rows commit with whatever
    repositories do ``within=`` its :attr:`transaction`."""

    def __init__(
        self, transaction: Transaction, repository: AuditRepository, clock: Callable[[], datetime], key: bytes
    ) -> None:
        self._transaction = transaction
        self._repository = repository
        self._clock = clock
        self._key = key
        self._appended: list[dict[str, Any]] = []

    @property
    def transaction(self) -> Transaction:
        """The open transaction, for repositories to join."""
        return self._transaction

    def record(
        self,
        realm: str | None,
        actor: str,
        subject: str | None,
        action: str,
        outcome: str,
        detail: Mapping[str, Any] | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> None:
        last = self._repository.last_link(self._transaction)
        prev_hash = GENESIS if last is None else last.hash
        # The hash is taken over what the database gives back, so the detail goes through JSON first (tuples
        # become lists, keys strings) and the time is stored in UTC (SQLite keeps the wall time, not the zone).
        # Callers refuse text that cannot be stored; should any still come, the row is written with it replaced
        # rather than lost.
        stored_detail = _storable(json.loads(json.dumps(dict(detail)))) if detail is not None else None
        row = {
            "id": 1 if last is None else last.id + 1,
            "occurred_at": as_utc(self._clock()),
            "realm": _storable(realm),
            "actor": _storable(actor),
            "subject": _storable(subject),
            "action": _storable(action),
            "outcome": _storable(outcome),
            "detail": stored_detail,
            "ip": _storable(ip),
            "user_agent": _storable(user_agent),
        }
        keyed_hash = chain_hash(prev_hash, row, self._key)
        self._repository.append(
            {**row, "prev_hash": prev_hash, "hash": keyed_hash, "hash_scheme": KEYED}, self._transaction
        )
        self._appended.append(row)

    def log_committed(self) -> None:
        """Log and count (observability/metrics.py) each row, once it is committed."""
        for row in self._appended:
            count_audit_event(row["action"], row["outcome"])
            logger.info(
                "audit %s %s realm=%s actor=%s subject=%s",
                row["action"],
                row["outcome"],
                row["realm"],
                row["actor"],
                row["subject"],
            )


def _storable(value: Any) -> Any:
    """``value`` (text, or JSON made of lists and objects) with what no database or hash can take replaced."""
    if isinstance(value, str):
        return plain_text.storable(value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value


def record_call(
    auditor: Auditor,
    caller: Caller,
    action: str,
    outcome: str,
    detail: Mapping[str, Any] | None = None,
    *,
    actor: str = "bridge",
) -> None:
    """Record an event of a bridge call: realm, user, sign-in attempt, IP and browser as Keycloak saw them."""
    auditor.record(
        realm=caller.realm,
        actor=actor,
        subject=caller.user_id,
        action=action,
        outcome=outcome,
        detail={"attempt": caller.attempt, **(detail or {})},
        ip=caller.ip,
        user_agent=caller.user_agent,
    )

"""What the audit trail needs from storage (:class:`AuditRepository`): the rows of the chain; and its SQL
implementation on the ``audit_events`` table.

The SQL implementation serialises appends: on PostgreSQL the chain's transaction first takes a transaction-level
advisory lock (:data:`CHAIN_LOCK_KEY`) and reads in READ COMMITTED, on SQLite it is opened with ``BEGIN IMMEDIATE``
(the database's write lock, waited for up to the busy timeout). Either lock ends with the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Connection, Engine, Row, func, insert, or_, select, text

from ..store.tables import audit_events
from ..store.transactions import SqlTransaction, Transaction, reading

CHAIN_LOCK_KEY = 727310002  # pg_advisory_xact_lock key of audit inserts (727310001 serialises migrations)
VERIFY_BATCH = 1000  # rows fetched at a time while walking the chain

StoredRow = Mapping[str, Any]
"""An event as stored: the chain's fields (:data:`.chain.HASHED_FIELDS`), ``prev_hash``, ``hash`` and
``hash_scheme``."""


@dataclass(frozen=True)
class Link:
    """The newest row's id and hash: what the next row chains onto."""

    id: int
    hash: str | None


@dataclass(frozen=True)
class EventFilter:
    """Which events: every condition given holds (None: any). ``since``: at or after; ``until``: before."""

    realm: str | None = None
    subject: str | None = None
    actor: str | None = None
    action: str | None = None
    action_prefix: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditRepository(Protocol):
    """The rows of the audit trail, in id order. Append-only: rows are only ever added, never changed or removed."""

    def locked_chain(self) -> AbstractContextManager[Transaction]:
        """A transaction that holds the chain's lock from its start until it ends, so that no other writer appends
        meanwhile (and no two rows chain onto the same one): committed when the block ends, rolled back when it
        raises."""

    def last_link(self, within: Transaction | None = None) -> Link | None:
        """The newest row's id and hash; None for an empty trail. ``within`` the locked chain: the row that the
        next one chains onto."""

    def append(self, row: StoredRow, within: Transaction) -> None:
        """Insert ``row`` with the id it names, within the locked chain."""

    def recent(self, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` rows, newest first."""

    def search(self, where: EventFilter, offset: int, limit: int) -> tuple[list[StoredRow], int]:
        """The rows matching ``where``, newest first, from the ``offset``-th on (at most ``limit``); and how many
        match in all."""

    def latest_for_subjects(
        self, realm: str, subjects: Sequence[str], action_prefixes: Sequence[str], outcome: str | None
    ) -> list[StoredRow]:
        """For each of ``subjects`` that has one, its newest row in ``realm`` whose action starts with one of
        ``action_prefixes`` and, unless ``outcome`` is None, with that outcome. In one query."""

    def rows_in_order(self) -> AbstractContextManager[Iterable[StoredRow]]:
        """Every row, in id order, fetched a batch at a time while the block lasts."""


class SqlAuditRepository:
    """:class:`AuditRepository` in the ``audit_events`` table (whose triggers refuse UPDATE and DELETE)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def locked_chain(self) -> Iterator[Transaction]:
        with self._engine.connect() as conn:
            _lock_chain(conn)
            try:
                yield SqlTransaction(conn)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def last_link(self, within: Transaction | None = None) -> Link | None:
        query = select(audit_events.c.id, audit_events.c.hash).order_by(audit_events.c.id.desc()).limit(1)
        with reading(self._engine, within) as conn:
            last = conn.execute(query).first()
        return None if last is None else Link(last.id, last.hash)

    def append(self, row: StoredRow, within: Transaction) -> None:
        conn = within.connection
        conn.execute(insert(audit_events).values(**row))
        if conn.dialect.name == "postgresql":
            # Keep the id sequence in step, for anything that inserts without an id (e.g. after a downgrade).
            conn.execute(text("SELECT setval(pg_get_serial_sequence('audit_events', 'id'), :id)"), {"id": row["id"]})

    def recent(self, limit: int) -> list[dict[str, Any]]:
        query = select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [dict(_stored(row)) for row in conn.execute(query)]

    def search(self, where: EventFilter, offset: int, limit: int) -> tuple[list[StoredRow], int]:
        conditions = _conditions(where)
        page = select(audit_events).where(*conditions).order_by(audit_events.c.id.desc()).offset(offset).limit(limit)
        count = select(func.count()).select_from(audit_events).where(*conditions)
        with self._engine.connect() as conn:
            total = int(conn.execute(count).scalar_one())
            rows = [_stored(row) for row in conn.execute(page)] if limit else []
        return rows, total

    def latest_for_subjects(
        self, realm: str, subjects: Sequence[str], action_prefixes: Sequence[str], outcome: str | None
    ) -> list[StoredRow]:
        c = audit_events.c
        newest = (
            select(func.max(c.id))
            .where(c.realm == realm, c.subject.in_(subjects), _action_matches(action_prefixes))
            .group_by(c.subject)
        )
        if outcome is not None:
            newest = newest.where(c.outcome == outcome)
        with self._engine.connect() as conn:
            return [_stored(row) for row in conn.execute(select(audit_events).where(c.id.in_(newest)))]

    @contextmanager
    def rows_in_order(self) -> Iterator[Iterable[StoredRow]]:
        query = select(audit_events).order_by(audit_events.c.id)
        with self._engine.connect() as conn:
            rows = conn.execution_options(yield_per=VERIFY_BATCH).execute(query)
            yield (_stored(row) for row in rows)


def _lock_chain(conn: Connection) -> None:
    """Begin ``conn``'s transaction holding the lock that serialises appends to the chain, until it ends."""
    if conn.dialect.name == "sqlite":
        # Python's sqlite3 would begin a deferred transaction at the INSERT, after the read of the last row; an
        # explicit BEGIN IMMEDIATE takes the write lock first (it waits up to the busy timeout for it).
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        # READ COMMITTED: the read of the last row, after the lock, sees what the previous holder committed.
        conn.execution_options(isolation_level="READ COMMITTED")
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def _stored(row: Row[Any]) -> StoredRow:
    return cast(StoredRow, row._mapping)


def _conditions(where: EventFilter) -> list[ColumnElement[bool]]:
    c = audit_events.c
    conditions: list[ColumnElement[bool]] = []
    if where.realm is not None:
        conditions.append(c.realm == where.realm)
    if where.subject is not None:
        conditions.append(c.subject == where.subject)
    if where.actor is not None:
        conditions.append(c.actor == where.actor)
    if where.action is not None:
        conditions.append(c.action == where.action)
    if where.action_prefix is not None:
        conditions.append(_action_matches([where.action_prefix]))
    if where.since is not None:
        conditions.append(c.occurred_at >= where.since)
    if where.until is not None:
        conditions.append(c.occurred_at < where.until)
    return conditions


def _action_matches(prefixes: Iterable[str]) -> ColumnElement[bool]:
    """The action starts with one of ``prefixes`` (``_`` and ``%`` in them are plain characters)."""
    return or_(*(audit_events.c.action.startswith(prefix, autoescape=True) for prefix in prefixes))

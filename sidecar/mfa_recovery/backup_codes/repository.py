"""What the backup codes need from storage (:class:`BackupCodeRepository`), and its SQL implementation."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, Engine, delete, func, insert, or_, select, update

from ..store.tables import backup_codes
from ..store.transactions import Transaction, joined, reading

# A code's set is "pending" while shown on the setup page (never valid for sign-in), "active" once confirmed.
PENDING = "pending"
ACTIVE = "active"


@dataclass(frozen=True)
class StoredCode:
    id: int
    hash: str


@dataclass(frozen=True)
class NewCode:
    lookup: str
    hash: str


class BackupCodeRepository(Protocol):
    """The users' backup codes, each stored as its look-up key and hash. Every method is one transaction of its
    own, unless ``within`` names an open one it joins (then it commits or rolls back with that one)."""

    def replace_all(self, realm: str, user_id: str, set_id: str, codes: Sequence[NewCode], now: datetime) -> None:
        """Delete every code of the user (active and pending) and insert ``codes`` as active, in one transaction."""

    def replace_pending(
        self, realm: str, user_id: str, set_id: str, codes: Sequence[NewCode], now: datetime, expired_before: datetime
    ) -> None:
        """Delete the user's pending codes (and pending codes made before ``expired_before``); insert ``codes``
        as pending. Active codes are untouched."""

    def activate(self, realm: str, user_id: str, set_id: str, created_after: datetime) -> int | None:
        """In one transaction: make the user's pending set ``set_id`` (made after ``created_after``) active and
        delete the user's other active codes. Returns the active unused count, or None if no such pending set.
        Of two concurrent confirmations of one set, only one activates it."""

    def find_unused(self, realm: str, user_id: str, lookup: str) -> StoredCode | None:
        """The user's active, unused code with this look-up key."""

    def consume(self, code_id: int, now: datetime, within: Transaction | None = None) -> bool:
        """Mark the code used if it is still unused and active: True for exactly one caller, however many try
        at once."""

    def count_unused(self, realm: str, user_id: str, within: Transaction | None = None) -> int:
        """The user's active unused codes."""

    def count_unused_for_users(self, realm: str, user_ids: Collection[str]) -> dict[str, int]:
        """Active unused codes per user, in one query; users without any are left out."""

    def delete_all(self, realm: str, user_id: str) -> int:
        """Delete every code of the user, active and pending; returns how many there were."""


class SqlBackupCodeRepository:
    """:class:`BackupCodeRepository` in the ``backup_codes`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @staticmethod
    def _rows(
        realm: str, user_id: str, set_id: str, status: str, codes: Sequence[NewCode], now: datetime
    ) -> list[dict[str, object]]:
        return [
            {
                "realm": realm,
                "user_id": user_id,
                "lookup": c.lookup,
                "hash": c.hash,
                "created_at": now,
                "set_id": set_id,
                "status": status,
            }
            for c in codes
        ]

    def replace_all(self, realm: str, user_id: str, set_id: str, codes: Sequence[NewCode], now: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(backup_codes).where(backup_codes.c.realm == realm, backup_codes.c.user_id == user_id))
            conn.execute(insert(backup_codes), self._rows(realm, user_id, set_id, ACTIVE, codes, now))

    def replace_pending(
        self, realm: str, user_id: str, set_id: str, codes: Sequence[NewCode], now: datetime, expired_before: datetime
    ) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(backup_codes).where(
                    backup_codes.c.status == PENDING,
                    or_(
                        (backup_codes.c.realm == realm) & (backup_codes.c.user_id == user_id),
                        backup_codes.c.created_at <= expired_before,  # anyone's abandoned pending sets
                    ),
                )
            )
            conn.execute(insert(backup_codes), self._rows(realm, user_id, set_id, PENDING, codes, now))

    def activate(self, realm: str, user_id: str, set_id: str, created_after: datetime) -> int | None:
        mine = (backup_codes.c.realm == realm) & (backup_codes.c.user_id == user_id)
        with self._engine.begin() as conn:
            # The conditional UPDATE comes first: it takes the write lock (SQLite) or the row locks (PostgreSQL),
            # so of two concurrent confirmations only one still finds the set pending; the other changes nothing.
            activated = conn.execute(
                update(backup_codes)
                .where(
                    mine,
                    backup_codes.c.set_id == set_id,
                    backup_codes.c.status == PENDING,
                    backup_codes.c.created_at > created_after,
                )
                .values(status=ACTIVE)
            ).rowcount
            if activated == 0:
                return None
            conn.execute(
                delete(backup_codes).where(
                    mine,
                    backup_codes.c.status == ACTIVE,
                    or_(backup_codes.c.set_id.is_(None), backup_codes.c.set_id != set_id),
                )
            )
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(backup_codes)
                    .where(mine, backup_codes.c.status == ACTIVE, backup_codes.c.used_at.is_(None))
                ).scalar_one()
            )

    def find_unused(self, realm: str, user_id: str, lookup: str) -> StoredCode | None:
        query = select(backup_codes.c.id, backup_codes.c.hash).where(
            backup_codes.c.realm == realm,
            backup_codes.c.user_id == user_id,
            backup_codes.c.lookup == lookup,
            backup_codes.c.status == ACTIVE,
            backup_codes.c.used_at.is_(None),
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else StoredCode(id=row.id, hash=row.hash)

    def consume(self, code_id: int, now: datetime, within: Transaction | None = None) -> bool:
        # One conditional UPDATE: the database serialises concurrent writers, and only the first one
        # still finds used_at NULL (SQLite: one writer at a time; PostgreSQL: row lock + re-check).
        # The status condition refuses a code whose set was replaced meanwhile.
        statement = (
            update(backup_codes)
            .where(backup_codes.c.id == code_id, backup_codes.c.used_at.is_(None), backup_codes.c.status == ACTIVE)
            .values(used_at=now)
        )
        with joined(self._engine, within) as conn:
            return conn.execute(statement).rowcount == 1

    def count_unused(self, realm: str, user_id: str, within: Transaction | None = None) -> int:
        query = select(func.count()).select_from(backup_codes).where(*_unused(realm), backup_codes.c.user_id == user_id)
        with reading(self._engine, within) as conn:
            return int(conn.execute(query).scalar_one())

    def count_unused_for_users(self, realm: str, user_ids: Collection[str]) -> dict[str, int]:
        if not user_ids:
            return {}
        query = (
            select(backup_codes.c.user_id, func.count())
            .where(*_unused(realm), backup_codes.c.user_id.in_(list(user_ids)))
            .group_by(backup_codes.c.user_id)
        )
        with self._engine.connect() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(query)}

    def delete_all(self, realm: str, user_id: str) -> int:
        statement = delete(backup_codes).where(backup_codes.c.realm == realm, backup_codes.c.user_id == user_id)
        with self._engine.begin() as conn:
            return int(conn.execute(statement).rowcount)


def _unused(realm: str) -> tuple[ColumnElement[bool], ...]:
    """Codes of the realm that are valid for sign-in: active and unused."""
    return (backup_codes.c.realm == realm, backup_codes.c.status == ACTIVE, backup_codes.c.used_at.is_(None))

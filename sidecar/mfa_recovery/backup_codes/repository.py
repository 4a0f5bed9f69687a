"""SQLAlchemy implementation of :class:`BackupCodeRepository`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, delete, func, insert, or_, select, update

from ..store.tables import backup_codes
from ..store.transactions import Transaction, joined
from .service import ACTIVE, PENDING, NewCode, StoredCode


class SqlBackupCodeRepository:
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
        with joined(self._engine, within) as conn:
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

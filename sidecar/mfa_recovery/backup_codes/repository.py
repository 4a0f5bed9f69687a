"""SQLAlchemy implementation of :class:`BackupCodeRepository`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, delete, func, insert, select, update

from ..store.tables import backup_codes
from .service import NewCode, StoredCode


class SqlBackupCodeRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def replace_all(self, realm: str, user_id: str, codes: Sequence[NewCode], now: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(backup_codes).where(backup_codes.c.realm == realm, backup_codes.c.user_id == user_id))
            conn.execute(
                insert(backup_codes),
                [
                    {"realm": realm, "user_id": user_id, "lookup": c.lookup, "hash": c.hash, "created_at": now}
                    for c in codes
                ],
            )

    def find_unused(self, realm: str, user_id: str, lookup: str) -> StoredCode | None:
        query = select(backup_codes.c.id, backup_codes.c.hash).where(
            backup_codes.c.realm == realm,
            backup_codes.c.user_id == user_id,
            backup_codes.c.lookup == lookup,
            backup_codes.c.used_at.is_(None),
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else StoredCode(id=row.id, hash=row.hash)

    def consume(self, code_id: int, now: datetime) -> bool:
        # One conditional UPDATE: the database serialises concurrent writers, and only the first one
        # still finds used_at NULL (SQLite: one writer at a time; PostgreSQL: row lock + re-check).
        statement = (
            update(backup_codes)
            .where(backup_codes.c.id == code_id, backup_codes.c.used_at.is_(None))
            .values(used_at=now)
        )
        with self._engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def count_unused(self, realm: str, user_id: str) -> int:
        query = (
            select(func.count())
            .select_from(backup_codes)
            .where(
                backup_codes.c.realm == realm,
                backup_codes.c.user_id == user_id,
                backup_codes.c.used_at.is_(None),
            )
        )
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

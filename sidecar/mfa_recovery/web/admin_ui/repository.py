"""What the admin UI's sessions need from storage (:class:`UiSessionRepository`), and its SQL implementation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, delete, select

from ...store.tables import ui_sessions
from ...store.upsert import upsert


@dataclass(frozen=True)
class StoredUiSession:
    """A session as stored: ``id`` is the SHA-256 (hex) of the cookie's key, ``sealed`` the encrypted data."""

    id: str
    realm: str
    sealed: Any
    created_at: datetime
    expires_at: datetime


class UiSessionRepository(Protocol):
    """The admin UI's sessions, by id."""

    def find(self, session_id: str) -> StoredUiSession | None:
        """The session with this id, expired or not."""

    def save(self, session: StoredUiSession) -> None:
        """Store the session, replacing the one with its id."""

    def delete(self, session_id: str) -> None:
        """Forget the session with this id."""

    def delete_expired(self, now: datetime) -> int:
        """Forget every session that expired at or before ``now``; how many."""


class SqlUiSessionRepository:
    """:class:`UiSessionRepository` in the ``ui_sessions`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def find(self, session_id: str) -> StoredUiSession | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(ui_sessions).where(ui_sessions.c.id == session_id)).first()
        if row is None:
            return None
        return StoredUiSession(row.id, row.realm, row.data, row.created_at, row.expires_at)

    def save(self, session: StoredUiSession) -> None:
        values = {
            "id": session.id,
            "realm": session.realm,
            "data": session.sealed,
            "created_at": session.created_at,
            "expires_at": session.expires_at,
        }
        with self._engine.begin() as conn:
            upsert(conn, ui_sessions, values, keys=("id",))

    def delete(self, session_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(ui_sessions).where(ui_sessions.c.id == session_id))

    def delete_expired(self, now: datetime) -> int:
        with self._engine.begin() as conn:
            return conn.execute(delete(ui_sessions).where(ui_sessions.c.expires_at <= now)).rowcount

"""Server-side sessions of the admin UI (table ``ui_sessions``).

The browser holds only a random 256-bit key in the cookie ``mfa_recovery_ui``; the table holds its SHA-256, the
realm, and the session's data (Keycloak's tokens, the CSRF secret, the language, a sign-in under way, messages for
the next page). A session lasts 8 hours at most and ends after 30 minutes without a request (10 minutes while no
one is signed in to it: a sign-in under way). Expired rows are deleted whenever a session starts.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select

from ...store.tables import ui_sessions
from ...store.times import aware
from ...store.upsert import upsert

COOKIE_NAME = "mfa_recovery_ui"
COOKIE_PATH = "/ui"
ABSOLUTE_LIFETIME = timedelta(hours=8)
IDLE_TIMEOUT = timedelta(minutes=30)
UNSIGNED_TIMEOUT = timedelta(minutes=10)  # a session nobody signed in to yet (as long as a sign-in may take)
KEY_FORMAT = re.compile(r"[A-Za-z0-9_-]{43}\Z")  # secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


@dataclass
class UiSession:
    """One browser's session with one realm. ``key`` is the cookie's value and is never stored."""

    key: str = field(repr=False)
    realm: str
    data: dict[str, Any]
    created_at: datetime

    @property
    def id(self) -> str:
        return key_hash(self.key)

    @property
    def csrf_secret(self) -> bytes:
        return bytes.fromhex(self.data["csrf"])


def _fresh_key() -> str:
    return secrets.token_urlsafe(32)


class SqlUiSessions:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._clock = clock

    def new(self, realm: str, data: dict[str, Any] | None = None) -> UiSession:
        """A session not stored yet (:meth:`save` stores it), with a fresh key and CSRF secret; ``data`` is
        carried over (the language of an anonymous visitor, say). Deletes the expired sessions."""
        self.purge()
        carried = {name: value for name, value in (data or {}).items() if name != "csrf"}
        return UiSession(_fresh_key(), realm, {**carried, "csrf": secrets.token_hex(32)}, self._clock())

    def load(self, key: str | None, realm: str) -> UiSession | None:
        """The live session with this cookie value for ``realm``; None when there is none (an expired one is
        deleted)."""
        if not key or not KEY_FORMAT.match(key):
            return None
        with self._engine.connect() as conn:
            row = conn.execute(select(ui_sessions).where(ui_sessions.c.id == key_hash(key))).first()
        if row is None:
            return None
        now = self._clock()
        if aware(row.expires_at, now) <= now:
            self.delete(key)
            return None
        if row.realm != realm or not isinstance(row.data, dict):
            return None
        return UiSession(key, row.realm, dict(row.data), aware(row.created_at, now))

    def save(self, session: UiSession) -> None:
        """Store the session and move its idle expiry on (never past the absolute one)."""
        idle = IDLE_TIMEOUT if "tokens" in session.data else UNSIGNED_TIMEOUT
        expires_at = min(session.created_at + ABSOLUTE_LIFETIME, self._clock() + idle)
        values = {
            "id": session.id,
            "realm": session.realm,
            "data": session.data,
            "created_at": session.created_at,
            "expires_at": expires_at,
        }
        with self._engine.begin() as conn:
            upsert(conn, ui_sessions, values, keys=("id",))

    def delete(self, key: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(ui_sessions).where(ui_sessions.c.id == key_hash(key)))

    def purge(self) -> int:
        """Delete the expired sessions; how many."""
        with self._engine.begin() as conn:
            return conn.execute(delete(ui_sessions).where(ui_sessions.c.expires_at <= self._clock())).rowcount

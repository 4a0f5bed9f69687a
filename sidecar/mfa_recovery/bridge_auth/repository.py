"""What the replay guard needs from storage (:class:`UsedTokenRepository`): the ids of the bridge tokens already
used; and its SQL implementation."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine, delete, select

from ..store.tables import used_bridge_tokens
from ..store.transactions import Transaction, joined
from ..store.upsert import insert_if_missing


class UsedTokenRepository(Protocol):
    """Ids (``jti``) of used bridge tokens, each kept until its token expires; shared by every sidecar replica."""

    def add(self, jti: str, expires_at: datetime, within: Transaction | None = None) -> bool:
        """Remember the id until ``expires_at``; False when it is remembered already. True for exactly one caller,
        however many (on any replica) add the same id at once. ``within``: the transaction it commits with."""

    def contains(self, jti: str) -> bool:
        """Whether the id is remembered (committed) now."""

    def delete_expired(self, now: datetime) -> int:
        """Forget the ids whose tokens expired before ``now``; how many."""


class SqlUsedTokenRepository:
    """:class:`UsedTokenRepository` in the ``used_bridge_tokens`` table (its primary key refuses a second id)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, jti: str, expires_at: datetime, within: Transaction | None = None) -> bool:
        with joined(self._engine, within) as conn:
            return insert_if_missing(conn, used_bridge_tokens, {"jti": jti, "expires_at": expires_at}, keys=("jti",))

    def contains(self, jti: str) -> bool:
        query = select(used_bridge_tokens.c.jti).where(used_bridge_tokens.c.jti == jti)
        with self._engine.connect() as conn:
            return conn.execute(query).first() is not None

    def delete_expired(self, now: datetime) -> int:
        with self._engine.begin() as conn:
            return conn.execute(delete(used_bridge_tokens).where(used_bridge_tokens.c.expires_at < now)).rowcount

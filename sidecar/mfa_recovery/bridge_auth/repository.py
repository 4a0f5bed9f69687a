"""What the replay guard needs from storage (:class:`UsedTokenRepository`): the ids of the bridge tokens already
used; and its SQL implementation."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from ..store.tables import used_bridge_tokens


class UsedTokenRepository(Protocol):
    """Ids (``jti``) of used bridge tokens, each kept until its token expires; shared by every sidecar replica."""

    def add(self, jti: str, expires_at: datetime) -> bool:
        """Remember the id until ``expires_at``; False when it is remembered already. True for exactly one caller,
        however many (on any replica) add the same id at once."""

    def delete_expired(self, now: datetime) -> int:
        """Forget the ids whose tokens expired before ``now``; how many."""


class SqlUsedTokenRepository:
    """:class:`UsedTokenRepository` in the ``used_bridge_tokens`` table (its primary key refuses a second id)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, jti: str, expires_at: datetime) -> bool:
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(used_bridge_tokens).values(jti=jti, expires_at=expires_at))
        except IntegrityError:
            return False
        return True

    def delete_expired(self, now: datetime) -> int:
        with self._engine.begin() as conn:
            return conn.execute(delete(used_bridge_tokens).where(used_bridge_tokens.c.expires_at < now)).rowcount

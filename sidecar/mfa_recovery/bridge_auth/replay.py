"""Replay guard backed by the ``used_bridge_tokens`` table, shared by all sidecar replicas."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from ..store.tables import used_bridge_tokens

PURGE_INTERVAL_SECONDS = 60.0


class StoreReplayGuard:
    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        purge_interval: float = PURGE_INTERVAL_SECONDS,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._purge_interval = purge_interval
        self._last_purge = float("-inf")
        self._lock = threading.Lock()

    def remember(self, jti: str, expires_at: datetime) -> bool:
        self._maybe_purge()
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(used_bridge_tokens).values(jti=jti, expires_at=expires_at))
        except IntegrityError:
            return False
        return True

    def purge_expired(self) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(delete(used_bridge_tokens).where(used_bridge_tokens.c.expires_at < self._clock()))
            return result.rowcount

    def _maybe_purge(self) -> None:
        with self._lock:
            due = time.monotonic() - self._last_purge >= self._purge_interval
            if due:
                self._last_purge = time.monotonic()
        if due:
            self.purge_expired()

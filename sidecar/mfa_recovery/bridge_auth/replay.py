"""Replay guard over the used token ids in the store, shared by all sidecar replicas."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from ..store.transactions import Transaction
from .repository import UsedTokenRepository

PURGE_INTERVAL_SECONDS = 60.0


class StoreReplayGuard:
    """Each bridge token is accepted once, by whichever replica sees it first; expired ids are purged now and then
    (at most every ``purge_interval`` seconds per process, when a token is checked: never inside a transaction that
    records one, whose write lock the purge would wait for)."""

    def __init__(
        self,
        repository: UsedTokenRepository,
        clock: Callable[[], datetime],
        purge_interval: float = PURGE_INTERVAL_SECONDS,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._purge_interval = purge_interval
        self._last_purge = float("-inf")
        self._lock = threading.Lock()

    def remember(self, jti: str, expires_at: datetime, within: Transaction | None = None) -> bool:
        """Record ``jti`` (``within``: in that transaction); False when it was recorded already."""
        return self._repository.add(jti, expires_at, within)

    def used(self, jti: str) -> bool:
        self._maybe_purge()
        return self._repository.contains(jti)

    def purge_expired(self) -> int:
        return self._repository.delete_expired(self._clock())

    def _maybe_purge(self) -> None:
        with self._lock:
            due = time.monotonic() - self._last_purge >= self._purge_interval
            if due:
                self._last_purge = time.monotonic()
        if due:
            self.purge_expired()

"""Refused bridge calls: counted and logged at a bounded rate, never written to the audit trail.

Whoever can reach the bridge port can send calls without a valid token; each one written to the (append-only)
audit trail would let them grow it without end, and one log line each would flood the log. So refusals are
counted per process: the first is logged at once, later ones at most once per interval, as one warning that says
how many were refused since the last one and why the last was refused. A count is reported with the first
refusal after its interval has passed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

EXTENSION = "mfa_recovery_bridge_refusals"
DEFAULT_INTERVAL_SECONDS = 60.0


class RefusalLog:
    def __init__(
        self,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._unreported = 0
        self._last_warning: float | None = None

    def refused(self, reason: str, path: str, ip: str | None) -> None:
        """Count one refused call; log a warning when none was logged within the interval."""
        with self._lock:
            self._unreported += 1
            now = self._monotonic()
            if self._last_warning is not None and now - self._last_warning < self._interval:
                return
            count, self._unreported, self._last_warning = self._unreported, 0, now
        logger.warning(
            "refused %d bridge call(s) since the last warning (at most one every %d s); the last on %s from %s: %s",
            count,
            self._interval,
            path,
            ip or "an unknown address",
            reason,
        )

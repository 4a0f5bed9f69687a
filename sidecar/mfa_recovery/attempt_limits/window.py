"""Caps over a rolling window: at most N events in any window of a given length."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ..store.times import seconds_until


def rolling_window_wait(moments: Sequence[datetime], cap: int, window: timedelta, now: datetime) -> int | None:
    """Seconds until one more event fits, or None when it fits now.

    ``moments``: when the earlier events within the window happened, oldest first. One more fits when the oldest
    of the last ``cap`` of them leaves the window.
    """
    if len(moments) < cap:
        return None
    return seconds_until(moments[len(moments) - cap] + window, now)

"""Datetimes read back from the store."""

from __future__ import annotations

import math
from datetime import datetime, timedelta


def aware(value: datetime, like: datetime) -> datetime:
    """SQLite returns naive datetimes; they were written in UTC by the same clock as ``like``."""
    if value.tzinfo is None and like.tzinfo is not None:
        return value.replace(tzinfo=like.tzinfo)
    return value


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from ``now`` until ``moment`` (at least 1: an answer "retry after 0 s" would invite a retry
    that is refused again)."""
    return max(1, math.ceil((aware(moment, now) - now) / timedelta(seconds=1)))

"""Constants and helpers shared by the unit tests."""

from __future__ import annotations

from datetime import datetime, timedelta

BRIDGE_SECRET = "unit-test-bridge-secret-0123456789abcdef"
PEPPER = "unit-test-pepper-0123456789abcdef0123456"
REALM = "acme"
USER_ID = "9b1f0c1e-0000-4000-8000-000000000001"


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

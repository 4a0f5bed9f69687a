"""The numbers of the mailed codes, in one place (docs/architecture.md, "Backup email")."""

from __future__ import annotations

from datetime import timedelta

CODE_DIGITS = 8
CODE_LIFETIME = timedelta(minutes=10)
MAX_WRONG_TRIES = 5  # per code; then the code is dead
COOLDOWN = timedelta(seconds=60)  # per purpose and user, between two codes
HOURLY_CAP = 5  # codes per user over both purposes ...
CAP_WINDOW = timedelta(hours=1)  # ... in this rolling window
MAX_INPUT_LENGTH = 64  # longer input is cut before it is looked at

"""Checks of what an administrator types."""

from __future__ import annotations

from typing import Any

from .errors import InvalidInput

MAX_REASON_LENGTH = 500


def reason(value: Any, *, required: bool) -> str | None:
    """The reason given for an action, stripped: 1 to 500 characters; an optional one may be absent or blank."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidInput("reason must be a string")
    text = value.strip()
    if not text:
        if required:
            raise InvalidInput("reason is required")
        return None
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidInput(f"reason must be at most {MAX_REASON_LENGTH} characters")
    return text
